"""An execution's report from the database: planned against actual, and calibration."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from executor.models import Execution
from executor.report import (
    StepRow,
    calibration,
    moves_report,
    step_report,
    to_csv,
    vnf_report,
)


def step_rows(execution: Execution) -> list[StepRow]:
    steps = list(execution.steps.order_by("index"))
    starts = [s.started_at for s in steps if s.started_at is not None]
    origin = min(starts) if starts else 0.0

    def rel(value: float | None) -> float | None:
        return None if value is None else round(value - origin, 3)

    return [StepRow(key=s.key, wave=s.wave, host=s.host, kind=s.kind, server=s.server,
                    action=s.action, vnf=s.vnf, state=s.state, start_s=rel(s.started_at),
                    end_s=rel(s.finished_at)) for s in steps]


def moves(execution: Execution) -> list[dict[str, Any]]:
    """Every move the execution made, planned (move steps) and unplanned (drain steps)."""
    out: list[dict[str, Any]] = []
    for step in execution.steps.filter(kind__in=["move", "drain"]).order_by("index"):
        if step.kind == "move" and step.action in ("live-migrate", "cold-migrate"):
            out.append({"server": step.server, "source": step.source,
                        "dest": (step.observed or {}).get("host") or step.target,
                        "kind": step.action, "planned": True,
                        "requests": int((step.data or {}).get("requests", 0))})
        elif step.kind == "drain":
            for move in ((step.data or {}).get("moves") or {}).values():
                out.append({"server": move.get("name", ""), "source": step.host,
                            "dest": move.get("host") or move.get("dest", ""),
                            "kind": "live-migrate", "planned": False,
                            "requests": int(move.get("requests", 0))})
    return out


def _simulation(execution: Execution) -> tuple[list[dict], dict[str, float]]:
    simulation = execution.plan.latest_simulation
    if simulation is None or simulation.content_hash != execution.plan_hash:
        return [], {}
    events = (simulation.sample_run or {}).get("events", [])
    outage = {name: value.get("p50") for name, value in
              (simulation.summary or {}).get("vnf_outage_s", {}).items()
              if isinstance(value, dict)}
    return events, outage


def report(execution: Execution) -> dict[str, Any]:
    """The whole report as JSON-ready data."""
    rows = step_rows(execution)
    events, outage = _simulation(execution)
    lines = step_report(rows, events)
    return {
        "execution": execution.pk,
        "plan": execution.plan_id,
        "state": execution.state,
        "simulated": bool(events),
        "steps": [{**asdict(line), "delta_s": line.delta_s} for line in lines],
        "vnfs": vnf_report(rows, outage),
        "moves": moves_report(moves(execution)),
        # Steps that ran past their simulated p95 (the watchdog's flags).
        "watchdog": [{"step": e.step, "host": e.host, "message": e.message, **e.data}
                     for e in execution.events.filter(kind="watchdog").order_by("seq")],
        "expected_s": dict(execution.steps.exclude(expected_s=None)
                           .values_list("key", "expected_s")),
        "calibration": calibration(rows),
    }


def report_csv(execution: Execution) -> str:
    events, _ = _simulation(execution)
    return to_csv(step_report(step_rows(execution), events))
