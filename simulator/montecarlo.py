"""Monte Carlo: N runs of a plan with seeds derived from one seed, summarised in percentiles.

The runs fan out over processes (``multiprocessing``); ``processes=1`` runs
them in this process. Workers send back only each run's figures (not its
events), so the cost of a run is the simulation, not pickling. The summary
does not depend on the number of processes: run ``i`` always gets seed
``seeds[i]`` and the figures are kept in run order.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import random
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from domain.plan import Plan
from domain.snapshot import Snapshot
from simulator.engine import simulate
from simulator.params import SimParams

PERCENTILES = (("p50", 50.0), ("p95", 95.0), ("p99", 99.0))
# Figures of a run summarised over all runs (see RunResult.figures).
SCALAR_FIGURES = (
    "duration_s",
    "total_vnf_outage_s",
    "worst_vnf_outage_s",
    "total_server_downtime_s",
    "sla_violations",
    "failures",
    "migrations",
    "servers_moved_twice",
    "servers_caught_by_upgrade",
    "min_ram_headroom",
    "windows_used",
    "window_wait_s",
    "vnfm_wait_s",
    "recovery_wait_s",
)


def run_seeds(seed: int, runs: int) -> list[int]:
    """The seed of every run, derived from one seed."""
    rng = random.Random(seed)
    return [rng.getrandbits(63) for _ in range(runs)]


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def stats(values: Sequence[float]) -> dict[str, float]:
    out = {name: percentile(values, q) for name, q in PERCENTILES}
    out["max"] = max(values) if values else math.nan
    out["mean"] = sum(values) / len(values) if values else math.nan
    return out


@dataclass
class Summary:
    """Percentiles (p50, p95, p99, max, mean) of every figure over the runs."""

    runs: int
    seed: int
    duration_s: dict[str, float]
    total_vnf_outage_s: dict[str, float]
    worst_vnf_outage_s: dict[str, float]
    figures: dict[str, dict[str, float]]  # every scalar figure, the above included
    vnf_outage_s: dict[str, dict[str, float]]
    vnf_degraded_s: dict[str, dict[str, float]]
    halted_share: float  # share of runs the failure policy stopped early
    per_run: list[dict[str, Any]] = field(default_factory=list)  # scalar figures, in run order

    def to_dict(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "seed": self.seed,
            "duration_s": self.duration_s,
            "total_vnf_outage_s": self.total_vnf_outage_s,
            "worst_vnf_outage_s": self.worst_vnf_outage_s,
            "figures": self.figures,
            "vnf_outage_s": self.vnf_outage_s,
            "vnf_degraded_s": self.vnf_degraded_s,
            "halted_share": self.halted_share,
            "per_run": self.per_run,
        }


def summarise(all_figures: Sequence[dict[str, Any]], seed: int) -> Summary:
    """Aggregate the figures of runs (``RunResult.figures()``) into a Summary."""
    scalars = {name: stats([f[name] for f in all_figures]) for name in SCALAR_FIGURES}
    vnfs = sorted({name for f in all_figures for name in f["vnf_outage_s"]})
    outage = {v: stats([f["vnf_outage_s"].get(v, 0.0) for f in all_figures]) for v in vnfs}
    degraded = {v: stats([f["vnf_degraded_s"].get(v, 0.0) for f in all_figures]) for v in vnfs}
    halted = sum(1 for f in all_figures if f["halted"]) / len(all_figures) if all_figures else 0.0
    per_run = [{k: f[k] for k in ("seed", *SCALAR_FIGURES, "halted")} for f in all_figures]
    return Summary(
        runs=len(all_figures),
        seed=seed,
        duration_s=scalars["duration_s"],
        total_vnf_outage_s=scalars["total_vnf_outage_s"],
        worst_vnf_outage_s=scalars["worst_vnf_outage_s"],
        figures=scalars,
        vnf_outage_s=outage,
        vnf_degraded_s=degraded,
        halted_share=halted,
        per_run=per_run,
    )


# A worker's inputs, set once per process by _init (not pickled per run).
_job: tuple[Snapshot, Plan, SimParams, bool] | None = None


def _init(snapshot: Snapshot, plan: Plan, params: SimParams, common_numbers: bool = False) -> None:
    global _job
    _job = (snapshot, plan, params, common_numbers)


def _run(job: tuple[Snapshot, Plan, SimParams, bool], item: tuple[int, int]) -> tuple[int, dict[str, Any]]:
    index, seed = item
    snapshot, plan, params, common_numbers = job
    figures = simulate(snapshot, plan, params, seed, common_numbers).figures()
    figures["seed"] = seed
    return index, figures


def _one(item: tuple[int, int]) -> tuple[int, dict[str, Any]]:
    assert _job is not None
    return _run(_job, item)


def monte_carlo(
    snapshot: Snapshot,
    plan: Plan,
    params: SimParams | None = None,
    runs: int = 100,
    seed: int = 0,
    processes: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    common_numbers: bool = False,
) -> Summary:
    """Simulate ``plan`` ``runs`` times; ``progress(done, total)`` is called as runs complete.

    ``processes=None`` uses every core (at most one per run); ``1`` stays in
    this process. ``common_numbers``: each run draws per server and host
    (simulator.engine), so two plans simulated with the same ``seed`` and
    ``runs`` can be compared run by run.
    """
    if runs < 1:
        raise ValueError("runs must be at least 1")
    params = params or SimParams()
    items = list(enumerate(run_seeds(seed, runs)))
    workers = min(runs, processes or os.cpu_count() or 1)
    results: list[dict[str, Any] | None] = [None] * runs
    if workers <= 1:
        # In this process the inputs stay local: the module-level job is per
        # worker process, and threads of one process may run simulations at once.
        _collect(map(partial(_run, (snapshot, plan, params, common_numbers)), items), results, progress)
    else:
        context = multiprocessing.get_context(_start_method())
        chunk = max(1, runs // (workers * 4))
        with context.Pool(workers, initializer=_init, initargs=(snapshot, plan, params, common_numbers)) as pool:
            _collect(pool.imap_unordered(_one, items, chunksize=chunk), results, progress)
    return summarise([r for r in results if r is not None], seed)


def _start_method() -> str:
    """fork when it is safe: it shares the inputs with the workers for free.

    Forking a process that runs other threads (a web server, a task worker)
    can copy a lock held by one of them and deadlock the child: then the
    workers come from a clean single-threaded forkserver (inputs pickled once
    per worker). Without fork at all (not POSIX), spawn.
    """
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return "fork"
    if "forkserver" in methods:
        return "forkserver"
    return "spawn"


def _collect(
    stream: Iterable[tuple[int, dict[str, Any]]],
    results: list[dict[str, Any] | None],
    progress: Callable[[int, int], None] | None,
) -> None:
    done = 0
    for index, figures in stream:
        results[index] = figures
        done += 1
        if progress is not None:
            progress(done, len(results))
