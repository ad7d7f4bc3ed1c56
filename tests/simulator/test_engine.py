"""Small upgrades told as the operator would, with their exact event logs.

Durations are fixed (tests/simulator/builders.fixed_params): disable 5 s,
switchover 2 s unless the VNF says otherwise, migration overhead 5 s, resume
0.1 s, stop 10 s, upgrade 600 s, reboot 300 s, verify 60 s, enable 5 s,
start 30 s, cold-migration overhead 60 s at 400 MiB/s. NICs carry 1000 MiB/s.
"""

from __future__ import annotations

import json

import pytest

from domain.plan import ActionKind as K
from domain.snapshot import GroupPolicy, HaModel, MemberRole, ServerGroup
from simulator.engine import simulate
from simulator.records import RunResult
from tests.simulator.builders import cloud, fixed_params, host, plan, server, step, vnf

ACTIVE, STANDBY, MEMBER = MemberRole.ACTIVE, MemberRole.STANDBY, MemberRole.MEMBER


def log(result: RunResult, *kinds: str) -> list[tuple[str, str, str, float, float]]:
    """(kind, host, server, start, end) rounded to the millisecond, in time order."""
    return [
        (e.kind, e.host, e.server, round(e.time, 3), round(e.end, 3))
        for e in result.events
        if not kinds or e.kind in kinds
    ]


def in_order(events: list[tuple[str, str, str, float, float]]) -> list[tuple[str, str, str, float, float]]:
    """Events as the result lists them: by start, end, host, server, kind."""
    return sorted(events, key=lambda e: (e[3], e[4], e[1], e[2], e[0]))


def host_steps(start: float, name: str) -> list[tuple[str, str, str, float, float]]:
    """Upgrade, reboot, verify, enable of a host whose drain ended at ``start``."""
    return [
        ("upgrade", name, "", start, start + 600),
        ("reboot", name, "", start + 600, start + 900),
        ("verify", name, "", start + 900, start + 960),
        ("enable", name, "", start + 960, start + 965),
    ]


def test_active_member_switched_over_then_its_neighbour_live_migrated() -> None:
    snap = cloud(
        [host("h1"), host("h2"), host("h3")],
        [server("a", "h1"), server("b", "h2"), server("c", "h1")],
        [vnf("v", HaModel.ACTIVE_STANDBY, [("a", ACTIVE), ("b", STANDBY)], switchover_s=3.0, outage_budget_s=5.0)],
    )
    p = plan(
        [step("h1", ("a", K.SWITCHOVER, None), ("c", K.LIVE_MIGRATE, None))],
        [step("h2", ("b", K.LIVE_MIGRATE, "h3"))],
    )
    result = simulate(snap, p, fixed_params(), seed=1)

    # c: 5 s overhead, 4096 MiB alone on 1000 MiB/s, nothing dirtied, 0.1 s resume.
    wave1 = [
        ("disable", "h1", "", 0.0, 5.0),
        ("switchover", "h1", "a", 5.0, 8.0),
        ("vnf-outage", "", "", 5.0, 8.0),
        ("live-migrate", "h1", "c", 8.0, 17.196),
        *host_steps(17.196, "h1"),
        ("start", "h1", "a", 982.196, 1012.196),
    ]
    wave2 = [
        ("disable", "h2", "", 1012.196, 1017.196),
        ("live-migrate", "h2", "b", 1017.196, 1026.392),
        *host_steps(1026.392, "h2"),
    ]
    assert log(result, *{k for k, *_ in wave1 + wave2}) == in_order(wave1 + wave2)
    assert result.duration_s == pytest.approx(1991.392)
    # The scheduler sent c to the emptier h3; b went where the plan said.
    assert [e.detail for e in result.events if e.kind == "live-migrate"] == ["to h3, 1 rounds", "to h3, 1 rounds"]
    assert result.vnf_outage_s == {"v": 3.0}
    assert result.vnf_worst_event_outage_s == {"v": 3.0}
    assert result.sla_violations == []
    assert result.server_downtime_s["a"] == pytest.approx(1007.196)
    assert result.server_downtime_s["b"] == pytest.approx(0.1)
    assert (result.migrations, result.live_migrations, result.servers_moved_twice) == (2, 2, [])
    assert result.hosts_upgraded == 2


