"""What-if: plan one inventory with several strategies and compare them.

For each strategy: plan (timed), validate, simulate (Monte Carlo) and put
the figures side by side with the lower bound. Pure: no database; the
``whatif`` command and the web page only load the inventory and print.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from domain.plan import MOVING_ACTIONS, Plan
from domain.snapshot import Snapshot
from planner.errors import NoPlanError
from planner.export import document_hash, plan_to_dict
from planner.lowerbound import LowerBound, lower_bound
from planner.options import PlanOptions
from planner.simulation import SimFigures, simulate_runs
from planner.strategies import make_plan
from planner.timing import timings_from
from planner.validator import ValidationReport, resolve_targets, validate
from planner.windows import WindowFit
from simulator.engine import simulate
from simulator.params import SimParams
from simulator.records import SOAK, WAVE, RunResult

# Every strategy, as the web what-if offers them.
DEFAULT_STRATEGIES = ("serial", "az-by-az", "parallel", "optimized")


@dataclass(frozen=True)
class StrategyResult:
    """One strategy's row of the comparison (``error`` set when it found no plan)."""

    strategy: str
    planning_s: float
    plan: Plan | None = None
    validation: ValidationReport | None = None
    simulation: SimFigures | None = None
    error: list[str] = field(default_factory=list)
    document: dict[str, Any] | None = None
    windows: WindowFit | None = None  # how the waves fall into the maintenance windows

    @property
    def waves(self) -> int:
        return len(self.plan.waves) if self.plan else 0

    @property
    def migrations(self) -> int:
        if self.plan is None:
            return 0
        return sum(1 for _, _, a in self.plan.actions() if a.kind in MOVING_ACTIONS)

    def ratio(self, bound: LowerBound) -> float | None:
        if self.simulation is None or not bound.value:
            return None
        return self.simulation.duration_s["p50"] / bound.value

    def to_dict(self, bound: LowerBound) -> dict[str, Any]:
        sim = self.simulation
        return {
            "strategy": self.strategy,
            "planning_s": round(self.planning_s, 3),
            "error": self.error,
            "waves": self.waves,
            "migrations": self.migrations,
            "moved_twice": self.validation.moved_twice if self.validation else None,
            "moved_twice_min": bound.moved_twice_min,
            "valid": self.validation.ok if self.validation else None,
            "violations": [v.message for v in self.validation.violations] if self.validation else [],
            "duration_s": sim.duration_s if sim else None,
            "ratio_to_lower_bound": self.ratio(bound),
            "total_vnf_outage_s": sim.total_vnf_outage_s if sim else None,
            "worst_vnf_outage_s": sim.worst_vnf_outage_s if sim else None,
            "sla_violations": sim.sla_violations if sim else None,
            "windows": self.windows.to_dict() if self.windows else None,
            "simulation": sim.to_dict() if sim else None,
            "warnings": list(self.plan.warnings) if self.plan else [],
            # The plan judged, as ``export_plan`` writes it; its hash is the
            # content_hash ``manage.py plan`` gives the same inputs.
            "plan_hash": document_hash(self.document) if self.document else None,
            "plan": self.document,
        }


def describe_fit(windows: WindowFit) -> str:
    """"fits in N windows", with the waits between them and the worst overrun."""
    text = f"fits in {windows.windows} window{'s' if windows.windows != 1 else ''}"
    if windows.waiting_s:
        text += f", {windows.waiting_s / 3600:.1f} h waiting between them"
    if windows.overrun_s:
        text += f", a wave runs {windows.overrun_s / 60:.0f} min past its window's end"
    return text + f", ends {windows.end:%a %Y-%m-%d %H:%M %Z}"


def fit_of(run: RunResult, start: datetime, tz: tzinfo | None = None) -> WindowFit:
    """How a run simulated with the windows (``SimParams.windows`` from ``start``) fell
    into them: windows used, the waits between them, the worst overrun, the end (in ``tz``)."""
    end = start + timedelta(seconds=run.duration_s)
    return WindowFit(run.windows_used, end.astimezone(tz) if tz else end, run.window_wait_s,
                     run.window_overrun_s)


def wave_durations(run: RunResult) -> list[float]:
    """Each wave's simulated time with the soak before it, in order (for ``fit``)."""
    out: list[float] = []
    soak = 0.0
    for event in sorted(run.events, key=lambda e: e.time):
        if event.kind == SOAK:
            soak = event.end - event.time
        elif event.kind == WAVE:
            out.append(soak + event.end - event.time)
            soak = 0.0
    return out


@dataclass(frozen=True)
class Comparison:
    hosts: int
    servers: int
    options: PlanOptions
    lower_bound: LowerBound
    results: tuple[StrategyResult, ...]

    def result(self, strategy: str) -> StrategyResult:
        return next(r for r in self.results if r.strategy == strategy)

    def to_dict(self) -> dict[str, Any]:
        return {
            "hosts": self.hosts,
            "servers": self.servers,
            "options": self.options.to_dict(),
            "lower_bound": self.lower_bound.to_dict(),
            "strategies": [r.to_dict(self.lower_bound) for r in self.results],
        }


