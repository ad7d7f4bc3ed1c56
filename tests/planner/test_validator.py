"""The validator catches every rule a hand-made plan breaks, with a clear message."""

from __future__ import annotations

from domain.plan import ActionKind as K
from domain.plan import HostStep, Plan, ServerAction, Wave
from domain.snapshot import ServiceStatus
from planner.options import PlanOptions
from planner.validator import resolve_targets, validate
from tests.planner.builder import (
    NEW,
    active_standby,
    anti,
    cloud,
    host,
    pool,
    server,
    three_hosts,
)


def plan(*waves, **options) -> Plan:
    """``plan([("h1", [(server, kind, target)...]), ...], ...)`` with default options."""
    built = []
    for wave in waves:
        steps = []
        for name, actions in wave:
            steps.append(
                HostStep(name, tuple(ServerAction(s, k, name, t) for s, k, t in actions))
            )
        built.append(Wave(tuple(steps)))
    return Plan("hand", "R2", tuple(built), PlanOptions(**options).to_dict())


# A correct plan of three_hosts(): h3 (empty) first, then h1 to h3, then h2 to h1.
GOOD = (
    [("h3", [])],
    [("h1", [("fw-a", K.SWITCHOVER, None), ("lone", K.LIVE_MIGRATE, "h3")])],
    [("h2", [("fw-b", K.LIVE_MIGRATE, "h3")])],
)


def test_a_correct_plan_passes_and_counts_its_moves():
    report = validate(three_hosts(), plan(*GOOD))
    assert report.violations == ()
    assert report.ok
    assert dict(report.moves) == {"lone": 1, "fw-b": 1}
    assert report.moved_twice == 0


def test_host_upgraded_twice():
    report = validate(three_hosts(), plan(*GOOD, [("h2", [])]))
    assert [v.message for v in report.violations] == [
        "h2 is upgraded twice (waves 3 and 4)"
    ]
    assert report.violations[0].rule == "host-twice"


def test_host_never_upgraded():
    report = validate(three_hosts(), plan(*GOOD[:2]))
    assert report.rules() == {"host-never"}
    assert report.violations[0].message == (
        "h2 is never upgraded (os 1.0.0 < 1.1.0, nova-compute 33.0.0 < 34.0.0)"
    )


def test_host_already_at_target_may_be_left_out():
    snap = cloud([host("h1"), host("h2", components=NEW)])
    assert validate(snap, plan([("h1", [])])).ok


def test_server_left_running_without_action():
    report = validate(three_hosts(), plan([("h3", [])], [("h1", [("fw-a", K.SWITCHOVER, None)])], [("h2", [("fw-b", K.LIVE_MIGRATE, "h3")])]))
    assert [(v.rule, v.server) for v in report.violations] == [("server-left", "lone")]
    assert "lone is left running on h1 during its upgrade without an action" in report.violations[0].message


def test_stay_is_only_for_servers_already_off():
    snap = cloud(
        [host("h1"), host("h2")],
        [server("off", "h1", status="SHUTOFF"), server("on", "h1")],
    )
    report = validate(snap, plan([("h1", [("off", K.STAY, None), ("on", K.STAY, None)])], [("h2", [])]))
    assert [(v.rule, v.server) for v in report.violations] == [("server-left", "on")]


def test_capacity_exceeded_on_target():
    # h2 has room for 64 GiB; it already runs 48 GiB and receives 24 GiB.
    snap = cloud(
        [host("h1"), host("h2")],
        [server("big", "h1", ram_gib=24), *(server(f"s{i}", "h2", ram_gib=16) for i in range(3))],
    )
    report = validate(snap, plan([("h1", [("big", K.LIVE_MIGRATE, "h2")])]))
    capacity = [v for v in report.violations if v.rule == "capacity"]
    assert [v.message for v in capacity] == [
        "wave 1: h2 is over its RAM capacity after receiving big (73728 MiB used of 65536 MiB)"
    ]


def test_vcpu_capacity_counts_the_allocation_ratio():
    snap = cloud(
        [host("h1"), host("h2", vcpus=4, cpu_allocation_ratio=2.0)],
        [server("a", "h1", vcpus=6), server("b", "h2", vcpus=4)],
    )
    report = validate(snap, plan([("h1", [("a", K.LIVE_MIGRATE, "h2")])], [("h2", [("b", K.LIVE_MIGRATE, "h1"), ("a", K.LIVE_MIGRATE, "h1")])]))
    assert [v.message for v in report.violations if v.rule == "capacity"] == [
        "wave 1: h2 is over its vCPU capacity after receiving a (10 used of 8)"
    ]


