"""After a run: planned against actual, per step and per VNF; calibration (pure).

Inputs are plain rows: the execution's steps (as ``StepRow``) and, when the
plan was simulated, one simulated run's events (``simulator.records.Event``
as dicts). Times are seconds from the execution's (or run's) start.

Calibration turns measured durations into suggested ``SimParams`` values,
as distributions in the simulator's dict format, for the next plan.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

# Our step (kind, planned action) -> the simulator's event kinds for it.
SIM_KINDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("disable", ""): ("disable",),
    ("switchover", "switchover"): ("switchover", "drain"),
    ("move", "live-migrate"): ("live-migrate",),
    ("move", "cold-migrate"): ("cold-migrate",),
    ("move", "stop-start"): ("stop",),
    ("upgrade", ""): ("upgrade", "reboot"),
    ("verify", ""): ("verify",),
    ("enable", ""): ("enable",),
    ("restore", "switchover"): ("start",),
    ("restore", "stop-start"): ("start",),
}

# Our step (kind, action) -> the SimParams duration it calibrates.
CALIBRATES: dict[tuple[str, str], str] = {
    ("disable", ""): "disable_s",
    ("switchover", "switchover"): "switchover_s",
    ("move", "live-migrate"): "migration_overhead_s",
    ("move", "cold-migrate"): "cold_migration_overhead_s",
    ("move", "stop-start"): "stop_s",
    ("upgrade", ""): "upgrade_s",
    ("verify", ""): "verify_s",
    ("enable", ""): "enable_s",
    ("restore", "switchover"): "start_s",
    ("restore", "stop-start"): "start_s",
}


@dataclass(frozen=True)
class StepRow:
    key: str
    wave: int
    host: str
    kind: str
    server: str
    action: str
    vnf: str
    state: str
    start_s: float | None
    end_s: float | None

    @property
    def actual_s(self) -> float | None:
        if self.start_s is None or self.end_s is None:
            return None
        return self.end_s - self.start_s


@dataclass(frozen=True)
class ReportLine:
    key: str
    wave: int
    host: str
    kind: str
    server: str
    vnf: str
    state: str
    actual_start_s: float | None
    actual_s: float | None
    planned_start_s: float | None
    planned_s: float | None

    @property
    def delta_s(self) -> float | None:
        if self.actual_s is None or self.planned_s is None:
            return None
        return self.actual_s - self.planned_s


def _sim_action(step: StepRow) -> tuple[str, str]:
    action = step.action if step.kind in ("switchover", "move", "restore") else ""
    return step.kind, action


def planned_spans(step: StepRow, events: Iterable[Mapping[str, Any]]
                  ) -> tuple[float | None, float | None]:
    """The simulated (start, duration) of a step: its matching events' span."""
    kinds = SIM_KINDS.get(_sim_action(step), ())
    spans = [(e["time"], e["end"]) for e in events
             if e["kind"] in kinds and e["host"] == step.host
             and (not step.server or e.get("server", "") == step.server)]
    if step.kind == "move" and not step.server:
        return None, None
    if not spans:
        return None, None
    start = min(s for s, _ in spans)
    return start, max(e for _, e in spans) - start


def step_report(steps: list[StepRow], sim_events: list[Mapping[str, Any]] | None = None
                ) -> list[ReportLine]:
    """One line per step: actual start and duration, and the simulated ones."""
    events = sim_events or []
    lines = []
    for step in steps:
        planned_start, planned = planned_spans(step, events) if events else (None, None)
        lines.append(ReportLine(
            key=step.key, wave=step.wave, host=step.host, kind=step.kind, server=step.server,
            vnf=step.vnf, state=step.state, actual_start_s=step.start_s,
            actual_s=step.actual_s, planned_start_s=planned_start, planned_s=planned))
    return lines


