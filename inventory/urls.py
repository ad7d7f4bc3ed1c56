from django.urls import path

from inventory import views

app_name = "inventory"

urlpatterns = [
    path("hosts/", views.host_list, name="host-list"),
    path("hosts/<int:pk>/", views.host_detail, name="host-detail"),
    path("servers/", views.server_list, name="server-list"),
    path("server-groups/", views.server_group_list, name="server-group-list"),
    path("vnfs/", views.vnf_list, name="vnf-list"),
    path("vnfs/<int:pk>/", views.vnf_detail, name="vnf-detail"),
    path("import/", views.import_inventory, name="import"),
    path("clouds/<str:name>/refresh/", views.refresh, name="refresh"),
    path("export/", views.export_inventory, name="export"),
]
