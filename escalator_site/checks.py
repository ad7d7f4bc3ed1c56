"""Start-up checks that fail loudly on settings that cannot work together."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.compatibility, deploy=False)
def check_task_backend(app_configs, **kwargs):
    problems = []
    if settings.TASK_BACKEND not in {"thread", "celery", "inline"}:
        problems.append(
            Error(
                f"TASK_BACKEND={settings.TASK_BACKEND!r} is not one of thread, celery, inline.",
                id="escalator.E001",
            )
        )
    if settings.TASK_BACKEND == "celery":
        if not settings.CELERY_BROKER_URL:
            problems.append(
                Error(
                    "TASK_BACKEND=celery needs a broker: set REDIS_URL or CELERY_BROKER_URL.",
                    id="escalator.E002",
                )
            )
        layer = settings.CHANNEL_LAYERS["default"]["BACKEND"]
        if layer.endswith("InMemoryChannelLayer"):
            problems.append(
                Error(
                    "Celery workers cannot reach the in-memory channel layer: set REDIS_URL "
                    "so that progress reaches the browsers.",
                    id="escalator.E003",
                )
            )
    return problems


@register(Tags.security, deploy=True)
def check_production_database(app_configs, **kwargs):
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        return [
            Warning(
                "SQLite is the embedded default; for several workers use PostgreSQL "
                "(DATABASE_URL=postgres://...).",
                id="escalator.W001",
            )
        ]
    return []
