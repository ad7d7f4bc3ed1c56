"""No simulated run of any valid plan is shorter than the lower bound (random clouds and limits)."""

from __future__ import annotations

from dataclasses import fields, replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.errors import NoPlanError
from planner.lowerbound import lower_bound
from planner.strategies import STRATEGIES, make_plan
from planner.timing import timings_from
from planner.validator import resolve_targets, validate
from simulator.distributions import Fixed
from simulator.engine import simulate
from simulator.params import SimParams
from tests.planner.test_properties import inventories, options


def _fixed_at_means(params: SimParams) -> SimParams:
    """The same laws with every duration fixed at its mean: the bound's own view of time."""
    changes = {}
    for f in fields(params):
        value = getattr(params, f.name)
        if hasattr(value, "mean") and hasattr(value, "sample"):
            changes[f.name] = Fixed(value.mean)
    return replace(params, **changes)


DRAWN = SimParams()
FIXED = _fixed_at_means(DRAWN)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshot=inventories(), opts=options, seed=st.integers(0, 1000))
def test_no_run_of_a_valid_plan_beats_the_bound(snapshot, opts, seed):
    drawn = lower_bound(snapshot, opts, timings_from(DRAWN), params=DRAWN)
    fixed = lower_bound(snapshot, opts, timings_from(FIXED), params=FIXED)
    assert drawn.floor_s <= drawn.value + 1e-6
    for name in STRATEGIES:
        try:
            plan = make_plan(name, snapshot, opts)
        except NoPlanError:
            continue
        if not validate(snapshot, plan).ok:
            continue
        plan = resolve_targets(snapshot, plan)
        run = simulate(snapshot, plan, DRAWN, seed)
        assert run.duration_s >= drawn.floor_s - 1e-6, (name, run.duration_s, drawn)
        # With every duration at its mean, the bound itself is never beaten.
        exact = simulate(snapshot, plan, FIXED, seed)
        assert exact.duration_s >= fixed.value - 1e-6, (name, exact.duration_s, fixed.describe())