def test_disk_capacity():
    snap = cloud([host("h1"), host("h2", disk_gib=30)], [server("a", "h1"), server("b", "h2")])
    report = validate(snap, plan([("h1", [("a", K.COLD_MIGRATE, "h2")])]))
    assert "h2 is over its disk capacity after receiving a (40 GiB used of 30 GiB)" in report.violations[0].message


def test_two_members_of_an_anti_affinity_group_on_one_host():
    snap = cloud(
        [host("h1"), host("h2"), host("h3")],
        [server("a", "h1"), server("b", "h2")],
        [anti("g", "a", "b")],
    )
    report = validate(snap, plan([("h1", [("a", K.LIVE_MIGRATE, "h2")])], [("h2", [("a", K.LIVE_MIGRATE, "h1"), ("b", K.LIVE_MIGRATE, "h3")])], [("h3", [("b", K.LIVE_MIGRATE, "h2")])]))
    assert [v.message for v in report.violations] == [
        "wave 1: a joins b on h2, against anti-affinity group g"
    ]


def test_more_than_max_impacted_members_at_once():
    snap = cloud(
        [host("h1"), host("h2"), host("h3")],
        [server("p1", "h1"), server("p2", "h2"), server("p3", "h3")],
        vnfs=[pool("pool", "p1", "p2", "p3", max_impacted=1)],
    )
    report = validate(
        snap,
        plan([("h1", [("p1", K.SWITCHOVER, None)]), ("h2", [("p2", K.SWITCHOVER, None)])], [("h3", [("p3", K.SWITCHOVER, None)])]),
    )
    assert [v.message for v in report.violations] == [
        "wave 1: 2 members of VNF pool impacted at once (p1, p2), more than its max_impacted of 1"
    ]


def test_active_and_standby_down_together():
    snap = cloud(
        [host("h1"), host("h2"), host("h3")],
        [server("a", "h1"), server("b", "h2")],
        vnfs=[active_standby("fw", "a", "b", max_impacted=2)],
    )
    report = validate(snap, plan([("h1", [("a", K.SWITCHOVER, None)]), ("h2", [("b", K.LIVE_MIGRATE, "h3")])], [("h3", [("b", K.LIVE_MIGRATE, "h1")])]))
    assert [v.rule for v in report.violations] == ["active-standby"]
    assert report.violations[0].message == (
        "wave 1: the active and the standby of VNF fw are down together (a, b)"
    )


def test_live_migration_from_newer_to_older_host():
    # "new" is already at the target; a reaches it, then is sent back to old2.
    snap = cloud([host("new", components=NEW), host("old1"), host("old2")], [server("a", "old1")])
    report = validate(
        snap,
        plan(
            [("old1", [("a", K.LIVE_MIGRATE, "new")])],
            [("new", [("a", K.LIVE_MIGRATE, "old2")])],
            [("old2", [("a", K.LIVE_MIGRATE, "old1")])],
        ),
    )
    assert [v.message for v in report.violations] == [
        "wave 2: live migration of a from new to older host old2 "
        "(os 1.0.0 < 1.1.0, nova-compute 33.0.0 < 34.0.0)"
    ]


def test_cold_migration_to_an_older_host_is_allowed():
    snap = cloud([host("new", components=NEW), host("old")], [server("a", "new")])
    assert validate(snap, plan([("new", [("a", K.COLD_MIGRATE, "old")])], [("old", [("a", K.COLD_MIGRATE, "new")])])).ok


def test_target_upgraded_in_the_same_wave():
    report = validate(three_hosts(), plan([("h3", []), ("h1", [("fw-a", K.SWITCHOVER, None), ("lone", K.LIVE_MIGRATE, "h3")])], [("h2", [("fw-b", K.LIVE_MIGRATE, "h3")])]))
    assert [v.message for v in report.violations] == [
        "wave 1: lone is sent to h3, which is upgraded in the same wave"
    ]


def test_not_live_migratable_server_live_migrated():
    snap = cloud([host("h1"), host("h2")], [server("sriov", "h1", live_migratable=False, not_migratable_reason="SR-IOV port")])
    report = validate(snap, plan([("h1", [("sriov", K.LIVE_MIGRATE, "h2")])], [("h2", [("sriov", K.COLD_MIGRATE, "h1")])]))
    assert [v.message for v in report.violations] == ["wave 1: sriov cannot live-migrate (SR-IOV port)"]


def test_switchover_needs_a_vnf_with_ha():
    report = validate(three_hosts(), plan([("h3", [])], [("h1", [("fw-a", K.SWITCHOVER, None), ("lone", K.SWITCHOVER, None)])], [("h2", [("fw-b", K.LIVE_MIGRATE, "h3")])]))
    assert [v.message for v in report.violations] == [
        "wave 2: switchover of lone, but VNF lone has no HA"
    ]