def compare(
    snapshot: Snapshot,
    strategies: Sequence[str] = DEFAULT_STRATEGIES,
    options: PlanOptions | None = None,
    params: SimParams | None = None,
    runs: int = 20,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
    start: datetime | None = None,
) -> Comparison:
    """Plan, validate and simulate ``snapshot`` with each strategy; with maintenance
    windows, how many windows each needs when started at ``start`` (default now)."""
    options = options or PlanOptions()
    params = params or SimParams()
    # The policy's soaks (unless it has none: a what-if's own stay) and reply deadline.
    params = options.simulated(params, given=() if options.soak_s or options.canary
                               else ("canary_soak_s", "soak_s"))
    schedule = options.schedule()
    start = start or datetime.now(UTC)
    # The simulation waits for the windows (its durations are wall-clock, gaps
    # included); the strategies plan on working time, as ``manage.py plan`` does.
    simulated = (params if schedule.always else
                 options.simulated(params, given=("canary_soak_s", "soak_s"), start=start))
    timings = timings_from(params)
    bound = lower_bound(snapshot, options, timings, params=params)
    results = []
    for name in strategies:
        if progress:
            progress(f"planning with {name}")
        started = time.perf_counter()
        try:
            # The same call as ``manage.py plan`` (with the what-if's simulator
            # parameters): same inputs, same plan.
            plan = make_plan(name, snapshot, options, timings=timings, sim_params=params)
        except NoPlanError as exc:
            results.append(
                StrategyResult(name, time.perf_counter() - started, error=list(exc.reasons))
            )
            continue
        planning_s = time.perf_counter() - started
        report = validate(snapshot, plan)
        if progress:
            progress(f"simulating {name} ({runs} runs)")
        # Simulate the destinations the validator checked (scheduler choices named).
        resolved = resolve_targets(snapshot, plan)
        figures = simulate_runs(snapshot, resolved, simulated, runs, seed)
        fits = None
        if not schedule.always:
            fits = fit_of(simulate(snapshot, resolved, simulated, seed), start, schedule.tz)
        results.append(
            StrategyResult(name, planning_s, plan, report, figures,
                           document=plan_to_dict(plan, snapshot), windows=fits)
        )
    return Comparison(
        hosts=len(snapshot.hosts),
        servers=len(snapshot.servers),
        options=options,
        lower_bound=bound,
        results=tuple(results),
    )


def _fmt(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def format_table(comparison: Comparison) -> str:
    """The comparison as a plain-text table, one row per strategy."""
    bound = comparison.lower_bound
    header = (
        "strategy", "waves", "migr.", "moved 2x", "p50 min", "p95 min", "x LB",
        "outage p50 s", "outage p95 s", "worst VNF p50 s", "worst p95 s", "SLA viol.", "valid",
    )
    rows: list[tuple[str, ...]] = [header]
    for r in comparison.results:
        if r.error:
            rows.append((r.strategy, "no plan", *([""] * (len(header) - 2))))
            continue
        sim = r.simulation
        assert sim is not None and r.validation is not None
        rows.append(
            (
                r.strategy,
                str(r.waves),
                str(r.migrations),
                str(r.validation.moved_twice),
                _fmt(sim.duration_s["p50"] / 60, 1),
                _fmt(sim.duration_s["p95"] / 60, 1),
                _fmt(r.ratio(bound), 2),
                _fmt(sim.total_vnf_outage_s["p50"], 1),
                _fmt(sim.total_vnf_outage_s["p95"], 1),
                _fmt(sim.worst_vnf_outage_s["p50"], 1),
                _fmt(sim.worst_vnf_outage_s["p95"], 1),
                _fmt(sim.sla_violations["p50"]),
                "yes" if r.validation.ok else f"NO ({len(r.validation.violations)})",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True)))
        for row in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    lines.append("")
    for r in comparison.results:
        if r.windows is not None:
            lines.append(f"{r.strategy}: {describe_fit(r.windows)} "
                         f"({comparison.options.schedule().describe()})")
    lines.append(
        f"{comparison.hosts} hosts, {comparison.servers} servers; lower bound "
        f"{bound.value / 60:.1f} min ({bound.describe()}); {bound.forced_waves} waves forced by "
        f"{bound.forced_by}; no run below {bound.floor_s / 60:.1f} min; at least "
        f"{bound.moved_twice_min} servers moved twice"
    )
    for r in comparison.results:
        if r.error:
            lines.append(f"{r.strategy}: no plan: " + "; ".join(r.error))
        elif r.validation and not r.validation.ok:
            for v in r.validation.violations[:5]:
                lines.append(f"{r.strategy}: {v.message}")
    return "\n".join(lines)
