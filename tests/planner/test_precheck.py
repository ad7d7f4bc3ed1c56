"""Every pre-check item: passing on a healthy cloud, and its fail or warn with reason and fix."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.plan import ActionKind
from domain.snapshot import Component, Release, ServiceState, ServiceStatus
from planner.errors import NoPlanError
from planner.options import PlanOptions
from planner.precheck import CHECKS, PrecheckResult, Status, run_precheck
from planner.strategies import STRATEGIES, make_plan
from tests.planner.builder import (
    NEW,
    active_standby,
    anti,
    cloud,
    host,
    pool,
    server,
    single,
    three_hosts,
)


def item(snapshot, check_id, options=None):
    items = {i.id: i for i in run_precheck(snapshot, options)}
    return items[check_id]


def healthy():
    """Three hosts; an HA pair and a pool, all live-migratable; no VNF without HA."""
    return cloud(
        [host("h1"), host("h2"), host("h3")],
        [server("a", "h1"), server("b", "h2"), server("p1", "h1"), server("p2", "h3")],
        [anti("fw", "a", "b"), anti("pl", "p1", "p2")],
        [active_standby("fw", "a", "b"), pool("pl", "p1", "p2")],
    )


def test_a_healthy_cloud_passes_every_item_in_a_stable_order():
    items = run_precheck(healthy())
    assert [i.id for i in items] == [
        "health.services-up",
        "health.services-enabled",
        "health.hosts",
        "health.servers-error",
        "health.servers-busy",
        "nfvi.capacity",
        "nfvi.fragmentation",
        "vnf.redundancy",
        "vnf.no-ha",
        "versions.valid",
        "versions.not-lower",
        "versions.major-skip",
        "versions.control-plane",
        "versions.migration",
        "blockers.maintenance",
        "blockers.not-live-migratable",
        "vnf.migration-type",
    ]
    assert len(items) == len(CHECKS)
    assert {i.id: i.status for i in items if i.status != Status.PASS} == {}
    result = PrecheckResult(tuple(items))
    assert result.ok and result.counts() == {"pass": 17, "warn": 0, "fail": 0}
    assert items[0].to_dict() == {
        "id": "health.services-up",
        "title": "Every nova-compute service is up",
        "status": "pass",
        "reason": "all 3 up",
        "fix": "",
        "subjects": [],
    }


def _with_host(snap, name, **changes):
    return replace(snap, hosts=tuple(replace(h, **changes) if h.name == name else h for h in snap.hosts))


def _with_server(snap, name, **changes):
    return replace(snap, servers=tuple(replace(s, **changes) if s.name == name else s for s in snap.servers))


def test_service_down_fails():
    i = item(_with_host(healthy(), "h2", service_state=ServiceState.DOWN), "health.services-up")
    assert (i.status, i.reason, i.subjects) == (
        Status.FAIL, "1 nova-compute service(s) down: h2", ("h2",)
    )
    assert "Bring the services back up" in i.fix


def test_disabled_without_reason_fails_with_reason_warns():
    silent = _with_host(healthy(), "h3", service_status=ServiceStatus.DISABLED)
    i = item(silent, "health.services-enabled")
    assert (i.status, i.subjects) == (Status.FAIL, ("h3",))
    assert i.reason == "1 service(s) disabled with no reason recorded: h3"
    deliberate = _with_host(healthy(), "h3", service_status=ServiceStatus.DISABLED, disabled_reason="faulty NIC")
    i = item(deliberate, "health.services-enabled")
    assert (i.status, i.subjects) == (Status.WARN, ("h3",))
    assert i.reason.startswith("1 service(s) deliberately disabled: h3")


def test_host_in_error_over_capacity_or_without_versions():
    snap = _with_host(healthy(), "h2", ram_mib=4096, components=())
    i = item(snap, "health.hosts")
    assert i.status == Status.FAIL
    assert i.reason == "h2 over its RAM capacity; h2 reports no software versions"


def test_server_in_error_fails():
    i = item(_with_server(healthy(), "a", status="ERROR"), "health.servers-error")
    assert (i.status, i.reason, i.subjects) == (Status.FAIL, "1 server(s) in ERROR: a", ("a",))


def test_server_mid_task_fails():
    snap = _with_server(healthy(), "p2", status="MIGRATING", task_state="migrating")
    i = item(snap, "health.servers-busy")
    assert (i.status, i.reason, i.subjects) == (
        Status.FAIL, "1 server(s) busy: p2 (migrating)", ("p2",)
    )


def test_nfvi_capacity_says_how_many_hosts_are_missing_and_where():
    snap = cloud(
        [host("a1"), host("b1", az="az2"), host("b2", az="az2")],
        [
            *(server(f"x{i}", "b1", ram_gib=12, vcpus=1) for i in range(5)),
            *(server(f"y{i}", "b2", ram_gib=12, vcpus=1) for i in range(5)),
        ],
    )
    i = item(snap, "nfvi.capacity")
    assert i.status == Status.FAIL
    assert i.reason == (
        "capacity: 1 more host's worth of RAM needed in az2 (to drain b1) "
        "(has az1: free RAM of 1.0 host; no host there has servers that must move (they "
        "switch over or stay); az2: free RAM of 0.1 hosts; emptying its hardest host, b1, "
        "moves 0.9 hosts' worth of RAM)"
    )
    assert i.subjects == ("az2",)


def _fragmented():
    """Three 64 GiB hosts each run one 40 GiB server without HA: 72 GiB free, 24 GiB per host."""
    return cloud(
        [host("h1"), host("h2"), host("h3")],
        [server("A", "h1", ram_gib=40), server("B", "h2", ram_gib=40), server("C", "h3", ram_gib=40)],
        vnfs=[single("A", "A"), single("B", "B"), single("C", "C")],
    )


def test_a_fragmented_zone_fails_the_precheck_with_the_remedy_in_numbers():
    snap = _fragmented()
    # In total the zone has room for any one host's servers...
    assert item(snap, "nfvi.capacity").status == Status.PASS
    # ...but in pieces of 24 GiB, and each server needs 40.
    i = item(snap, "nfvi.fragmentation")
    assert i.status == Status.FAIL
    assert i.reason == (
        "fragmentation in az1: from the start, no host can be drained: h1's A fits in no other "
        "host's free room (24 GiB RAM free at most, on h3; 48 GiB free in the zone)"
    )
    assert i.fix == "az1: 1 more host like h1 in az1, or free 16 GiB of RAM on h3, or allow stop-start of A."
    assert i.subjects == ("az1", "h1", "A")
    # The planner refuses it too, with the same words.
    for name in STRATEGIES:
        with pytest.raises(NoPlanError) as caught:
            make_plan(name, snap, PlanOptions(time_budget_s=1))
        assert caught.value.reasons[0].startswith("fragmentation in az1: from the start"), name


def test_each_remedy_of_a_fragmented_zone_is_enough():
    snap = _fragmented()
    # 1 more host like h1.
    more = replace(snap, hosts=(*snap.hosts, host("h4")))
    assert item(more, "nfvi.fragmentation").status == Status.PASS
    # Or 16 GiB freed on h3: C shrinks from 40 to 24 GiB.
    freed = replace(snap, servers=tuple(
        replace(s, ram_mib=24 * 1024) if s.name == "C" else s for s in snap.servers))
    assert item(freed, "nfvi.fragmentation").status == Status.PASS
    # Or stop-start allowed.
    stop = PlanOptions(allowed_actions=PlanOptions().allowed_actions | {ActionKind.STOP_START})
    assert item(snap, "nfvi.fragmentation", stop).status == Status.PASS


def test_a_pool_member_that_does_not_fit_is_remedied_by_scaling_in():
    snap = cloud(
        [host("h1"), host("h2"), host("h3")],
        [server("p1", "h1", ram_gib=40), server("p2", "h2", ram_gib=40), server("p3", "h3", ram_gib=40)],
        vnfs=[pool("p", "p1", "p2", "p3", required=2)],
    )
    no_switchover = PlanOptions(allowed_actions={ActionKind.LIVE_MIGRATE, ActionKind.COLD_MIGRATE})
    i = item(snap, "nfvi.fragmentation", no_switchover)
    assert i.status == Status.FAIL
    assert "or scale p in by 1" in i.fix and "or allow switchover for p" not in i.fix


def test_nfvi_capacity_counts_servers_parked_by_their_vnf_as_needing_no_room():
    snap = cloud(
        [host("h1", ram_gib=32), host("h2", ram_gib=32)],
        [server("a", "h1", ram_gib=24), server("b", "h2", ram_gib=24)],
        [anti("fw", "a", "b")],
        [active_standby("fw", "a", "b")],
    )
    assert item(snap, "nfvi.capacity").status == Status.WARN  # under one spare host
    no_switchover = PlanOptions(allowed_actions={ActionKind.LIVE_MIGRATE, ActionKind.STAY})
    assert item(snap, "nfvi.capacity", no_switchover).status == Status.FAIL


def test_vnf_redundancy_members_crowded_standby_missing_or_down():
    crowded = cloud(
        [host("h1"), host("h2")],
        [server("a", "h1"), server("b", "h1")],
        vnfs=[active_standby("fw", "a", "b")],
    )
    i = item(crowded, "vnf.redundancy")
    assert i.status == Status.FAIL
    assert i.reason == (
        "fw: more than max_impacted=1 members on h1; fw: active and standby on the same host"
    )
    down = _with_server(healthy(), "b", status="SHUTOFF")
    i = item(down, "vnf.redundancy")
    assert (i.status, i.reason) == (Status.FAIL, "fw: member(s) not running (b), no redundancy left")


def test_vnf_redundancy_warns_of_degraded_pools():
    snap = cloud(
        [host("h1"), host("h2")],
        [server("p1", "h1"), server("p2", "h2")],
        vnfs=[pool("pl", "p1", "p2", required=2)],
    )
    i = item(snap, "vnf.redundancy")
    assert i.status == Status.WARN
    assert i.reason == "pl: 1 of 2 required members left while 1 are out (degraded)"


def test_vnfs_without_ha_are_listed_with_their_outage():
    snap = three_hosts()
    i = item(snap, "vnf.no-ha")
    assert i.status == Status.WARN
    assert i.subjects == ("lone",)
    assert i.reason.startswith("1 VNF(s) without HA: lone ~0.")
    cold = _with_server(snap, "lone", live_migratable=False)
    i = item(cold, "vnf.no-ha")
    assert "over their outage budget: lone (~" in i.reason
    assert "budget 25 s)" in i.reason


def test_versions_must_be_semver_and_target_defined():
    bad = _with_host(healthy(), "h1", components=(Component("os", "one.two"),))
    i = item(bad, "versions.valid")
    assert (i.status, i.reason) == (Status.FAIL, "not semantic versions: h1 os 'one.two'")
    empty = replace(healthy(), target=Release("R2"))
    assert item(empty, "versions.valid").reason == "the target release names no component"


def test_target_lower_than_a_host_is_a_downgrade():
    snap = _with_host(healthy(), "h2", components=(Component("os", "1.2.0"), Component("nova-compute", "33.0.0")))
    i = item(snap, "versions.not-lower")
    assert (i.status, i.subjects) == (Status.FAIL, ("h2",))
    assert i.reason == "a downgrade is not an upgrade: h2 os 1.2.0 > 1.1.0"


def test_skipping_a_major_release_is_refused():
    snap = _with_host(healthy(), "h3", components=(Component("os", "1.0.0"), Component("nova-compute", "32.5.0")))
    i = item(snap, "versions.major-skip")
    assert i.status == Status.FAIL
    assert i.reason == (
        "jumps of more than one MAJOR release are refused: h3 nova-compute 32.5.0 -> 34.0.0"
    )


def test_control_plane_must_be_ahead_of_compute():
    behind = replace(healthy(), control_plane=(Component("nova-api", "33.2.0"),))
    i = item(behind, "versions.control-plane")
    assert (i.status, i.reason) == (
        Status.FAIL, "control plane behind: nova-api 33.2.0 < nova-compute 34.0.0"
    )
    unknown = replace(healthy(), control_plane=())
    assert item(unknown, "versions.control-plane").status == Status.WARN


def test_mixed_major_versions_limit_live_migration():
    snap = _with_host(healthy(), "h3", components=NEW)
    i = item(snap, "versions.migration")
    assert i.status == Status.WARN
    assert i.reason.startswith("hosts already run different MAJOR versions of nova-compute")
    # Only MINOR ahead: compatible, reported in the pass.
    minor = _with_host(healthy(), "h3", components=(Component("os", "1.1.0"), Component("nova-compute", "33.0.0")))
    i = item(minor, "versions.migration")
    assert (i.status, i.reason) == (Status.PASS, "old -> new only during the upgrade")


def test_host_already_in_maintenance_is_a_blocker():
    snap = _with_host(healthy(), "h1", service_status=ServiceStatus.DISABLED, disabled_reason="Maintenance: DIMM swap")
    i = item(snap, "blockers.maintenance")
    assert (i.status, i.subjects) == (Status.FAIL, ("h1",))
    assert i.reason == "1 host(s) disabled for maintenance: h1"
    # Not counted twice as a merely disabled host.
    assert item(snap, "health.services-enabled").status == Status.PASS


@pytest.mark.parametrize(
    ("allowed", "status"),
    [
        (frozenset(ActionKind) - {ActionKind.STOP_START}, Status.WARN),
        (frozenset({ActionKind.LIVE_MIGRATE, ActionKind.SWITCHOVER}), Status.FAIL),
    ],
)
def test_servers_that_cannot_live_migrate(allowed, status):
    snap = _with_server(three_hosts(), "lone", live_migratable=False, not_migratable_reason="SR-IOV")
    i = item(snap, "blockers.not-live-migratable", PlanOptions(allowed_actions=allowed))
    assert (i.status, i.subjects) == (status, ("lone",))


def test_servers_that_cannot_live_migrate_but_switch_over_pass():
    snap = _with_server(healthy(), "a", live_migratable=False)
    i = item(snap, "blockers.not-live-migratable")
    assert (i.status, i.reason) == (
        Status.PASS, "1 server(s) cannot live-migrate; their VNFs switch over instead"
    )

