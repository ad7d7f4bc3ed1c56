"""Background task of an execution: a thread in the web process, or a Celery task."""

from __future__ import annotations

from escalator_site.jobs import background
from executor.runner import run_execution
from executor.services import RUN_EXECUTION
from inventory.services import REFRESH_TASK


def _watch_for_lapsed_executions(**_: object) -> None:
    """A Celery worker watches for executions whose worker died (executor/recovery.py)."""
    from executor.recovery import start_watching

    start_watching()


try:
    from celery.signals import worker_ready
except ImportError:  # embedded: no Celery workers, nothing to hand over
    pass
else:
    worker_ready.connect(_watch_for_lapsed_executions, weak=False)


@background(RUN_EXECUTION, queue="executions")
def run_execution_task(execution_id: int) -> str:
    return run_execution(execution_id)


@background(REFRESH_TASK)
def refresh_task(cloud_id: int, user_id: int | None = None) -> str:
    """Read a stored cloud again from OpenStack; a failure is kept on the cloud, to be shown."""
    from django.contrib.auth import get_user_model

    from executor.refresh import RefreshError, refresh_cloud
    from inventory.models import Cloud

    cloud = Cloud.objects.get(pk=cloud_id)
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    try:
        refreshed = refresh_cloud(cloud, user=user)
    except RefreshError as exc:
        Cloud.objects.filter(pk=cloud_id).update(refresh_error=str(exc)[:2000])
        return "failed"
    return f"version {refreshed.version}"
