"""Each step's simulated p95 duration, from the plan's simulation (for the watchdog).

The plan's latest simulation of the approved content is run again, in the
worker, for a few of its seeds (``simulator.montecarlo.run_seeds``: the
same runs its summary came from), and each step is matched with its
simulated events as the report does (``executor.report.planned_spans``).
The figures are stored on the steps once (``StepRecord.expected_s``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from executor.report import StepRow, planned_spans
from executor.steps import StepSpec
from simulator.montecarlo import percentile

# Runs re-simulated for the p95s: enough for a 95th percentile to mean
# something, few enough to stay well under a second on a large plan.
RUNS = 20


def step_p95(specs: Iterable[StepSpec], runs: Sequence[Sequence[Mapping[str, Any]]]
             ) -> dict[str, float]:
    """key -> the 95th percentile of the step's simulated duration over ``runs``."""
    out: dict[str, float] = {}
    for spec in specs:
        row = StepRow(key=spec.key, wave=spec.wave, host=spec.host, kind=str(spec.kind),
                      server=spec.server, action=spec.action, vnf=spec.vnf, state="",
                      start_s=None, end_s=None)
        durations = [d for events in runs
                     if (d := planned_spans(row, events)[1]) is not None]
        if len(durations) == len(runs) and durations:
            out[spec.key] = round(percentile(durations, 95.0), 3)
    return out


def expectations(execution, specs: Iterable[StepSpec]) -> dict[str, float]:
    """The p95s of ``execution``'s steps, computed once and stored on them."""
    from executor.models import StepRecord

    stored = dict(execution.steps.exclude(expected_s=None).values_list("key", "expected_s"))
    if stored:
        return stored
    from executor.reports import simulation_of

    simulation = simulation_of(execution)  # of the content run (plan_hash is the approval's)
    if simulation is None:
        return {}
    from inventory.services import load_snapshot
    from planner.export import plan_from_dict
    from simulator.engine import simulate
    from simulator.montecarlo import run_seeds
    from simulator.params import SimParams

    snapshot = load_snapshot(execution.plan.cloud)
    plan = plan_from_dict(execution.plan.content)
    params = SimParams.from_dict(simulation.params)
    seeds = run_seeds(simulation.seed, min(RUNS, max(1, simulation.runs)))
    runs = [simulate(snapshot, plan, params, seed).to_dict()["events"] for seed in seeds]
    p95 = step_p95(specs, runs)
    for key, value in p95.items():
        StepRecord.objects.filter(execution=execution, key=key).update(expected_s=value)
    return p95
