"""The machine's store on the database, and the execution event log.

Every step change is a compare-and-set (STYLE #7) that also requires this
worker to still hold the execution (``Execution.runner``), so two workers
never run the same step. Every event gets the execution's next sequence
number in the same transaction, then goes to the websocket group.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db import transaction
from django.db.models import F

from escalator_site.notifications import notify, receivers
from executor.choices import ExecutionState, StepState
from executor.live import publish
from executor.machine import StepRecord, Wanted
from executor.models import Execution, ExecutionEvent
from executor.models import StepRecord as StepRow

EVENT_TYPE = "execution.event"


# Host threads of one worker emit at once: numbering and publishing under one
# lock keeps what subscribers receive in number order.
_ordered = threading.Lock()


def record_event(execution_id: int, kind: str, message: str, *, step: str = "", host: str = "",
                 actor=None, **data: Any) -> ExecutionEvent:
    """Append an event with the next sequence number and publish it to the group."""
    with _ordered:
        return _record_and_publish(execution_id, kind, message, step, host, actor, data)


def _record_and_publish(execution_id: int, kind: str, message: str, step: str, host: str,
                        actor, data: dict[str, Any]) -> ExecutionEvent:
    with transaction.atomic():
        Execution.objects.filter(pk=execution_id).update(last_seq=F("last_seq") + 1)
        seq = Execution.objects.values_list("last_seq", flat=True).get(pk=execution_id)
        event = ExecutionEvent.objects.create(
            execution_id=execution_id, seq=seq, kind=kind, message=message, step=step,
            host=host, data=data, actor=actor if actor and actor.is_authenticated else None)
    # Published after the commit: a client that reconnects then replays from
    # the database and must find every event it was sent.
    publish(f"execution-{execution_id}", {"type": EVENT_TYPE, "event": event.as_message()})
    if kind == "execution" and data.get("resumed"):
        _notify(event, "execution.resumed")
    elif kind == "execution" and data.get("state") in NOTIFIED:
        _notify(event, NOTIFIED[str(data["state"])])
    return event


# An execution's state events that the on-call team hears of (escalator_site.notifications);
# a ``running`` event marked ``resumed`` (after a pause or a hold) is ``execution.resumed``.
NOTIFIED = {"queued": "execution.started", "paused": "execution.paused",
            "blocked": "execution.blocked", "done": "execution.finished",
            "aborted": "execution.finished"}


def _notify(event: ExecutionEvent, name: str) -> None:
    if not receivers():
        return
    execution = Execution.objects.select_related("plan").get(pk=event.execution_id)
    notify(name, {
        "execution": {"id": execution.pk, "state": execution.state, "cause": execution.cause,
                      "cloud": execution.cloud_name, "url": execution.get_absolute_url()},
        "plan": {"id": execution.plan_id, "name": execution.plan.name},
        "message": event.message, "seq": event.seq,
        "actor": event.actor.username if event.actor_id else ""})


def _row_to_record(row: StepRow) -> StepRecord:
    from executor.machine import StepState as PureState

    return StepRecord(key=row.key, state=PureState(row.state), attempts=row.attempts,
                      data=dict(row.data), error=row.error, started=row.started_at,
                      finished=row.finished_at, observed=dict(row.observed))


class DjangoStore:
    """``executor.machine.Store`` for one execution held by ``runner``."""

    def __init__(self, execution_id: int, runner: str) -> None:
        self.execution_id = execution_id
        self.runner = runner

    def _mine(self):
        return StepRow.objects.filter(execution_id=self.execution_id,
                                      execution__runner=self.runner)

    def load(self) -> dict[str, StepRecord]:
        rows = StepRow.objects.filter(execution_id=self.execution_id)
        return {row.key: _row_to_record(row) for row in rows}

    def begin(self, record: StepRecord) -> bool:
        updated = self._mine().filter(
            key=record.key, state__in=[StepState.PENDING, StepState.RUNNING]).update(
            state=StepState.RUNNING, attempts=record.attempts, error="",
            started_at=record.started, data=record.data)
        return updated == 1

    def save_notes(self, record: StepRecord) -> None:
        self._mine().filter(key=record.key).update(data=record.data)

    def finish(self, record: StepRecord) -> None:
        self._mine().filter(key=record.key, state=StepState.RUNNING).update(
            state=str(record.state), error=record.error, finished_at=record.finished,
            observed=record.observed, data=record.data)

    def wanted(self) -> Wanted:
        value = Execution.objects.values_list("wanted", flat=True).get(pk=self.execution_id)
        return Wanted(value)

    def pause_held(self, cause: str) -> None:
        """An alarm or a window holds the next host: the execution is paused with the
        cause while this worker keeps it and watches (a new cause is a new event)."""
        mine = Execution.objects.filter(pk=self.execution_id, runner=self.runner)
        if mine.filter(state__in=[ExecutionState.RUNNING, ExecutionState.PAUSED]).update(
                state=ExecutionState.PAUSED, cause=cause) == 1:
            record_event(self.execution_id, "execution", f"paused: {cause}",
                         state=ExecutionState.PAUSED, cause=cause, held=True)

    def resume_held(self, message: str) -> None:
        """Nothing holds any more: running again (unless the operator paused or aborted)."""
        if Execution.objects.filter(pk=self.execution_id, runner=self.runner,
                                    state=ExecutionState.PAUSED).update(
                state=ExecutionState.RUNNING, cause="") == 1:
            record_event(self.execution_id, "execution", f"running: {message}",
                         state=ExecutionState.RUNNING, cause="", held=False, resumed=True)

    def emit(self, kind: str, message: str, step: str = "", **data: Any) -> None:
        host = str(data.pop("host", ""))
        if "holding" in data:  # an alarm or a window holds the next host: the page says why
            Execution.objects.filter(pk=self.execution_id, runner=self.runner).update(
                cause=message if data["holding"] else "")
        record_event(self.execution_id, kind, message, step=step, host=host, **data)
