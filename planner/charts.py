"""What the plan and what-if pages show, shaped from stored plans and simulations.

The browser draws the charts (Chart.js, vendored); the data comes from here.
"""

from __future__ import annotations

from typing import Any

from planner.models import Plan, Simulation

GANTT_KINDS = {
    # kind: (label, colour)
    "disable": ("disable", "#9aa5b1"),
    "switchover": ("switchover", "#8e44ad"),
    "drain": ("drain / park", "#b39ddb"),
    "failover": ("failover", "#6a1b9a"),
    "live-migrate": ("live migration", "#1f77b4"),
    "cold-migrate": ("cold migration", "#17becf"),
    "migration-failed": ("migration failed", "#d62728"),
    "stop": ("stopped", "#bcbd22"),
    "upgrade": ("upgrade", "#ff7f0e"),
    "upgrade-failed": ("upgrade failed", "#b71c1c"),
    "rollback": ("rollback", "#e377c2"),
    "reboot": ("reboot", "#f2b447"),
    "verify": ("verify", "#2ca02c"),
    "enable": ("enable", "#7f7f7f"),
    "start": ("start", "#8c564b"),
    "vnf-outage": ("VNF outage", "#c5221f"),
}
MAX_GANTT_ROWS = 120


def stat(summary: dict[str, Any], key: str, which: str = "p50") -> float | None:
    """One percentile of one figure of a Monte Carlo summary, or None."""
    value = summary.get(key)
    if value is None:
        value = summary.get("figures", {}).get(key)
    if isinstance(value, dict):
        value = value.get(which)
    return value if isinstance(value, int | float) else None


def per_vnf(summary: dict[str, Any], key: str) -> dict[str, dict[str, float]]:
    value = summary.get(key) or summary.get("per_vnf", {}).get(key) or {}
    return value if isinstance(value, dict) else {}


def waves_table(content: dict[str, Any]) -> list[dict[str, Any]]:
    waves = []
    for index, wave in enumerate(content.get("waves", []), start=1):
        hosts = []
        for step in wave.get("hosts", []):
            counts: dict[str, int] = {}
            for action in step.get("actions", []):
                counts[action["kind"]] = counts.get(action["kind"], 0) + 1
            hosts.append({"host": step["host"], "actions": step.get("actions", []),
                          "counts": sorted(counts.items())})
        waves.append({"index": index, "hosts": hosts, "why": wave.get("why", "")})
    return waves


def figures(plan: Plan, simulation: Simulation) -> dict[str, Any]:
    summary = simulation.summary
    p50 = stat(summary, "duration_s", "p50")
    bound = plan.lower_bound_s
    return {
        "runs": simulation.runs,
        "duration_p50_s": p50,
        "duration_p95_s": stat(summary, "duration_s", "p95"),
        "duration_max_s": stat(summary, "duration_s", "max"),
        "lower_bound_s": bound,
        "ratio": round(p50 / bound, 2) if p50 and bound else None,
        "total_outage_p50_s": stat(summary, "total_vnf_outage_s", "p50"),
        "total_outage_p95_s": stat(summary, "total_vnf_outage_s", "p95"),
        "worst_outage_p50_s": stat(summary, "worst_vnf_outage_s", "p50"),
        "worst_outage_p95_s": stat(summary, "worst_vnf_outage_s", "p95"),
        "sla_violations_p50": stat(summary, "sla_violations", "p50"),
        "sla_violations_max": stat(summary, "sla_violations", "max"),
        "migrations_p50": stat(summary, "migrations", "p50"),
        "min_ram_headroom_p50": stat(summary, "min_ram_headroom", "p50"),
        "stale": simulation.content_hash != plan.content_hash,
    }


def vnf_rows(simulation: Simulation, limit: int = 60) -> list[dict[str, Any]]:
    outage = per_vnf(simulation.summary, "vnf_outage_s")
    degraded = per_vnf(simulation.summary, "vnf_degraded_s")
    budgets = {
        v["vnf"]: v for v in simulation.sample_run.get("sla_violations", [])
    }
    rows = []
    for name in set(outage) | set(degraded):
        o, d = outage.get(name, {}), degraded.get(name, {})
        rows.append({
            "vnf": name,
            "outage_p50": o.get("p50", 0.0), "outage_p95": o.get("p95", 0.0),
            "degraded_p50": d.get("p50", 0.0), "degraded_p95": d.get("p95", 0.0),
            "violation": name in budgets,
        })
    rows.sort(key=lambda r: (-r["outage_p95"], -r["degraded_p95"], r["vnf"]))
    return rows[:limit]


def plan_charts(simulation: Simulation) -> dict[str, Any]:
    """Gantt of one simulated run per host, and capacity headroom over time."""
    run = simulation.sample_run
    events = run.get("events", [])
    hosts: list[str] = []
    seen: set[str] = set()
    outage_rows: list[str] = []
    for event in events:
        host = event.get("host") or ""
        if event["kind"] == "vnf-outage":
            row = f"VNF {event.get('vnf')}"
            if row not in outage_rows:
                outage_rows.append(row)
        elif host and host not in seen:
            seen.add(host)
            hosts.append(host)
    rows = outage_rows[:20] + hosts[: MAX_GANTT_ROWS - min(20, len(outage_rows))]
    shown = set(rows)
    datasets: dict[str, dict[str, Any]] = {}
    for event in events:
        kind = event["kind"]
        if kind not in GANTT_KINDS:
            continue
        row = f"VNF {event.get('vnf')}" if kind == "vnf-outage" else event.get("host")
        if row not in shown:
            continue
        label, colour = GANTT_KINDS[kind]
        dataset = datasets.setdefault(kind, {"label": label, "backgroundColor": colour, "data": []})
        end = max(event["end"], event["time"] + 0.5)  # instant steps stay visible
        dataset["data"].append({
            "x": [round(event["time"], 2), round(end, 2)], "y": row,
            "server": event.get("server", ""), "detail": event.get("detail", ""),
        })
    headroom = run.get("capacity_headroom", [])
    return {
        "rows": rows,
        "hidden_rows": len(hosts) + len(outage_rows) - len(rows),
        "datasets": [datasets[k] for k in GANTT_KINDS if k in datasets],
        "headroom": {
            "time": [round(h["time"], 1) for h in headroom],
            "ram": [round(100 * h["ram_free_share"], 1) for h in headroom],
            "vcpu": [round(100 * h["vcpu_free_share"], 1) for h in headroom],
        },
        "duration_s": run.get("duration_s", 0),
    }


