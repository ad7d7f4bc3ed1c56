"""Background work: the same task code in the web process or on Celery workers.

``TASK_BACKEND`` picks where ``submit`` runs a task:

- ``thread`` (embedded default): a small thread pool in the web process;
- ``celery``: a Celery worker, through the broker (REDIS_URL);
- ``inline``: at once, in the caller (tests and management commands).

Long work never runs in a request: views call ``submit`` and return where to
watch progress.

Executions have workers of their own, so that simulations and searches can
never keep one waiting: tasks declared with ``queue="executions"`` get their
own thread pool (``EXECUTION_THREADS``, default 4), and on Celery their own
queue (run a worker with ``-Q executions``; one with ``-Q celery`` takes
the rest).
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor

from celery import current_app, shared_task
from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)
_pools: dict[str, ThreadPoolExecutor] = {}
DEFAULT_QUEUE = "celery"  # Celery's own default queue name


def background(name: str, queue: str = DEFAULT_QUEUE):
    """Declare a background task (a Celery shared task usable in every backend)."""
    return shared_task(name=name, acks_late=True, reject_on_worker_lost=True, queue=queue)


def submit(task, *args) -> Future | None:
    """Run ``task`` (a task, or its registered name) as ``TASK_BACKEND`` says.

    Services submit by name, so they never import the task modules that call
    back into them (each app's ``ready()`` registers its tasks).
    """
    if isinstance(task, str):
        task = current_app.tasks[task]
    backend = settings.TASK_BACKEND
    if backend == "celery":
        task.apply_async(args=args)
        return None
    if backend == "inline":
        task.run(*args)
        return None
    return _thread_pool(getattr(task, "queue", None) or DEFAULT_QUEUE).submit(
        _run_in_thread, task, args)


def _thread_pool(queue: str) -> ThreadPoolExecutor:
    if queue not in _pools:
        size = int(getattr(settings, "EXECUTION_THREADS", 4)) if queue == "executions" else 4
        _pools[queue] = ThreadPoolExecutor(max_workers=size,
                                           thread_name_prefix=f"escalator-{queue}")
    return _pools[queue]


def _run_in_thread(task, args) -> None:
    close_old_connections()
    try:
        task.run(*args)
    except Exception:
        # The task records its own failure; this only keeps the thread alive and logged.
        logger.exception("background task %s%r failed", task.name, args)
    finally:
        close_old_connections()
