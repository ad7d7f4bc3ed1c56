"""Background task of an execution: a thread in the web process, or a Celery task."""

from __future__ import annotations

from escalator_site.jobs import background
from executor.runner import run_execution
from executor.services import RUN_EXECUTION


@background(RUN_EXECUTION, queue="executions")
def run_execution_task(execution_id: int) -> str:
    return run_execution(execution_id)