def test_draining_a_pool_member_degrades_without_outage() -> None:
    snap = cloud(
        [host("h1"), host("h2"), host("h3")],
        [server("p1", "h1"), server("p2", "h2"), server("p3", "h3")],
        [vnf("pool", HaModel.N_PLUS_M, [("p1", MEMBER), ("p2", MEMBER), ("p3", MEMBER)], required_members=3)],
    )
    result = simulate(snap, plan([step("h1", ("p1", K.SWITCHOVER, None))]), fixed_params(), seed=1)
    assert log(result, "drain", "start", "vnf-outage") == [
        ("drain", "h1", "p1", 5.0, 7.0),
        ("start", "h1", "p1", 972.0, 1002.0),
    ]
    assert result.vnf_outage_s == {"pool": 0.0}
    assert result.vnf_degraded_s == {"pool": 997.0}


def test_a_vnf_without_ha_is_out_during_its_live_migration_downtime() -> None:
    snap = cloud(
        [host("h1"), host("h2")],
        [server("s", "h1", dirty=100.0)],
        [vnf("solo", HaModel.NONE, [("s", MEMBER)], outage_budget_s=0.1)],
    )
    result = simulate(snap, plan([step("h1", ("s", K.LIVE_MIGRATE, "h2"))]), fixed_params(), seed=1)
    # Rounds of 4096 and 409.6 MiB, then 40.96 MiB with the guest paused, then resume.
    outage = 0.04096 + 0.1
    migration = [e for e in result.events if e.kind == "live-migrate"][0]
    assert migration.detail == "to h2, 2 rounds"
    assert migration.downtime_s == pytest.approx(outage)
    assert migration.end == pytest.approx(10 + 4.096 + 0.4096 + outage)
    assert result.vnf_outage_s["solo"] == pytest.approx(outage)
    assert result.server_downtime_s["s"] == pytest.approx(outage)
    [violation] = result.sla_violations
    assert violation.vnf == "solo"
    assert violation.outage_s == pytest.approx(outage)
    assert violation.budget_s == 0.1


def test_stopped_and_untouched_servers_are_down_until_their_host_is_back() -> None:
    snap = cloud(
        [host("h1"), host("h2")],
        [server("s", "h1"), server("t", "h1"), server("off", "h1", status="SHUTOFF")],
        [vnf("solo", HaModel.NONE, [("s", MEMBER)])],
    )
    p = plan([step("h1", ("s", K.STOP_START, None), ("t", K.STAY, None), ("off", K.STAY, None))])
    result = simulate(snap, p, fixed_params(), seed=1)
    assert log(result) == in_order([
        ("wave", "", "", 0.0, 1010.0),
        ("disable", "h1", "", 0.0, 5.0),
        ("stop", "h1", "s", 5.0, 15.0),
        *host_steps(15.0, "h1"),
        ("start", "h1", "s", 980.0, 1010.0),
        ("start", "h1", "t", 980.0, 1010.0),
        ("vnf-outage", "", "", 5.0, 1010.0),
    ])
    assert result.server_downtime_s == {"s": 1005.0, "t": 995.0, "off": 0.0}
    assert result.vnf_outage_s == {"solo": 1005.0}


def test_two_migrations_into_one_host_share_its_nic() -> None:
    snap = cloud(
        [host("h1"), host("h2"), host("h3")],
        [server("small", "h1", ram=2048), server("big", "h2", ram=4096)],
    )
    p = plan([step("h1", ("small", K.LIVE_MIGRATE, "h3")), step("h2", ("big", K.LIVE_MIGRATE, "h3"))])
    result = simulate(snap, p, fixed_params(), seed=1)
    # Both copies start at 10 s at 500 MiB/s each; small ends at 14.096 s, then
    # big has the whole 1000 MiB/s for its last 2048 MiB.
    assert log(result, "live-migrate") == [
        ("live-migrate", "h1", "small", 5.0, 14.196),
        ("live-migrate", "h2", "big", 5.0, 16.244),
    ]


