"""An execution's report from the database: planned against actual, and calibration."""

from __future__ import annotations

from dataclasses import asdict, replace
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


def simulation_of(execution: Execution):
    """The simulation of the content this execution runs: the approved estimate, else the
    latest finished one of the plan's content; None if there is none.

    ``execution.plan_hash`` is the approval's hash (content, policy, version,
    estimate), not the content's: the content is matched on the plan's.
    """
    plan = execution.plan
    simulation = plan.approved_simulation if plan.approved_simulation_id else (
        plan.simulations.filter(state="done", content_hash=plan.content_hash)
        .order_by("-finished").first())
    if simulation is None or simulation.content_hash != plan.content_hash:
        return None
    return simulation


def _simulation(execution: Execution) -> tuple[list[dict], dict[str, float]]:
    simulation = simulation_of(execution)
    if simulation is None:
        return [], {}
    events = (simulation.sample_run or {}).get("events", [])
    outage = {name: value.get("p50") for name, value in
              (simulation.summary or {}).get("vnf_outage_s", {}).items()
              if isinstance(value, dict)}
    return events, outage


def _with_planned_member_out(vnfs: list[dict[str, Any]], rows: list[StepRow], lines: list,
                             simulated: bool) -> list[dict[str, Any]]:
    """Each VNF's members-out time in the simulation's sample run, beside the measured one.

    The same measure on both sides: the steps' simulated spans go through the
    same per-VNF count as the measured ones.
    """
    planned: dict[str, float] = {}
    if simulated:
        spans = {line.key: line for line in lines}
        simulated_rows = [replace(row, start_s=spans[row.key].planned_start_s,
                                  end_s=None if spans[row.key].planned_start_s is None else
                                  spans[row.key].planned_start_s + (spans[row.key].planned_s or 0.0))
                          for row in rows]
        planned = {v["vnf"]: v["member_out_s"] for v in vnf_report(simulated_rows)}
    return [{**v, "planned_member_out_s": planned.get(v["vnf"]) if simulated else None}
            for v in vnfs]


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
        "vnfs": _with_planned_member_out(vnf_report(rows, outage), rows, lines, bool(events)),
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
