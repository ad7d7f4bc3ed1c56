"""Each strategy on small clouds whose right answer is known, and why no plan exists."""

from __future__ import annotations

import pytest

from domain.plan import ActionKind as K
from inventory.demo import generate
from planner.errors import NoPlanError, UnknownStrategyError
from planner.options import PlanOptions
from planner.strategies import STRATEGIES, make_plan
from planner.strategies.optimized import moved_twice
from planner.validator import resolve_targets, validate
from tests.planner.builder import (
    active_standby,
    anti,
    cloud,
    host,
    server,
    single,
    three_hosts,
)

FAST = PlanOptions(time_budget_s=0.2)


def waves_of(plan):
    return [list(w.host_names) for w in plan.waves]


def actions_of(plan):
    return [(a.server, a.kind, a.source, a.target) for _, _, a in plan.actions()]


def test_registry_names_the_four_strategies():
    assert list(STRATEGIES) == ["serial", "az-by-az", "parallel", "optimized"]
    with pytest.raises(UnknownStrategyError, match="unknown strategy 'fastest'; choose from serial"):
        make_plan("fastest", three_hosts())


def test_serial_one_host_at_a_time_and_names_the_schedulers_choice():
    snap = three_hosts()
    plan = make_plan("serial", snap, FAST)
    assert waves_of(plan) == [["h1"], ["h2"], ["h3"]]
    # The scheduler spreads (most free RAM): lone lands on h2, to move again.
    assert actions_of(plan) == [
        ("fw-a", K.LIVE_MIGRATE, "h1", "h3"),
        ("lone", K.LIVE_MIGRATE, "h1", "h2"),
        ("fw-b", K.LIVE_MIGRATE, "h2", "h1"),
        ("lone", K.LIVE_MIGRATE, "h2", "h1"),
        ("fw-a", K.LIVE_MIGRATE, "h3", "h2"),
    ]
    report = validate(snap, plan)
    assert report.ok
    # Every destination is named: the validator's scheduler has nothing to choose.
    assert resolve_targets(snap, plan) == plan
    assert report.moved_twice == 2
    assert plan.strategy == "serial" and plan.target_release == "R2"
    assert plan.options == FAST.to_dict()


def _four_hosts_one_group():
    return cloud(
        [host(f"a{i}", aggregates=("gen",)) for i in range(1, 5)],
        [server("g1", "a1"), server("g2", "a2")],
        [anti("G", "g1", "g2")],
    )


def test_parallel_respects_wave_size_groups_and_aggregate_share():
    snap = _four_hosts_one_group()
    plan = make_plan("parallel", snap, PlanOptions(hosts_per_wave=3, aggregate_share=0.5))
    # a2 holds a member of G (already touched by a1), a3 receives g1: neither joins wave 1;
    # the aggregate "gen" (4 hosts, 50 %) allows 2 hosts at once.
    assert waves_of(plan) == [["a1", "a4"], ["a2"], ["a3"]]
    assert validate(snap, plan).ok


def test_parallel_wave_size_limit():
    snap = cloud([host(f"h{i}") for i in range(5)])
    plan = make_plan("parallel", snap, PlanOptions(hosts_per_wave=2))
    assert waves_of(plan) == [["h0", "h1"], ["h2", "h3"], ["h4"]]


def test_az_by_az_never_mixes_zones():
    snap = cloud(
        [host("b1", az="az2"), host("a1"), host("b2", az="az2"), host("a2")],
        [server("s1", "a1"), server("s2", "b1")],
    )
    plan = make_plan("az-by-az", snap, PlanOptions(hosts_per_wave=4))
    # a2 and b2 receive the servers of a1 and b1: each goes in a wave of its own.
    assert waves_of(plan) == [["a1"], ["a2"], ["b1"], ["b2"]]
    assert validate(snap, plan).ok
    for wave in plan.waves:
        assert len({snap.host_by_name[h].az for h in wave.host_names}) == 1


def test_az_by_az_packs_a_zone_when_nothing_conflicts():
    snap = cloud([host("a1"), host("a2"), host("b1", az="az2")])
    plan = make_plan("az-by-az", snap, PlanOptions(hosts_per_wave=4))
    assert waves_of(plan) == [["a1", "a2"], ["b1"]]