def test_a_fabric_caps_migrations_that_share_no_nic() -> None:
    snap = cloud(
        [host("h1"), host("h2"), host("h3"), host("h4")],
        [server("x", "h1"), server("y", "h2")],
    )
    p = plan([step("h1", ("x", K.LIVE_MIGRATE, "h3")), step("h2", ("y", K.LIVE_MIGRATE, "h4"))])
    result = simulate(snap, p, fixed_params(fabric_bandwidth_mibps=800.0), seed=1)
    # 400 MiB/s each through the fabric: 4096 MiB in 10.24 s.
    assert log(result, "live-migrate") == [
        ("live-migrate", "h1", "x", 5.0, 20.34),
        ("live-migrate", "h2", "y", 5.0, 20.34),
    ]
    faster = simulate(snap, p, fixed_params(fabric_bandwidth_mibps=800.0, bandwidth_factor=0.5), seed=1)
    # NICs at 500 MiB/s are above the fabric's 400 share: no change.
    assert log(faster, "live-migrate") == log(result, "live-migrate")


def test_one_outgoing_live_migration_per_host_by_default() -> None:
    snap = cloud([host("h1"), host("h2")], [server("a", "h1"), server("b", "h1")])
    p = plan([step("h1", ("a", K.LIVE_MIGRATE, "h2"), ("b", K.LIVE_MIGRATE, "h2"))])
    serial = simulate(snap, p, fixed_params(), seed=1)
    assert log(serial, "live-migrate") == [
        ("live-migrate", "h1", "a", 5.0, 14.196),
        ("live-migrate", "h1", "b", 14.196, 23.392),
    ]
    parallel = simulate(snap, p, fixed_params(max_concurrent_live_migrations=2), seed=1)
    assert log(parallel, "live-migrate") == [
        ("live-migrate", "h1", "a", 5.0, 18.292),
        ("live-migrate", "h1", "b", 5.0, 18.292),
    ]


def test_failed_live_migrations_are_retried_then_cold_migrated() -> None:
    snap = cloud([host("h1"), host("h2")], [server("c", "h1")])
    p = plan([step("h1", ("c", K.LIVE_MIGRATE, None))])
    result = simulate(snap, p, fixed_params(live_migration_failure_p=1.0), seed=3)
    assert [(f.server, f.kind, f.reason, f.action) for f in result.failures] == [
        ("c", "live-migration", "migration failed", "retry"),
        ("c", "live-migration", "migration failed", "cold-migrate"),
    ]
    [cold] = [e for e in result.events if e.kind == "cold-migrate"]
    # Down for the 60 s overhead and 4096 MiB at the 400 MiB/s disk rate.
    assert cold.detail == "to h2"
    assert cold.end - cold.time == pytest.approx(70.24)
    assert result.server_downtime_s["c"] == pytest.approx(70.24)
    assert (result.live_migrations, result.cold_migrations) == (0, 1)


def test_a_failed_migration_can_roll_the_host_back() -> None:
    snap = cloud([host("h1"), host("h2")], [server("c", "h1")])
    p = plan([step("h1", ("c", K.LIVE_MIGRATE, None))])
    params = fixed_params(live_migration_failure_p=1.0, migration_retries=0, migration_fallback="rollback-host")
    result = simulate(snap, p, params, seed=3)
    assert [f.action for f in result.failures] == ["rollback-host"]
    assert [e.kind for e in result.events if e.host == "h1"] == ["disable", "migration-failed", "rollback"]
    assert result.hosts_rolled_back == ["h1"]
    assert result.hosts_upgraded == 0
    assert result.server_downtime_s == {"c": 0.0}


def test_a_failed_upgrade_rolls_back_and_can_halt_the_plan() -> None:
    snap = cloud([host("h1"), host("h2")], [])
    p = plan([step("h1")], [step("h2")])
    rolled = simulate(snap, p, fixed_params(upgrade_failure_p=1.0), seed=1)
    assert log(rolled, "upgrade-failed", "rollback") == [
        ("upgrade-failed", "h1", "", 5.0, 605.0),
        ("rollback", "h1", "", 605.0, 1105.0),
        ("upgrade-failed", "h2", "", 1475.0, 2075.0),
        ("rollback", "h2", "", 2075.0, 2575.0),
    ]
    assert rolled.hosts_rolled_back == ["h1", "h2"]
    halted = simulate(snap, p, fixed_params(upgrade_failure_p=1.0, upgrade_failure_action="halt"), seed=1)
    assert halted.halted
    assert {e.host for e in halted.events} == {"", "h1"}
    assert [(f.host, f.action) for f in halted.failures] == [("h1", "halt")]