COMPARED = [
    # (label, key, percentile, lower is better)
    ("Duration p50 (min)", "duration_s", "p50", 60.0),
    ("Duration p95 (min)", "duration_s", "p95", 60.0),
    ("Total VNF outage p50 (s)", "total_vnf_outage_s", "p50", 1.0),
    ("Total VNF outage p95 (s)", "total_vnf_outage_s", "p95", 1.0),
    ("Worst VNF outage p50 (s)", "worst_vnf_outage_s", "p50", 1.0),
    ("Worst VNF outage p95 (s)", "worst_vnf_outage_s", "p95", 1.0),
    ("SLA violations p50", "sla_violations", "p50", 1.0),
    ("SLA violations max", "sla_violations", "max", 1.0),
    ("Migrations p50", "migrations", "p50", 1.0),
    ("Failures p50", "failures", "p50", 1.0),
]


def comparison(simulations: list[Simulation]) -> dict[str, Any]:
    """Rows of figures side by side; the best and worst value of each row marked."""
    done = all(s.state == "done" for s in simulations) and len(simulations) >= 2
    rows: list[dict[str, Any]] = []
    if not done:
        return {"done": False, "rows": rows}
    static = [
        ("Strategy", [s.plan.strategy for s in simulations]),
        ("Waves", [len(s.plan.content.get("waves", [])) for s in simulations]),
        ("Bandwidth factor", [s.params.get("bandwidth_factor", 1.0) for s in simulations]),
        ("Migration failure p", [s.params.get("live_migration_failure_p", 0.0) for s in simulations]),
        ("Upgrade failure p", [s.params.get("upgrade_failure_p", 0.0) for s in simulations]),
        ("Runs", [s.runs for s in simulations]),
        ("Seed", [s.seed for s in simulations]),
        ("Validator", ["ok" if s.plan.is_valid else "violations" for s in simulations]),
        ("Lower bound, cloud-wide under its limits (min)", [round((s.plan.lower_bound_s or 0) / 60, 1) for s in simulations]),
    ]
    for label, values in static:
        rows.append({"label": label, "cells": [{"value": v, "mark": ""} for v in values],
                     "differs": len({str(v) for v in values}) > 1})
    for label, key, which, scale in COMPARED:
        values = [stat(s.summary, key, which) for s in simulations]
        numbers = [round(v / scale, 1) if v is not None else None for v in values]
        known = [v for v in numbers if v is not None]
        best, worst = (min(known), max(known)) if known else (None, None)
        cells = []
        for v in numbers:
            mark = ""
            if known and best != worst:
                mark = "best" if v == best else ("worst" if v == worst else "")
            cells.append({"value": "—" if v is None else v, "mark": mark})
        rows.append({"label": label, "cells": cells, "differs": best != worst})
    ratio_cells = []
    for s in simulations:
        p50 = stat(s.summary, "duration_s", "p50")
        bound = s.plan.lower_bound_s
        ratio_cells.append({"value": round(p50 / bound, 2) if p50 and bound else "—", "mark": ""})
    rows.append({"label": "p50 / lower bound", "cells": ratio_cells, "differs": True})
    fits = [window_fit(s) for s in simulations]
    if any(f != "any time" for f in fits):
        rows.append({"label": "Maintenance windows (started when simulated)",
                     "cells": [{"value": f, "mark": ""} for f in fits],
                     "differs": len(set(fits)) > 1})
    return {"done": True, "rows": rows}


def window_fit(simulation: Simulation) -> str:
    """"fits in N windows" for the simulation's sample run, or "any time": as simulated
    (started when the simulation was asked for), else its waves fitted from now."""
    from datetime import UTC, datetime, timedelta

    from planner.options import PlanOptions
    from planner.whatif import describe_fit
    from planner.windows import WindowFit, fit

    try:
        schedule = PlanOptions.from_dict(simulation.plan.options).schedule()
    except ValueError:
        return "—"
    if schedule.always:
        return "any time"
    sample = simulation.sample_run or {}
    if sample.get("windows_used"):
        return describe_fit(WindowFit(
            int(sample["windows_used"]),
            (simulation.created + timedelta(seconds=float(sample["duration_s"]))).astimezone(
                schedule.tz),
            float(sample.get("window_wait_s") or 0), float(sample.get("window_overrun_s") or 0)))
    durations, soak = [], 0.0
    for event in sorted((simulation.sample_run or {}).get("events") or [],
                        key=lambda e: e["time"]):
        if event["kind"] == "soak":
            soak = event["end"] - event["time"]
        elif event["kind"] == "wave":
            durations.append(soak + event["end"] - event["time"])
            soak = 0.0
    try:
        return describe_fit(fit(schedule, durations, datetime.now(UTC)))
    except ValueError as exc:
        return str(exc)
