"""A VNF's migration_type is honoured by every strategy, the validator, the pre-check and the estimate.

live_migrate: only live migrations of its members (refused, naming the VNF,
when one cannot live-migrate); migrate: only cold migrations; own_action:
the VNF manager's own action, the plan's switchover (the executor hands it
to the VNF manager as OWN_ACTION), never a migration by Escalator.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.plan import ActionKind as K
from domain.plan import HostStep, Plan, ServerAction, Wave
from domain.snapshot import MigrationType, Snapshot
from planner.edit import EditRefused, move_host
from planner.errors import NoPlanError
from planner.estimate import estimate_duration
from planner.lowerbound import lower_bound
from planner.options import PlanOptions
from planner.precheck import Status, run_precheck
from planner.strategies import STRATEGIES, make_plan
from planner.timing import default_timings, estimate_cold_migration
from planner.validator import validate
from simulator.engine import simulate
from tests.planner.builder import (
    active_standby,
    anti,
    cloud,
    host,
    pool,
    server,
    single,
    three_hosts,
)

ALL = sorted(STRATEGIES)


def typed(snapshot: Snapshot, **types: str) -> Snapshot:
    """``snapshot`` with VNF name -> migration_type (and the server changes given as vnf=...)."""
    return replace(snapshot, vnfs=tuple(
        replace(v, migration_type=MigrationType(types[v.name])) if v.name in types else v
        for v in snapshot.vnfs))


def ha_cloud() -> Snapshot:
    """An active-standby pair, a pool of three and a lone server over four hosts."""
    return cloud(
        [host("h1"), host("h2"), host("h3"), host("h4")],
        [server("fw-a", "h1"), server("fw-b", "h2"), server("p1", "h1"), server("p2", "h2"),
         server("p3", "h3"), server("lone", "h3")],
        [anti("fw", "fw-a", "fw-b"), anti("pl", "p1", "p2", "p3")],
        [active_standby("fw", "fw-a", "fw-b"), pool("pl", "p1", "p2", "p3"), single("lone", "lone")],
    )


def kinds_of(plan: Plan, *servers: str) -> set[K]:
    return {a.kind for _, _, a in plan.actions() if a.server in servers}


@pytest.mark.parametrize("strategy", ALL)
def test_live_migrate_gets_only_live_migrations(strategy):
    snap = typed(ha_cloud(), fw="live_migrate", pl="live_migrate")
    plan = make_plan(strategy, snap)
    assert kinds_of(plan, "fw-a", "fw-b", "p1", "p2", "p3") == {K.LIVE_MIGRATE}
    assert validate(snap, plan).ok


@pytest.mark.parametrize("strategy", ALL)
def test_live_migrate_on_a_server_that_cannot_live_migrate_is_refused_naming_the_vnf(strategy):
    snap = typed(ha_cloud(), fw="live_migrate")
    snap = replace(snap, servers=tuple(
        replace(s, live_migratable=False, not_migratable_reason="SR-IOV port") if s.name == "fw-a" else s
        for s in snap.servers))
    with pytest.raises(NoPlanError) as caught:
        make_plan(strategy, snap)
    reasons = " ".join(caught.value.reasons)
    assert "fw-a: it cannot live-migrate (SR-IOV port)" in reasons
    assert "VNF fw's migration_type live_migrate allows only live-migrate" in reasons


@pytest.mark.parametrize("strategy", ALL)
def test_migrate_gets_only_cold_migrations(strategy):
    snap = typed(ha_cloud(), fw="migrate", pl="migrate", lone="migrate")
    plan = make_plan(strategy, snap)
    assert kinds_of(plan, "fw-a", "fw-b", "p1", "p2", "p3", "lone") == {K.COLD_MIGRATE}
    assert validate(snap, plan).ok


@pytest.mark.parametrize("strategy", ALL)
def test_migrate_when_cold_migration_is_not_allowed_is_refused_naming_the_vnf(strategy):
    snap = typed(ha_cloud(), pl="migrate")
    options = PlanOptions(allowed_actions=frozenset({K.LIVE_MIGRATE, K.SWITCHOVER, K.STAY}))
    with pytest.raises(NoPlanError) as caught:
        make_plan(strategy, snap, options)
    assert "VNF pl's migration_type migrate allows only cold-migrate" in " ".join(caught.value.reasons)


@pytest.mark.parametrize("strategy", ALL)
def test_own_action_is_the_vnf_managers_switchover_never_a_migration(strategy):
    snap = typed(ha_cloud(), fw="own_action", pl="own_action")
    plan = make_plan(strategy, snap)
    assert kinds_of(plan, "fw-a", "fw-b", "p1", "p2", "p3") == {K.SWITCHOVER}
    assert validate(snap, plan).ok
    assert not any("VNF fw" in w or "VNF pl" in w for w in plan.warnings)


@pytest.mark.parametrize("strategy", ALL)
def test_own_action_without_ha_is_its_managers_action_with_a_warning(strategy):
    snap = typed(ha_cloud(), lone="own_action")
    plan = make_plan(strategy, snap)
    assert kinds_of(plan, "lone") == {K.SWITCHOVER}
    assert validate(snap, plan).ok
    assert any(w.startswith("lone: VNF lone has no HA and asks for its VNF manager's own action")
               for w in plan.warnings)


@pytest.mark.parametrize("strategy", ALL)
def test_own_action_when_switchover_is_not_allowed_is_refused_naming_the_vnf(strategy):
    snap = typed(ha_cloud(), fw="own_action")
    options = PlanOptions(allowed_actions=frozenset({K.LIVE_MIGRATE, K.COLD_MIGRATE, K.STAY}))
    with pytest.raises(NoPlanError) as caught:
        make_plan(strategy, snap, options)
    reasons = " ".join(caught.value.reasons)
    assert "switchover is not among the allowed actions" in reasons
    assert "VNF fw's migration_type own_action allows only switchover" in reasons


@pytest.mark.parametrize("strategy", ALL)
def test_any_plans_as_before(strategy):
    snap = ha_cloud()
    assert make_plan(strategy, typed(snap, fw="any", pl="any", lone="any")) == make_plan(strategy, snap)


@pytest.mark.parametrize("strategy", ALL)
def test_a_shut_off_member_stays_whatever_its_type(strategy):
    snap = typed(ha_cloud(), pl="live_migrate")
    snap = replace(snap, servers=tuple(replace(s, status="SHUTOFF") if s.name == "p1" else s
                                       for s in snap.servers))
    plan = make_plan(strategy, snap)
    assert kinds_of(plan, "p1") == {K.STAY}
    assert kinds_of(plan, "p2", "p3") == {K.LIVE_MIGRATE}


# -- the validator: an imported or edited plan that contradicts a migration_type ---------
def hand_plan(*waves) -> Plan:
    built = tuple(Wave(tuple(HostStep(h, tuple(ServerAction(s, k, h, t) for s, k, t in acts))
                             for h, acts in wave)) for wave in waves)
    return Plan("hand", "R2", built, PlanOptions().to_dict())


GOOD = hand_plan(
    [("h3", [])],
    [("h1", [("fw-a", K.SWITCHOVER, None), ("lone", K.LIVE_MIGRATE, "h3")])],
    [("h2", [("fw-b", K.LIVE_MIGRATE, "h3")])],
)


def test_the_validator_refuses_an_action_against_the_migration_type_naming_server_and_vnf():
    assert validate(three_hosts(), GOOD).ok
    report = validate(typed(three_hosts(), fw="live_migrate", lone="migrate"), GOOD)
    assert [(v.rule, v.server, v.host, v.message) for v in report.violations] == [
        ("migration-type", "fw-a", "h1",
         "wave 2: switchover of fw-a on h1, but its VNF fw has migration_type live_migrate "
         "(live-migrate only)"),
        ("migration-type", "lone", "h1",
         "wave 2: live-migrate of lone on h1, but its VNF lone has migration_type migrate "
         "(cold-migrate only)"),
    ]
    report = validate(typed(three_hosts(), fw="own_action"), GOOD)
    assert [(v.rule, v.server) for v in report.violations] == [("migration-type", "fw-b")]


def test_the_validator_accepts_the_own_action_of_a_vnf_without_ha():
    own = hand_plan(
        [("h3", [])],
        [("h1", [("fw-a", K.SWITCHOVER, None), ("lone", K.SWITCHOVER, None)])],
        [("h2", [("fw-b", K.LIVE_MIGRATE, "h3")])],
    )
    assert validate(typed(three_hosts(), lone="own_action"), own).ok
    assert validate(three_hosts(), own).rules() == {"switchover-without-ha"}


# -- the pre-check ----------------------------------------------------------------------
def check(snapshot: Snapshot, options: PlanOptions | None = None):
    return {i.id: i for i in run_precheck(snapshot, options)}["vnf.migration-type"]


def test_precheck_fails_a_live_migrate_vnf_on_a_server_that_cannot_live_migrate():
    snap = typed(ha_cloud(), fw="live_migrate")
    assert check(snap).status == Status.PASS
    assert check(snap).reason == "1 VNF(s) ask for one action; each can be honoured"
    snap = replace(snap, servers=tuple(
        replace(s, live_migratable=False, not_migratable_reason="SR-IOV port") if s.name == "fw-b" else s
        for s in snap.servers))
    item = check(snap)
    assert (item.status, item.subjects) == (Status.FAIL, ("fw",))
    assert item.reason == "fw: migration_type live_migrate, but fw-b (SR-IOV port) cannot live-migrate"


def test_precheck_fails_a_migration_type_whose_action_is_not_allowed():
    options = PlanOptions(allowed_actions=frozenset({K.LIVE_MIGRATE, K.COLD_MIGRATE, K.STAY}))
    item = check(typed(ha_cloud(), pl="own_action"), options)
    assert (item.status, item.subjects) == (Status.FAIL, ("pl",))
    assert item.reason == ("pl: migration_type own_action needs switchover, which is not among "
                           "the allowed actions")


def test_precheck_warns_of_own_action_without_ha_and_passes_any():
    item = check(typed(ha_cloud(), lone="own_action"))
    assert (item.status, item.subjects) == (Status.WARN, ("lone",))
    assert check(ha_cloud()).reason == "no VNF asks for one action (migration_type any)"


# -- the estimate: recovery_time_s as the simulator waits it out -------------------------
def test_the_estimate_waits_out_recovery_time_before_the_next_member_goes():
    # Serial: h1 (p1 live to h3), h2 (p2 live to h1), h3 (p1 live to h2). Waves 2 and 3
    # each hold a member that waits recovery_time after the last one came back, i.e.
    # after its migration ended, a host's fixed steps before the wave began.
    snap = cloud([host("h1"), host("h2"), host("h3")],
                 [server("p1", "h1"), server("p2", "h2")], [anti("pl", "p1", "p2")],
                 [pool("pl", "p1", "p2")])
    plan = make_plan("serial", snap)
    assert [(a.server, a.kind, a.source, a.target) for _, _, a in plan.actions()] == [
        ("p1", K.LIVE_MIGRATE, "h1", "h3"), ("p2", K.LIVE_MIGRATE, "h2", "h1"),
        ("p1", K.LIVE_MIGRATE, "h3", "h2")]
    fixed = default_timings().host_fixed_s
    recovering = replace(snap, vnfs=tuple(replace(v, recovery_time_s=fixed + 100) for v in snap.vnfs))
    assert estimate_duration(recovering, plan) == pytest.approx(estimate_duration(snap, plan) + 200)
    # Shorter than the fixed steps: over before the next member's turn, nothing to wait.
    short = replace(snap, vnfs=tuple(replace(v, recovery_time_s=fixed / 2) for v in snap.vnfs))
    assert estimate_duration(short, plan) == pytest.approx(estimate_duration(snap, plan))


@pytest.mark.parametrize("strategy", ALL)
def test_a_plan_edited_by_hand_keeps_each_migration_type(strategy):
    snap = typed(ha_cloud(), fw="own_action", pl="migrate", lone="live_migrate")
    plan = make_plan(strategy, snap)
    edits = 0
    for _, step in list(plan.host_steps()):
        for wave in (1, len(plan.waves) + 1):
            try:
                edited = move_host(snap, plan, step.host, wave)
            except EditRefused:
                continue
            edits += 1
            assert validate(snap, edited).ok, (strategy, step.host, wave)
            assert kinds_of(edited, "fw-a", "fw-b") == {K.SWITCHOVER}
            assert kinds_of(edited, "p1", "p2", "p3") == {K.COLD_MIGRATE}
            assert kinds_of(edited, "lone") == {K.LIVE_MIGRATE}
    assert edits


def test_the_lower_bound_counts_only_the_action_each_migration_type_leaves():
    # Pool and pair parked by switchover move only the lone server and a pool member;
    # with migrate every running member's RAM moves, with own_action none of theirs.
    bound = {t: lower_bound(typed(ha_cloud(), fw=t, pl=t)) for t in ("any", "migrate", "own_action")}
    assert bound["migrate"].must_move_mib > bound["any"].must_move_mib
    assert bound["own_action"].must_move_mib <= bound["any"].must_move_mib
    for t, b in bound.items():
        snap = typed(ha_cloud(), fw=t, pl=t)
        for strategy in ALL:
            assert b.floor_s <= simulate(snap, make_plan(strategy, snap), seed=0).duration_s, (t, strategy)


def test_the_not_live_migratable_item_follows_the_migration_type():
    def item(snap):
        return {i.id: i for i in run_precheck(snap)}["blockers.not-live-migratable"]

    snap = replace(ha_cloud(), servers=tuple(
        replace(s, live_migratable=False, not_migratable_reason="SR-IOV port")
        if s.name in ("fw-a", "lone") else s for s in ha_cloud().servers))
    assert item(snap).reason == ("1 server(s) will be cold-migrated or stopped (an outage): "
                                 "lone (SR-IOV port); 1 more parked by their VNF's switchover")
    # fw-a's VNF asks for live migration: the migration-type item fails it, not this one.
    assert item(typed(snap, fw="live_migrate")).reason.startswith(
        "1 server(s) will be cold-migrated or stopped (an outage): lone (SR-IOV port)")
    assert "parked" not in item(typed(snap, fw="live_migrate")).reason
    # lone's manager takes it out itself: parked, nothing cold-migrated.
    assert item(typed(snap, lone="own_action")).reason == (
        "2 server(s) cannot live-migrate; their VNFs switch over instead")
    # fw-a's VNF asks for cold migration: it is cold-migrated, not parked.
    assert item(typed(snap, fw="migrate")).reason == (
        "2 server(s) will be cold-migrated or stopped (an outage): fw-a (SR-IOV port), "
        "lone (SR-IOV port)")


def test_the_outage_of_a_vnf_without_ha_follows_its_migration_type():
    def outage(snap):
        reason = {i.id: i for i in run_precheck(snap)}["vnf.no-ha"].reason
        return float(reason.split("lone ~")[1].split(" s")[0])

    t = default_timings()
    lone = next(s for s in ha_cloud().servers if s.name == "lone")
    live = outage(ha_cloud())
    assert live < 5  # live migration: a pause
    assert outage(typed(ha_cloud(), lone="migrate")) == pytest.approx(
        estimate_cold_migration(lone, t), abs=0.05)
    assert outage(typed(ha_cloud(), lone="own_action")) == pytest.approx(t.host_fixed_s, abs=0.05)