def test_optimized_uses_ha_upgraded_targets_and_never_moves_twice():
    snap = three_hosts()
    plan = make_plan("optimized", snap, FAST)
    assert validate(snap, plan).ok
    # Two waves: the standby's host and the empty host first, then the active's.
    assert sorted(plan.waves[0].host_names) == ["h2", "h3"]
    assert plan.waves[1].host_names == ("h1",)
    actions = {a.server: (a.kind, a.target) for _, _, a in plan.actions()}
    # The standby is drained by its VNF (no outage, nothing to move).
    assert actions["fw-b"] == (K.SWITCHOVER, None)
    # The active's live-migration downtime (~0.1 s) costs less than its 5 s
    # switchover; it goes to h3, already upgraded (h2 holds its standby).
    assert actions["fw-a"] == (K.LIVE_MIGRATE, "h3")
    assert actions["lone"][0] == K.LIVE_MIGRATE
    assert actions["lone"][1] in {"h2", "h3"}
    assert moved_twice(plan) == 0


def test_optimized_switches_over_an_active_that_cannot_live_migrate():
    snap = cloud(
        [host("h1"), host("h2"), host("h3")],
        [server("a", "h1", live_migratable=False), server("b", "h2")],
        [anti("fw", "a", "b")],
        [active_standby("fw", "a", "b")],
    )
    plan = make_plan("optimized", snap, FAST)
    actions = {a.server: (wave, a.kind) for wave, _, a in plan.actions()}
    assert actions["a"][1] == K.SWITCHOVER
    # Once a has switched over, b is the active member: moving it live costs
    # ~0.1 s of downtime where switching back would cost 5 s.
    if actions["b"][0] > actions["a"][0]:
        assert actions["b"][1] == K.LIVE_MIGRATE
    else:
        assert actions["b"][1] == K.SWITCHOVER
    assert validate(snap, plan).ok


def test_optimized_prefers_switchover_when_it_is_as_cheap():
    # A 10 ms switchover costs less than the ~0.1 s of a live migration's downtime.
    snap = cloud(
        [host("h1"), host("h2"), host("h3")],
        [server("a", "h1"), server("b", "h2")],
        vnfs=[active_standby("fw", "a", "b", switchover_s=0.01)],
    )
    plan = make_plan("optimized", snap, FAST)
    assert {a.server: a.kind for _, _, a in plan.actions()} == {
        "a": K.SWITCHOVER, "b": K.SWITCHOVER
    }


def test_no_plan_says_which_zone_lacks_capacity():
    snap = cloud(
        [host("a1"), host("a2"), host("b1", az="az2"), host("b2", az="az2")],
        [
            *(server(f"x{i}", "b1", ram_gib=12, vcpus=1) for i in range(5)),
            *(server(f"y{i}", "b2", ram_gib=12, vcpus=1) for i in range(5)),
        ],
        vnfs=[*(single(f"x{i}", f"x{i}") for i in range(5)), *(single(f"y{i}", f"y{i}") for i in range(5))],
    )
    for name in STRATEGIES:
        with pytest.raises(NoPlanError) as caught:
            make_plan(name, snap, FAST)
        # b1 must shed 60 GiB; b2 has 4 GiB free: 56 GiB short, one 64 GiB host's worth.
        assert caught.value.reasons[0] == (
            "capacity: 1 more host's worth of RAM needed in az2 (to drain b1)"
        ), name
        assert (
            "b1: no allowed action or destination for x0: no room for it (12 GiB RAM, 1 vCPU, "
            "20 GiB disk) on any host of az2 outside this wave (most free: 4 GiB RAM on b2)"
        ) in caught.value.reasons, name
        baseline = caught.value.reasons[-1].endswith("the optimized strategy (VNF switchovers, "
                                                     "steered destinations) may still find a plan")
        assert baseline == (name != "optimized"), name


def test_no_plan_when_active_and_standby_share_a_host():
    snap = cloud(
        [host("h1"), host("h2")],
        [server("a", "h1"), server("b", "h1")],
        vnfs=[active_standby("fw", "a", "b")],
    )
    with pytest.raises(NoPlanError, match="h1: an active and its standby are both on this host"):
        make_plan("optimized", snap, FAST)


def test_stop_start_only_when_allowed():
    snap = cloud([host("h1", ram_gib=16), host("h2", ram_gib=16)], [server("a", "h1", ram_gib=12), server("b", "h2", ram_gib=12)])
    with pytest.raises(NoPlanError):
        make_plan("serial", snap, FAST)
    allowed = FAST.with_(allowed_actions=FAST.allowed_actions | {K.STOP_START})
    plan = make_plan("serial", snap, allowed)
    assert [a.kind for _, _, a in plan.actions()] == [K.STOP_START, K.STOP_START]
    assert validate(snap, plan).ok