def test_the_scheduler_picks_the_most_free_ram_and_respects_anti_affinity() -> None:
    snap = cloud(
        [host("h1"), host("h2"), host("h3", ram=131072), host("h4", az="az2", ram=262144)],
        [server("a", "h1"), server("b", "h3")],
    )
    snap = type(snap)(
        cloud=snap.cloud, hosts=snap.hosts, servers=snap.servers,
        server_groups=(ServerGroup("g", GroupPolicy.ANTI_AFFINITY, ("a", "b")),),
    )
    result = simulate(snap, plan([step("h1", ("a", K.LIVE_MIGRATE, None))]), fixed_params(), seed=1)
    # h3 has the most free RAM in az1 but holds b, of a's anti-affinity group; h4 is in az2.
    assert [e.detail for e in result.events if e.kind == "live-migrate"] == ["to h2, 1 rounds"]


def test_an_explicit_target_being_upgraded_fails_the_migration() -> None:
    snap = cloud([host("h1"), host("h2"), host("h3")], [server("a", "h1")])
    p = plan([step("h1", ("a", K.LIVE_MIGRATE, "h2")), step("h2")])
    result = simulate(snap, p, fixed_params(migration_retries=0, migration_fallback="stop"), seed=1)
    assert [(f.reason, f.action) for f in result.failures] == [("target h2 cannot take it now", "stop")]
    assert log(result, "stop", "start") == [
        ("stop", "h1", "a", 10.0, 20.0),
        ("start", "h1", "a", 985.0, 1015.0),
    ]


def test_a_server_moved_onto_a_host_upgraded_later_is_moved_twice() -> None:
    snap = cloud([host("h1"), host("h2"), host("h3")], [server("a", "h1")])
    p = plan([step("h1", ("a", K.LIVE_MIGRATE, "h2"))], [step("h2", ("a", K.LIVE_MIGRATE, "h3"))])
    result = simulate(snap, p, fixed_params(), seed=1)
    assert result.servers_moved_twice == ["a"]
    assert result.migrations == 2
    assert result.servers_caught_by_upgrade == []


def test_a_server_the_plan_did_not_expect_on_a_host_is_caught_by_its_upgrade() -> None:
    # The plan expects the scheduler to send a to h3; it sends it to the emptier h2.
    snap = cloud([host("h1"), host("h2"), host("h3", ram=32768)], [server("a", "h1")])
    p = plan([step("h1", ("a", K.LIVE_MIGRATE, None))], [step("h2")], [step("h3", ("a", K.LIVE_MIGRATE, None))])
    result = simulate(snap, p, fixed_params(), seed=1)
    assert result.servers_caught_by_upgrade == ["a"]
    assert result.actions_skipped == ["a"]
    # Down from h2's upgrade start to its restart after h2's enable.
    assert result.server_downtime_s["a"] == pytest.approx(0.1 + 965 + 30)


def test_capacity_headroom_follows_hosts_out_of_service() -> None:
    snap = cloud([host("h1"), host("h2")], [server("a", "h1", ram=16384)])
    result = simulate(snap, plan([step("h1", ("a", K.LIVE_MIGRATE, "h2"))]), fixed_params(), seed=1)
    # 131072 MiB in all, 16384 used before the plan; h1 out of service from 0 s:
    # h2's 65536 free; a claims 16384 on h2 at 10 s, leaves h1 at 26.384 s
    # (resumed 0.1 s later); h1 is back at 26.484 + 965 s with nothing on it.
    ram = [(round(h.time, 3), h.ram_free_share) for h in result.capacity_headroom]
    assert ram == [(0.0, 0.875), (0.0, 0.5), (10.0, 0.375), (26.384, 0.375), (991.484, 0.875)]


