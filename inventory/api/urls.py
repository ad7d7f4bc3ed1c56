from inventory.api import views


def register(router) -> None:
    router.register("clouds", views.CloudViewSet)
    router.register("hosts", views.HostViewSet)
    router.register("servers", views.ServerViewSet)
    router.register("vnfs", views.VnfViewSet)
    router.register("server-groups", views.ServerGroupViewSet)