def test_hosts_already_at_target_are_not_planned():
    from tests.planner.builder import NEW

    snap = cloud([host("h1"), host("h2", components=NEW)], [server("a", "h1")])
    plan = make_plan("optimized", snap, FAST)
    assert waves_of(plan) == [["h1"]]
    assert actions_of(plan) == [("a", K.LIVE_MIGRATE, "h1", "h2")]


def test_demo_cloud_every_strategy_valid_and_optimized_moves_less():
    snap = generate(24, seed=3)
    options = PlanOptions(hosts_per_wave=3, time_budget_s=0.5)
    plans = {name: make_plan(name, snap, options) for name in STRATEGIES}
    for name, plan in plans.items():
        report = validate(snap, plan)
        assert report.violations == (), name
        assert {h for w in plan.waves for h in w.host_names} == {h.name for h in snap.hosts}
    assert len(plans["serial"].waves) == 24
    assert len(plans["optimized"].waves) <= len(plans["parallel"].waves)
    assert validate(snap, plans["optimized"]).moved_twice < validate(snap, plans["serial"]).moved_twice
    assert sum(1 for _, _, a in plans["optimized"].actions() if a.kind == K.SWITCHOVER) > 0
    assert all(a.target is not None for _, _, a in plans["optimized"].actions() if a.kind in (K.LIVE_MIGRATE, K.COLD_MIGRATE))


def test_az_by_az_on_the_make_run_demo_groups_a_zones_hosts_unlike_serial():
    # The demo of ``make run``: 8 hosts in two zones, seed 7, 4 servers per host.
    snap = generate(8, seed=7, servers_per_host=4)
    options = PlanOptions(hosts_per_wave=4, aggregate_share=1.0)
    serial_plan, by_zone = make_plan("serial", snap, options), make_plan("az-by-az", snap, options)
    assert len(serial_plan.waves) == 8
    assert waves_of(by_zone) != waves_of(serial_plan)
    assert len(by_zone.waves) < 8 and max(len(w.hosts) for w in by_zone.waves) >= 2
    zones = [{snap.host_by_name[h].az for h in w.host_names} for w in by_zone.waves]
    assert all(len(z) == 1 for z in zones)
    # Zone after zone: once the next zone starts, the first never comes back.
    order = [z.pop() for z in zones]
    assert order == sorted(order)
    assert validate(snap, by_zone).violations == ()


HOT = {"dirty_rate_mibps": 3000.0, "working_set_mib": 8192, "memory_used_mib": 8192}


@pytest.mark.parametrize("name", list(STRATEGIES))
def test_no_strategy_live_migrates_a_guest_that_will_not_converge_when_another_action_is_allowed(name):
    snap = cloud([host("h1"), host("h2"), host("h3")], [server("hot", "h1", **HOT)])
    plan = make_plan(name, snap, FAST)
    kinds = {a.server: a.kind for _, _, a in plan.actions()}
    assert kinds["hot"] == K.COLD_MIGRATE
    assert plan.warnings == ()
    assert validate(snap, plan).ok


@pytest.mark.parametrize("name", list(STRATEGIES))
def test_an_unavoidable_unconverging_live_migration_is_planned_with_a_warning(name):
    snap = cloud([host("h1"), host("h2"), host("h3")], [server("hot", "h1", **HOT)])
    only_live = FAST.with_(allowed_actions={K.LIVE_MIGRATE, K.STAY})
    plan = make_plan(name, snap, only_live)
    moves = [a for _, _, a in plan.actions()]
    assert moves and {a.kind for a in moves} == {K.LIVE_MIGRATE}
    # One warning per such migration (serial moves it twice).
    assert len(plan.warnings) == len(moves)
    first = moves[0]
    assert plan.warnings[0].startswith(f"hot: its live migration from h1 to {first.target} will not")
    assert "converge by the migration model (dirty rate 3000 MiB/s)" in plan.warnings[0]


def test_each_wave_says_what_kept_the_next_waves_hosts_out():
    snap = cloud(
        [host("h1"), host("h2"), host("h3"), host("h4")],
        [server("a", "h1"), server("b", "h2")],
        [anti("fw", "a", "b")],
        [active_standby("fw", "a", "b")],
    )
    plan = make_plan("parallel", snap, PlanOptions(hosts_per_wave=4, aggregate_share=1.0))
    assert validate(snap, plan).ok
    assert plan.waves[-1].why == ""
    first = plan.waves[0]
    assert "h2" not in first.host_names
    assert "h2" in plan.waves[1].host_names
    assert "anti-affinity group fw: h2" in first.why or "VNF fw" in first.why
    serial_plan = make_plan("serial", snap, FAST)
    assert serial_plan.waves[0].why == "the wave is full (hosts_per_wave 1): h2"
