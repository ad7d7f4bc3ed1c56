"""Moving a host to another wave re-plans what it affects, or is refused: never a plan with violations."""

from __future__ import annotations

import pytest

from inventory.demo import generate
from planner.edit import EditRefused, move_host
from planner.options import PlanOptions
from planner.strategies import STRATEGIES, make_plan
from planner.validator import validate
from tests.planner.builder import active_standby, anti, cloud, host, server

DEMO_OPTIONS = PlanOptions(hosts_per_wave=4, aggregate_share=1.0, time_budget_s=60)


def _demo():
    # The demo of ``make run``: 8 hosts in two zones, seed 7, 4 servers per host.
    return generate(8, seed=7, servers_per_host=4)


@pytest.mark.parametrize("name", list(STRATEGIES))
def test_moving_the_last_host_first_keeps_the_validator_at_zero(name):
    snap = _demo()
    plan = make_plan(name, snap, DEMO_OPTIONS)
    moved = 0
    for step in [s for w in plan.waves for s in w.hosts]:
        for wave in (1, len(plan.waves) + 1):
            try:
                edited = move_host(snap, plan, step.host, wave)
            except EditRefused as exc:
                assert exc.reasons and all(exc.reasons), (name, step.host)
                continue
            moved += 1
            assert validate(snap, edited).violations == (), (name, step.host, wave)
            where = {h: i for i, w in enumerate(edited.waves, 1) for h in w.host_names}
            assert where[step.host] == min(wave, len(edited.waves))
            assert sorted(where) == sorted(h for w in plan.waves for h in w.host_names)
            # No action names a host as it was before the move (the 8 violations).
            for _, hstep, action in edited.actions():
                assert action.source == hstep.host
    assert moved > 0, name


def test_a_moved_hosts_servers_go_elsewhere_than_its_new_wave():
    snap = cloud([host("h1"), host("h2"), host("h3")], [server("s1", "h1"), server("s3", "h3")])
    plan = make_plan("serial", snap, PlanOptions(hosts_per_wave=3))
    assert [w.host_names for w in plan.waves] == [("h1",), ("h2",), ("h3",)]
    edited = move_host(snap, plan, "h3", 1)
    assert [w.host_names for w in edited.waves] == [("h1", "h3"), ("h2",)]
    # Both servers leave the first wave for h2, the only host outside it;
    # h2's wave then sends them to upgraded hosts.
    assert [(a.server, a.source, a.target) for _, _, a in edited.actions()] == [
        ("s1", "h1", "h2"), ("s3", "h3", "h2"), ("s1", "h2", "h1"), ("s3", "h2", "h3"),
    ]
    assert validate(snap, edited).ok


def test_a_move_that_would_put_an_active_with_its_standby_is_refused_with_the_reason():
    snap = cloud(
        [host("h1"), host("h2"), host("h3")],
        [server("a", "h1"), server("b", "h2")],
        [anti("fw", "a", "b")],
        [active_standby("fw", "a", "b")],
    )
    plan = make_plan("serial", snap, PlanOptions(time_budget_s=1))
    where = {h: i for i, w in enumerate(plan.waves, 1) for h in w.host_names}
    with pytest.raises(EditRefused) as caught:
        move_host(snap, plan, "h2", where["h1"])
    text = " ".join(caught.value.reasons)
    assert f"moving h2 to wave {where['h1']}" in text
    assert "fw" in text


def test_unknown_hosts_and_waves_are_refused():
    snap = cloud([host("h1"), host("h2")])
    plan = make_plan("serial", snap, PlanOptions())
    with pytest.raises(EditRefused, match="host 'nope' is not in this plan"):
        move_host(snap, plan, "nope", 1)
    with pytest.raises(EditRefused, match=r"wave 9 does not exist \(1 to 3\)"):
        move_host(snap, plan, "h1", 9)
    assert move_host(snap, plan, "h1", 1) == plan
