"""Monte Carlo runs: derived seeds, percentiles, processes, progress."""

from __future__ import annotations

import pytest

from domain.plan import ActionKind as K
from domain.snapshot import HaModel, MemberRole
from simulator.engine import simulate
from simulator.montecarlo import monte_carlo, percentile, run_seeds, stats
from simulator.params import SimParams
from tests.simulator.builders import cloud, host, plan, server, step, vnf


def _case():  # type: ignore[no-untyped-def]
    snap = cloud(
        [host("h1"), host("h2"), host("h3")],
        [server("a", "h1", dirty=200.0), server("b", "h2", dirty=50.0), server("c", "h1")],
        [vnf("v", HaModel.ACTIVE_STANDBY, [("a", MemberRole.ACTIVE), ("b", MemberRole.STANDBY)], switchover_s=3.0)],
    )
    p = plan(
        [step("h1", ("a", K.SWITCHOVER, None), ("c", K.LIVE_MIGRATE, None))],
        [step("h2", ("b", K.LIVE_MIGRATE, None))],
    )
    return snap, p


def test_percentiles_interpolate_between_ranks() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.5
    assert percentile(values, 95) == pytest.approx(95.05)
    assert percentile(values, 99) == pytest.approx(99.01)
    assert stats([3.0, 1.0, 2.0]) == {"p50": 2.0, "p95": 2.9, "p99": 2.98, "max": 3.0, "mean": 2.0}


def test_seeds_are_derived_from_one_seed() -> None:
    assert run_seeds(7, 5) == run_seeds(7, 5)
    assert run_seeds(7, 5)[:3] == run_seeds(7, 3)
    assert len(set(run_seeds(7, 100))) == 100


def test_summary_matches_the_single_runs_and_reports_progress() -> None:
    snap, p = _case()
    params = SimParams(live_migration_failure_p=0.2)
    calls: list[tuple[int, int]] = []
    summary = monte_carlo(snap, p, params, runs=8, seed=5, processes=1, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(i, 8) for i in range(1, 9)]
    durations = [simulate(snap, p, params, s).duration_s for s in run_seeds(5, 8)]
    assert summary.duration_s["max"] == max(durations)
    assert summary.duration_s["p50"] == pytest.approx(percentile(durations, 50))
    assert [r["duration_s"] for r in summary.per_run] == durations
    # The switchover costs v 3 s in every run.
    assert summary.vnf_outage_s["v"]["p50"] == pytest.approx(3.0)
    assert summary.worst_vnf_outage_s["max"] == pytest.approx(3.0)
    assert set(summary.to_dict()) >= {"duration_s", "total_vnf_outage_s", "worst_vnf_outage_s", "vnf_outage_s",
                                       "vnf_degraded_s", "figures", "per_run"}


def test_processes_do_not_change_the_summary() -> None:
    snap, p = _case()
    params = SimParams(live_migration_failure_p=0.2)
    serial = monte_carlo(snap, p, params, runs=6, seed=9, processes=1)
    calls: list[int] = []
    parallel = monte_carlo(snap, p, params, runs=6, seed=9, processes=2, progress=lambda d, t: calls.append(d))
    assert serial.to_dict() == parallel.to_dict()
    assert calls == [1, 2, 3, 4, 5, 6]


def test_runs_from_a_threaded_process_give_the_same_summary() -> None:
    """A web server or task worker calls from a thread: workers must not be forked from it."""
    import threading

    snap, p = _case()
    params = SimParams(live_migration_failure_p=0.2)
    serial = monte_carlo(snap, p, params, runs=4, seed=9, processes=1)
    out: list[object] = []
    thread = threading.Thread(target=lambda: out.append(monte_carlo(snap, p, params, runs=4, seed=9, processes=2)))
    thread.start()
    thread.join(timeout=120)
    assert out and out[0].to_dict() == serial.to_dict()  # type: ignore[attr-defined]


def test_at_least_one_run() -> None:
    snap, p = _case()
    with pytest.raises(ValueError):
        monte_carlo(snap, p, runs=0)
