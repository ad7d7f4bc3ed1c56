from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from escalator_site import views
from executor.metrics import metrics_view

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("search/", views.search, name="search"),
    path("preferences/", views.preferences, name="preferences"),
    # Pages name their icon; this answers the browsers and tools that ask for the old path.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("inventory/", include("inventory.urls")),
    path("planning/", include("planner.urls")),
    path("executions/", include("executor.urls")),
    path("api/", include("escalator_site.api_urls")),
    path("metrics", metrics_view, name="metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]

handler400 = "escalator_site.error_views.bad_request"
handler403 = "escalator_site.error_views.permission_denied"
handler404 = "escalator_site.error_views.page_not_found"
handler500 = "escalator_site.error_views.server_error"
