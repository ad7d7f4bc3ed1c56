from django.apps import AppConfig


class ExecutorConfig(AppConfig):
    name = "executor"
    verbose_name = "Plan executions"

    def ready(self) -> None:
        # Registers the tasks that services submit by name.
        from executor import tasks  # noqa: F401
