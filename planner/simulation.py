"""The bridge from plans to the simulator: Monte Carlo figures and a scorer.

Pure (the simulator is a pure core too). One Monte Carlo (the simulator's)
and one duration (the end of the plan's last wave, ``RunResult.duration_s``)
serve the what-if, the bench and the stored simulations alike.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from domain.plan import Plan
from domain.snapshot import Snapshot
from simulator.engine import simulate
from simulator.montecarlo import monte_carlo
from simulator.params import SimParams

# Seeds are stored in an IntegerField: int32 on PostgreSQL.
MAX_SEED = 2**31 - 1


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


def simulate_runs(
    snapshot: Snapshot,
    plan: Plan,
    params: SimParams | None = None,
    runs: int = 20,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> SimFigures:
    """``runs`` seeded simulations of ``plan`` in this process (the Monte Carlo's seeds)."""
    summary = monte_carlo(snapshot, plan, params, runs=runs, seed=seed, processes=1, progress=progress)
    figures = summary.figures
    return SimFigures(
        runs=summary.runs,
        duration_s=figures["duration_s"],
        total_vnf_outage_s=figures["total_vnf_outage_s"],
        worst_vnf_outage_s=figures["worst_vnf_outage_s"],
        sla_violations=figures["sla_violations"],
        failures=figures["failures"],
        migrations=figures["migrations"],
        moved_twice=figures["servers_moved_twice"],
    )


def simulator_scorer(
    snapshot: Snapshot, params: SimParams | None = None, seeds: Sequence[int] = (0, 1)
) -> Callable[[Plan], float]:
    """A scorer for ``optimized``: the mean simulated duration over a few fixed seeds."""
    params = params or SimParams()

    def score(plan: Plan) -> float:
        return sum(simulate(snapshot, plan, params, s).duration_s for s in seeds) / len(seeds)

    return score
