from executor.api import views


def register(router) -> None:
    router.register("executions", views.ExecutionViewSet)