def test_action_not_allowed_by_the_plan_options():
    p = plan(*GOOD, allowed_actions=["live-migrate", "stay"])
    report = validate(three_hosts(), p)
    assert [v.message for v in report.violations] == [
        "wave 2: switchover of fw-a is not among the allowed actions"
    ]


def test_wave_size_and_shares():
    snap = cloud([host(f"h{i}", aggregates=("dpdk",)) for i in range(4)])
    report = validate(snap, plan([(f"h{i}", []) for i in range(4)], hosts_per_wave=3, aggregate_share=0.5))
    assert [v.message for v in report.violations] == [
        "wave 1 upgrades 4 hosts, more than hosts_per_wave = 3",
        "wave 1 takes 4 of the 4 hosts of aggregate dpdk, more than its limit of 2 (50%)",
    ]


def test_migration_out_of_the_zone():
    snap = cloud([host("h1"), host("h2", az="az2")], [server("a", "h1")])
    report = validate(snap, plan([("h1", [("a", K.LIVE_MIGRATE, "h2")])], [("h2", [("a", K.LIVE_MIGRATE, "h1")])]))
    assert [v.message for v in report.violations] == [
        "wave 1: a leaves availability zone az1 for h2 in az2",
        "wave 2: a leaves availability zone az2 for h1 in az1",
    ]


def test_target_disabled():
    snap = cloud([host("h1"), host("h2", service_status=ServiceStatus.DISABLED, disabled_reason="x")], [server("a", "h1")])
    report = validate(snap, plan([("h1", [("a", K.LIVE_MIGRATE, "h2")])], [("h2", [("a", K.LIVE_MIGRATE, "h1")])]))
    assert report.violations[0].message == (
        "wave 1: a is sent to h2, whose nova-compute is disabled/up"
    )


def test_wrong_source_and_unknown_names():
    report = validate(three_hosts(), plan([("h3", []), ("h9", [])], [("h1", [("fw-b", K.SWITCHOVER, None), ("fw-a", K.SWITCHOVER, None), ("lone", K.LIVE_MIGRATE, "h3")])], [("h2", [("fw-b", K.LIVE_MIGRATE, "h3")])]))
    assert [v.message for v in report.violations] == [
        "wave 1: unknown host 'h9'",
        "wave 2: fw-b is on h2, not on h1 (action says source h1)",
    ]


def test_scheduler_model_picks_most_free_ram_and_reports_when_nothing_fits():
    snap = cloud(
        [host("h1"), host("h2"), host("h3")],
        [server("a", "h1", ram_gib=8), server("busy", "h2", ram_gib=32)],
    )
    p = plan(
        [("h1", [("a", K.LIVE_MIGRATE, None)])],
        [("h2", [("busy", K.LIVE_MIGRATE, None)])],
        [("h3", [("a", K.LIVE_MIGRATE, None)])],
    )
    report = validate(snap, p)
    assert report.ok
    assert report.scheduled == (
        (1, "a", "h3"),  # h3 (64 GiB free) before h2 (32 GiB free)
        (2, "busy", "h1"),  # h1 (64 GiB free) before h3 (56 GiB free)
        (3, "a", "h2"),  # h2 (64 GiB free) before h1 (32 GiB free)
    )
    assert report.moved_twice == 1
    named = resolve_targets(snap, p)
    assert [a.target for _, _, a in named.actions()] == ["h3", "h1", "h2"]
    full = cloud([host("h1", ram_gib=8), host("h2", ram_gib=8)], [server("a", "h1"), server("b", "h2")])
    report = validate(full, plan([("h1", [("a", K.LIVE_MIGRATE, None)])], [("h2", [("b", K.LIVE_MIGRATE, None)])]))
    assert [v.message for v in report.violations] == [
        "wave 1: the scheduler finds no host for a (2 vCPU, 8192 MiB, 20 GiB)",
        "wave 2: the scheduler finds no host for b (2 vCPU, 8192 MiB, 20 GiB)",
    ]


def test_every_violation_is_reported_not_only_the_first():
    report = validate(three_hosts(), plan([("h1", [])], [("h1", [])]))
    assert [(v.rule, v.wave, v.host or "", v.server or "") for v in report.violations] == [
        ("server-left", 1, "h1", "fw-a"),
        ("server-left", 1, "h1", "lone"),
        ("host-twice", 2, "h1", ""),
        ("server-left", 2, "h1", "fw-a"),
        ("server-left", 2, "h1", "lone"),
        ("host-never", None, "h2", ""),
        ("host-never", None, "h3", ""),
    ]
