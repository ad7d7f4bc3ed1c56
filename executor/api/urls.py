from executor.api import views, vnfm


def register(router) -> None:
    router.register("executions", views.ExecutionViewSet)
    router.register("vnfm-sessions", vnfm.VnfmSessionViewSet, basename="vnfm-session")
