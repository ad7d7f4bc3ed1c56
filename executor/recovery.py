"""An execution whose worker died goes to another worker promptly (scale-out, Celery).

Celery acknowledges the execution's task late (``CELERY_TASK_ACKS_LATE``), so
the task of a SIGKILLed worker is delivered again, but by Redis only after
its visibility timeout (one hour by default); shortening that timeout would
also deliver again every simulation that runs longer. The executor's own
lease says sooner that a worker is gone: a running worker renews
``Execution.lease_until`` every third of ``lease_seconds()``. So every
Celery worker watches: each third of a lease it looks for executions under
way (running, pausing, aborting) whose lease has run out, and sends each to
the executions queue again, once a lease at most. Whichever worker takes the
task claims the execution (compare-and-set on the lease, executor/runner.py)
and continues it from its records; the late redelivery of the dead worker's
task, an hour on, finds it ended and does nothing.
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import close_old_connections
from django.db.models import Q
from django.utils import timezone

from executor.choices import ExecutionState
from executor.models import Execution
from executor.runner import lease_seconds
from executor.store import record_event

logger = logging.getLogger(__name__)

# Under way, so some worker should hold them (queued ones wait for their task).
HELD_STATES = (ExecutionState.RUNNING, ExecutionState.PAUSING, ExecutionState.ABORTING)


def orphans() -> list[int]:
    """Executions under way whose worker stopped renewing the lease."""
    now = timezone.now()
    lapsed = Q(lease_until__lt=now) | Q(lease_until__isnull=True)
    return list(Execution.objects.filter(state__in=HELD_STATES).filter(lapsed)
                .values_list("pk", flat=True))


class Watcher:
    """Sends lapsed executions to the executions queue again (once a lease at most each)."""

    def __init__(self, submit) -> None:
        self.submit = submit
        self.sent: dict[int, float] = {}

    def once(self) -> list[int]:
        now = time.monotonic()
        handed = []
        for execution_id in orphans():
            if now - self.sent.get(execution_id, -1e9) < lease_seconds():
                continue
            self.sent[execution_id] = now
            row = Execution.objects.filter(pk=execution_id).values("lease_until").first()
            last = row["lease_until"] if row else None
            since = (f"its lease ran out at {timezone.localtime(last):%H:%M:%S}" if last
                     else "it holds no lease")
            record_event(execution_id, "log",
                         f"handed over: the worker running it stopped ({since}); sent to "
                         "another worker", handed_over=True)
            self.submit(execution_id)
            handed.append(execution_id)
        return handed

    def forever(self, stop: threading.Event) -> None:
        while not stop.wait(lease_seconds() / 3):
            try:
                self.once()
            except Exception:  # the database away for a moment: look again next time
                logger.exception("looking for lapsed executions failed")
            finally:
                close_old_connections()


def start_watching() -> threading.Event:
    """In a worker process: watch in a daemon thread; set the event to stop."""
    from executor import services

    stop = threading.Event()
    watcher = Watcher(lambda pk: services.submit(services.RUN_EXECUTION, pk))
    threading.Thread(target=watcher.forever, args=(stop,), name="execution-watcher",
                     daemon=True).start()
    return stop