def vnf_report(steps: list[StepRow], planned_outage: Mapping[str, float] | None = None
               ) -> list[dict[str, Any]]:
    """Per VNF: switchovers, migrations, and how long members were out of service.

    A member is out from the start of its switchover (or stop) to the end of
    its restore; live-migrated members count only their migration time (the
    pause itself is too short to see from the API).
    """
    planned_outage = planned_outage or {}
    out: dict[str, dict[str, Any]] = {}
    # A member is parked and restored on one host: pair the steps by it.
    by_member: dict[tuple[str, str, str], dict[str, StepRow]] = {}
    for step in steps:
        if not (step.vnf and step.server):
            continue
        row = out.setdefault(step.vnf, {"vnf": step.vnf, "members": [], "switchovers": 0,
                                        "migrations": 0, "member_out_s": 0.0,
                                        "switchover_s": 0.0,
                                        "planned_outage_s": planned_outage.get(step.vnf)})
        if step.server not in row["members"]:
            row["members"].append(step.server)
        if step.kind == "switchover":
            row["switchovers"] += 1
            row["switchover_s"] += step.actual_s or 0.0
        if step.kind == "move" and step.action in ("live-migrate", "cold-migrate"):
            row["migrations"] += 1
            if step.action == "cold-migrate":  # a cold migration stops the member throughout
                row["member_out_s"] += step.actual_s or 0.0
        by_member.setdefault((step.vnf, step.server, step.host), {})[step.kind] = step
    for (vnf, _server, _host), kinds in by_member.items():
        parked = kinds.get("switchover") or kinds.get("move")
        restore = kinds.get("restore")
        if (parked and restore and parked.start_s is not None and restore.end_s is not None
                and (parked.kind == "switchover" or parked.action == "stop-start")):
            out[vnf]["member_out_s"] += restore.end_s - parked.start_s
    for row in out.values():
        row["member_out_s"] = round(row["member_out_s"], 3)
        row["switchover_s"] = round(row["switchover_s"], 3)
    return list(out.values())


def suggested_params(steps: list[StepRow]) -> dict[str, Any]:
    """Simulator parameters measured by this run (``SimParams.from_dict`` input).

    One sample gives a fixed value; more give a uniform range between the
    fastest and the slowest seen.
    """
    samples: dict[str, list[float]] = {}
    for step in steps:
        name = CALIBRATES.get(_sim_action(step))
        if name and step.state == "done" and step.actual_s is not None:
            samples.setdefault(name, []).append(round(step.actual_s, 3))
    params: dict[str, Any] = {}
    for name, values in sorted(samples.items()):
        if len(values) == 1 or min(values) == max(values):
            params[name] = {"kind": "fixed", "value": values[0]}
        else:
            params[name] = {"kind": "uniform", "low": min(values), "high": max(values)}
    return params


def calibration(steps: list[StepRow]) -> dict[str, Any]:
    """Suggested parameters with the evidence behind each."""
    evidence: dict[str, list[float]] = {}
    for step in steps:
        name = CALIBRATES.get(_sim_action(step))
        if name and step.state == "done" and step.actual_s is not None:
            evidence.setdefault(name, []).append(step.actual_s)
    summary = {name: {"n": len(values), "mean_s": round(statistics.fmean(values), 3)}
               for name, values in sorted(evidence.items())}
    return {"suggested_params": suggested_params(steps), "measured": summary}


def moves_report(moves: list[Mapping[str, Any]]) -> dict[str, Any]:
    """How the servers moved: migrations asked of Nova, unplanned moves, servers moved twice.

    Each move is ``{"server", "source", "dest", "kind", "requests", "planned"}``
    (``requests``: the migration requests Nova accepted for it, failed
    attempts included; a move with none found its server already gone).
    """
    done = [m for m in moves if m.get("requests")]
    per_server: dict[str, int] = {}
    for move in done:
        per_server[move["server"]] = per_server.get(move["server"], 0) + 1
    twice = sorted(s for s, n in per_server.items() if n >= 2)
    return {
        "live_migrations": sum(int(m["requests"]) for m in done
                               if m.get("kind") == "live-migrate"),
        "cold_migrations": sum(int(m["requests"]) for m in done
                               if m.get("kind") == "cold-migrate"),
        "servers_moved_twice": len(twice),
        "moved_twice": twice,
        "unplanned": [dict(m) for m in moves if not m.get("planned")],
    }


CSV_COLUMNS = ["key", "wave", "host", "kind", "server", "vnf", "state", "actual_start_s",
               "actual_s", "planned_start_s", "planned_s", "delta_s"]


def to_csv(lines: list[ReportLine]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for line in lines:
        data = asdict(line)
        data["delta_s"] = line.delta_s
        writer.writerow(["" if data[c] is None else (round(data[c], 3) if isinstance(
            data[c], float) else data[c]) for c in CSV_COLUMNS])
    return out.getvalue()
