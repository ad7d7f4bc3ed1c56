"""Common random numbers: two plans simulated with one seed draw the same durations per server and host.

A comparison of two plans' outage (bench/planner.py) is then the plans'
difference, not the luck of their draws.
"""

from __future__ import annotations

from domain.plan import ActionKind as K
from simulator.distributions import Uniform
from simulator.engine import simulate
from simulator.montecarlo import monte_carlo
from simulator.records import COLD_MIGRATE
from tests.simulator.builders import cloud, fixed_params, host, plan, server, step

# Only the cold migration's overhead and the upgrade are random here.
PARAMS = fixed_params(cold_migration_overhead_s=Uniform(40.0, 80.0), upgrade_s=Uniform(500.0, 700.0))
CLOUD = cloud(
    [host("a"), host("b"), host("c"), host("d")],
    [server("s1", "a"), server("s2", "b"), server("s3", "c")],
)


def _cold_outage(result, name: str) -> float:
    """How long the server's cold migration lasted (its overhead, drawn, and its copy)."""
    (event,) = [e for e in result.events if e.kind == COLD_MIGRATE and e.server == name]
    return event.end - event.time


def _two_orders():
    # The same moves in another order: a's server first in one, last in the other.
    first = plan([step("a", ("s1", K.COLD_MIGRATE, "d"))], [step("b", ("s2", K.COLD_MIGRATE, "a"))],
                 [step("c", ("s3", K.COLD_MIGRATE, "a"))], [step("d")])
    last = plan([step("c", ("s3", K.COLD_MIGRATE, "d"))], [step("b", ("s2", K.COLD_MIGRATE, "c"))],
                [step("a", ("s1", K.COLD_MIGRATE, "c"))], [step("d")])
    return first, last


def test_the_same_server_draws_the_same_cold_migration_in_two_plans() -> None:
    first, last = _two_orders()
    for seed in (1, 2, 3):
        one = simulate(CLOUD, first, PARAMS, seed, common_numbers=True)
        other = simulate(CLOUD, last, PARAMS, seed, common_numbers=True)
        for name in ("s1", "s2", "s3"):
            # The overhead is drawn; the copy is the same bytes over one NIC.
            assert abs(_cold_outage(one, name) - _cold_outage(other, name)) < 1e-6, (seed, name)


def test_without_common_numbers_the_draws_follow_the_order_of_the_plan() -> None:
    first, last = _two_orders()
    differ = 0
    for seed in (1, 2, 3):
        one = simulate(CLOUD, first, PARAMS, seed)
        other = simulate(CLOUD, last, PARAMS, seed)
        differ += any(abs(_cold_outage(one, n) - _cold_outage(other, n)) > 1e-6 for n in ("s1", "s2", "s3"))
    assert differ == 3


def test_common_numbers_still_vary_between_seeds_and_reproduce_within_one() -> None:
    first, _ = _two_orders()
    runs = monte_carlo(CLOUD, first, PARAMS, runs=6, seed=4, processes=1, common_numbers=True)
    again = monte_carlo(CLOUD, first, PARAMS, runs=6, seed=4, processes=1, common_numbers=True)
    outages = [r["total_server_downtime_s"] for r in runs.per_run]
    assert outages == [r["total_server_downtime_s"] for r in again.per_run]
    assert len(set(outages)) == 6
