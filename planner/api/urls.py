from planner.api import views


def register(router) -> None:
    router.register("plans", views.PlanViewSet)
    router.register("simulations", views.SimulationViewSet)
    router.register("prechecks", views.PrecheckViewSet)