def test_the_same_seed_reproduces_a_run_and_another_differs() -> None:
    snap = cloud([host("h1"), host("h2"), host("h3")], [server(f"s{i}", "h1", dirty=50.0) for i in range(4)])
    p = plan([step("h1", *[(f"s{i}", K.LIVE_MIGRATE, None) for i in range(4)])])
    from simulator.params import SimParams

    first = simulate(snap, p, SimParams(live_migration_failure_p=0.3), seed=11)
    again = simulate(snap, p, SimParams(live_migration_failure_p=0.3), seed=11)
    other = simulate(snap, p, SimParams(live_migration_failure_p=0.3), seed=12)
    assert first.to_dict() == again.to_dict()
    assert first.duration_s != other.duration_s


def test_a_server_nova_cannot_live_migrate_goes_straight_to_the_fallback() -> None:
    pinned = server("p", "h1")
    pinned = type(pinned)(**{**pinned.__dict__, "live_migratable": False, "not_migratable_reason": "SR-IOV port"})
    snap = cloud([host("h1"), host("h2")], [pinned])
    result = simulate(snap, plan([step("h1", ("p", K.LIVE_MIGRATE, None))]), fixed_params(), seed=1)
    assert [(f.reason, f.action) for f in result.failures] == [("cannot live-migrate: SR-IOV port", "cold-migrate")]
    assert log(result, "cold-migrate") == [("cold-migrate", "h1", "p", 5.0, 75.24)]


def test_a_plan_naming_what_the_inventory_lacks_is_refused() -> None:
    snap = cloud([host("h1"), host("h2")], [server("a", "h1")])
    with pytest.raises(ValueError, match="host 'h9', which is not in the inventory"):
        simulate(snap, plan([step("h9")]))
    with pytest.raises(ValueError, match="server 'zz'"):
        simulate(snap, plan([step("h1", ("zz", K.LIVE_MIGRATE, None))]))
    with pytest.raises(ValueError, match="twice"):
        simulate(snap, plan([step("h1")], [step("h1")]))


def test_a_result_is_json_ready() -> None:
    snap = cloud([host("h1"), host("h2")], [server("a", "h1", dirty=30.0)])
    result = simulate(snap, plan([step("h1", ("a", K.LIVE_MIGRATE, None))]), fixed_params(), seed=1)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["events"][0] == {
        "time": 0, "end": 5.0, "host": "h1", "server": "", "vnf": "", "kind": "disable", "detail": "",
        "downtime_s": 0.0,
    }
    assert data["migrations"] == 1


def test_live_migration_never_goes_from_a_newer_stack_to_an_older_one() -> None:
    from dataclasses import replace

    from domain.snapshot import Component

    newer = replace(host("h1"), components=(Component("nova-compute", "30.1.0"),))
    older = replace(host("h2", ram=262144), components=(Component("nova-compute", "30.0.0"),))
    same = replace(host("h3"), components=(Component("nova-compute", "30.1.0"),))
    snap = cloud([newer, older, same], [server("a", "h1"), server("b", "h1")])
    p = plan([step("h1", ("a", K.LIVE_MIGRATE, None), ("b", K.LIVE_MIGRATE, "h2"))])
    result = simulate(snap, p, fixed_params(migration_retries=0), seed=1)
    # h2 has the most free RAM but an older nova-compute: the scheduler skips it...
    assert [e.detail for e in result.events if e.kind == "live-migrate"] == ["to h3, 1 rounds"]
    # ...and Nova refuses it as an explicit target; the cold fallback may go there.
    assert [(f.server, f.reason) for f in result.failures] == [("b", "target h2 cannot take it now")]
    assert [e.detail for e in result.events if e.kind == "cold-migrate"] == ["to h2"]


def test_a_host_without_nic_bandwidth_in_the_inventory_gets_the_default() -> None:
    from dataclasses import replace

    snap = cloud([replace(host("h1"), nic_bandwidth_mibps=0.0), host("h2")], [server("a", "h1")])
    result = simulate(snap, plan([step("h1", ("a", K.LIVE_MIGRATE, "h2"))]), fixed_params(default_nic_bandwidth_mibps=512.0), seed=1)
    # 4096 MiB at min(512, 1000) MiB/s: 8 s of copy after 5 s disable and 5 s overhead.
    assert log(result, "live-migrate") == [("live-migrate", "h1", "a", 5.0, 18.1)]
