"""The bridge from plans to the simulator: Monte Carlo figures and a scorer.

Pure (the simulator is a pure core too). The plan's duration is taken as
the end of its last wave, which does not depend on how the simulator ends
its clock (an early simulator version counted idle timers after the plan).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from inventory.snapshot import Snapshot
from planner.plan import Plan
from simulator.engine import simulate
from simulator.montecarlo import percentile, run_seeds
from simulator.params import SimParams
from simulator.records import WAVE, RunResult


def plan_end_s(result: RunResult) -> float:
    """When the plan's last wave ended (its real duration)."""
    ends = [e.end for e in result.events if e.kind == WAVE]
    return max(ends) if ends else result.duration_s


@dataclass(frozen=True)
class SimFigures:
    """Percentiles over Monte Carlo runs of one plan."""

    runs: int
    duration_s: dict[str, float]
    total_vnf_outage_s: dict[str, float]
    worst_vnf_outage_s: dict[str, float]
    sla_violations: dict[str, float]
    failures: dict[str, float]
    migrations: dict[str, float]
    moved_twice: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "duration_s": self.duration_s,
            "total_vnf_outage_s": self.total_vnf_outage_s,
            "worst_vnf_outage_s": self.worst_vnf_outage_s,
            "sla_violations": self.sla_violations,
            "failures": self.failures,
            "migrations": self.migrations,
            "moved_twice": self.moved_twice,
        }


def _stats(values: Sequence[float]) -> dict[str, float]:
    return {
        "p50": percentile(values, 50.0),
        "p95": percentile(values, 95.0),
        "max": max(values),
        "mean": sum(values) / len(values),
    }


def simulate_runs(
    snapshot: Snapshot,
    plan: Plan,
    params: SimParams | None = None,
    runs: int = 20,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> SimFigures:
    """``runs`` seeded simulations of ``plan``; run ``i`` uses the simulator's seed ``i``."""
    if runs < 1:
        raise ValueError("runs must be at least 1")
    params = params or SimParams()
    rows: list[RunResult] = []
    seeds = run_seeds(seed, runs)
    for done, run_seed in enumerate(seeds, start=1):
        rows.append(simulate(snapshot, plan, params, run_seed))
        if progress is not None:
            progress(done, runs)
    return SimFigures(
        runs=runs,
        duration_s=_stats([plan_end_s(r) for r in rows]),
        total_vnf_outage_s=_stats([r.total_vnf_outage_s for r in rows]),
        worst_vnf_outage_s=_stats([r.worst_vnf_outage_s for r in rows]),
        sla_violations=_stats([float(len(r.sla_violations)) for r in rows]),
        failures=_stats([float(len(r.failures)) for r in rows]),
        migrations=_stats([float(r.migrations) for r in rows]),
        moved_twice=_stats([float(len(r.servers_moved_twice)) for r in rows]),
    )


def simulator_scorer(
    snapshot: Snapshot, params: SimParams | None = None, seeds: Sequence[int] = (0, 1)
) -> Callable[[Plan], float]:
    """A scorer for ``optimized``: the mean simulated duration over a few fixed seeds."""
    params = params or SimParams()

    def score(plan: Plan) -> float:
        return sum(plan_end_s(simulate(snapshot, plan, params, s)) for s in seeds) / len(seeds)

    return score
