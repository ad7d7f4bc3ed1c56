from django.apps import AppConfig


class PlannerConfig(AppConfig):
    name = "planner"
    verbose_name = "Upgrade plans"

    def ready(self) -> None:
        # Registers the tasks that services submit by name.
        from planner import tasks  # noqa: F401
