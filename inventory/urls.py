from django.urls import path

from inventory import views

app_name = "inventory"

urlpatterns = [
    path("hosts/", views.host_list, name="host-list"),
    path("hosts/<int:pk>/", views.host_detail, name="host-detail"),
    path("vnfs/", views.vnf_list, name="vnf-list"),
    path("vnfs/<int:pk>/", views.vnf_detail, name="vnf-detail"),
    path("import/", views.import_inventory, name="import"),
    path("clouds/<str:name>/refresh/", views.refresh, name="refresh"),
    path("export/", views.export_inventory, name="export"),
]
