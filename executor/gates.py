"""What may hold an execution, for its page: the maintenance windows, the canary and soaks,
the alarm gate, each with its state now (static/js/execution_gates.js keeps them live).

The windows are given as their occurrences (epoch seconds, labels in the schedule's zone)
over the next days, so the page says which one is open and when the next opens by the
clock; the canary, soak and alarm states come from the execution's latest events of those
kinds and follow the websocket's.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from executor.models import Execution
from planner.options import PlanOptions

# How far ahead the page lists window occurrences (it looks again on a reload).
DAYS_AHEAD = 15


def _windows(options: PlanOptions, now: datetime) -> dict[str, Any] | None:
    schedule = options.schedule()
    if schedule.always:
        return None
    since = now - timedelta(days=1)
    spans = []
    for start_s, end_s in schedule.intervals(since, DAYS_AHEAD):
        start, end = since + timedelta(seconds=start_s), since + timedelta(seconds=end_s)
        if end <= now:
            continue
        local = start.astimezone(schedule.tz), end.astimezone(schedule.tz)
        spans.append({"start": start.timestamp(), "end": end.timestamp(),
                      "opens": f"{local[0]:%a %Y-%m-%d %H:%M %Z}",
                      "closes": f"{local[1]:%a %Y-%m-%d %H:%M %Z}"})
    return {"schedule": schedule.describe(), "spans": spans}


def _latest(execution: Execution, kind: str) -> dict[str, Any] | None:
    event = execution.events.filter(kind=kind).order_by("-seq").first()
    if event is None:
        return None
    return {"message": event.message, "at": event.at.timestamp(), "data": event.data}


def gates(execution: Execution, now: datetime | None = None) -> dict[str, Any]:
    """The page's view of the holds of ``execution`` (plain JSON)."""
    now = now or timezone.now()
    try:
        options = PlanOptions.from_dict(execution.plan.options)
    except ValueError:  # a plan stored before a policy field was checked: show what is sure
        options = PlanOptions()
    canary_hosts = sorted(set(execution.steps.filter(wave=0).values_list("host", flat=True)))
    configured = bool(settings.ESCALATOR_ALERTMANAGER_URL) and options.alarm_mode != "off"
    return {
        "windows": _windows(options, now),
        "window": _latest(execution, "window"),
        "canary": options.canary, "canary_hosts": canary_hosts,
        "canary_soak_s": options.canary_soak_s if options.canary else 0.0,
        "soak_s": options.soak_s,
        "soak": _latest(execution, "soak"),
        "blocked": _latest(execution, "blocked"),
        "alarm_mode": options.alarm_mode, "alarm_ignore": list(options.alarm_ignore),
        "alarm_gate": configured,
        "alarm": _latest(execution, "alarm"),
    }
