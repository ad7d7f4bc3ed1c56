"""One API root gathering every app's router."""

from rest_framework.routers import DefaultRouter

from executor.api.urls import register as register_executor
from inventory.api.urls import register as register_inventory
from planner.api.urls import register as register_planner

router = DefaultRouter()
register_inventory(router)
register_planner(router)
register_executor(router)

urlpatterns = router.urls
