"""One API root gathering every app's router."""

from rest_framework.routers import DefaultRouter

from inventory.api.urls import register as register_inventory

router = DefaultRouter()
register_inventory(router)

urlpatterns = router.urls
