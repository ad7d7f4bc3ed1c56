"""The demo cloud generator: the properties that demos, benchmarks and other tests rely on."""

from __future__ import annotations

import itertools
import json
import math
import re
from collections import Counter, defaultdict

import pytest
import semver
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.snapshot import (
    GroupPolicy,
    HaModel,
    MemberRole,
    ServiceState,
    ServiceStatus,
    Snapshot,
)
from inventory.consistency import find_problems
from inventory.demo import generate, wave_hosts
from inventory.demo_catalog import FLAVORS, NIC_10GBE_MIBPS
from inventory.files import dump_inventory, parse_inventory

ANTI = (GroupPolicy.ANTI_AFFINITY, GroupPolicy.SOFT_ANTI_AFFINITY)


@pytest.fixture(scope="module")
def cloud() -> Snapshot:
    return generate(100, seed=42)


def used_by_host(snapshot: Snapshot) -> dict[str, tuple[int, int, int]]:
    """(vCPUs, RAM MiB, disk GiB) allocated to servers, per host."""
    return {
        host.name: (
            sum(s.vcpus for s in snapshot.servers_by_host[host.name]),
            sum(s.ram_mib for s in snapshot.servers_by_host[host.name]),
            sum(s.disk_gib for s in snapshot.servers_by_host[host.name]),
        )
        for host in snapshot.hosts
    }


def free_by_host(snapshot: Snapshot) -> dict[str, tuple[float, float, float]]:
    used = used_by_host(snapshot)
    return {
        h.name: (
            h.vcpu_capacity - used[h.name][0],
            h.ram_capacity_mib - used[h.name][1],
            h.disk_capacity_gib - used[h.name][2],
        )
        for h in snapshot.hosts
    }


def ram_in_use(snapshot: Snapshot) -> float:
    capacity = sum(h.ram_capacity_mib for h in snapshot.hosts)
    return sum(s.ram_mib for s in snapshot.servers) / capacity


def zones(snapshot: Snapshot) -> dict[str, list[str]]:
    by_az: dict[str, list[str]] = defaultdict(list)
    for host in snapshot.hosts:
        by_az[host.az].append(host.name)
    return by_az


def assert_capacity_respected(snapshot: Snapshot) -> None:
    used = used_by_host(snapshot)
    for host in snapshot.hosts:
        vcpus, ram, disk = used[host.name]
        assert vcpus <= host.vcpu_capacity, host.name
        assert ram <= host.ram_capacity_mib, host.name
        assert disk <= host.disk_capacity_gib, host.name


def assert_anti_affinity(snapshot: Snapshot) -> None:
    """Members of (soft-)anti-affinity groups on distinct hosts; each VNF in one group and one AZ."""
    servers = snapshot.server_by_name
    for group in snapshot.server_groups:
        assert group.policy in ANTI
        hosts = [servers[m].host for m in group.members]
        assert len(set(hosts)) == len(hosts), group.name
    group_members = {frozenset(g.members) for g in snapshot.server_groups}
    for vnf in snapshot.vnfs:
        if len(vnf.members) > 1:
            assert frozenset(vnf.servers) in group_members, vnf.name
        assert len({snapshot.host_by_name[servers[s].host].az for s in vnf.servers}) == 1


def assert_zone_can_drain(snapshot: Snapshot, wave: int) -> None:
    """In every AZ, the other hosts' free capacity takes any ``wave`` hosts' servers.

    Every combination is tried on small AZs; on large ones the worst wave, the
    hosts of largest capacity (free outside >= used inside is the same as
    the AZ's total free >= the wave's total capacity).
    """
    free, used = free_by_host(snapshot), used_by_host(snapshot)
    for az, names in zones(snapshot).items():
        for size in sorted({1, min(wave, len(names) - 1)}):
            if math.comb(len(names), size) <= 5000:
                waves = itertools.combinations(names, size)
            else:
                caps = {h.name: h.ram_capacity_mib for h in snapshot.hosts}
                waves = [sorted(names, key=caps.__getitem__, reverse=True)[:size]]
            total_free = [sum(free[n][r] for n in names) for r in range(3)]
            for out in waves:
                for r in range(3):
                    outside = total_free[r] - sum(free[n][r] for n in out)
                    inside = sum(used[n][r] for n in out)
                    assert outside >= inside, (az, out, ("vcpu", "ram", "disk")[r])


def assert_vnfs_well_formed(snapshot: Snapshot) -> None:
    for vnf in snapshot.vnfs:
        roles = [m.role for m in vnf.members]
        assert vnf.outage_budget_s in (5.0, 15.0, 25.0), vnf.name
        if vnf.ha_model is HaModel.ACTIVE_STANDBY:
            assert roles == [MemberRole.ACTIVE, MemberRole.STANDBY]
            assert (vnf.required_members, vnf.max_impacted) == (1, 1)
        elif vnf.ha_model is HaModel.N_PLUS_M:
            assert set(roles) == {MemberRole.MEMBER}
            assert vnf.max_impacted >= 1 and vnf.required_members >= 1
            assert vnf.required_members + vnf.max_impacted == len(roles)
        else:
            assert roles == [MemberRole.MEMBER]
            assert vnf.switchover_s == 0.0
        if vnf.ha_model is not HaModel.NONE:
            assert 1.0 <= vnf.switchover_s <= 5.0
            assert vnf.switchover_s < vnf.outage_budget_s


def assert_invariants(snapshot: Snapshot) -> None:
    assert find_problems(snapshot) == []
    assert_capacity_respected(snapshot)
    assert_anti_affinity(snapshot)
    assert_zone_can_drain(snapshot, wave_hosts(len(snapshot.hosts)))
    assert_vnfs_well_formed(snapshot)
    assert len({s.name for s in snapshot.servers}) == len(snapshot.servers)
    assert len({s.uuid for s in snapshot.servers}) == len(snapshot.servers)
    for server in snapshot.servers:
        assert 0 < server.working_set_mib <= server.memory_used_mib <= server.ram_mib
        assert server.live_migratable == (server.not_migratable_reason == "")


def test_same_seed_gives_the_same_cloud():
    assert generate(30, seed=5) == generate(30, seed=5)


def test_another_seed_gives_another_cloud():
    a, b = generate(30, seed=5), generate(30, seed=6)
    assert a.servers != b.servers
    assert [s.host for s in a.servers] != [s.host for s in b.servers]


def test_hundred_hosts_in_three_zones_with_their_aggregates(cloud):
    assert Counter(h.az for h in cloud.hosts) == {"az1": 34, "az2": 33, "az3": 33}
    assert [h.name for h in cloud.hosts[:2]] == ["cmp-az1-001", "cmp-az1-002"]
    assert cloud.hosts[-1].name == "cmp-az3-033"
    assert Counter(h.aggregates[0] for h in cloud.hosts if h.az == "az1") == {
        "az1-dpdk": 7,
        "az1-sriov": 5,
        "az1-general": 22,
    }
    assert all(
        h.service_status is ServiceStatus.ENABLED and h.service_state is ServiceState.UP
        for h in cloud.hosts
    )
    assert {h.nic_bandwidth_mibps for h in cloud.hosts} == {1192.1, 2980.2}
    assert len(cloud.servers) == 2000


def test_the_hundred_host_cloud_holds_every_invariant(cloud):
    assert_invariants(cloud)


def test_servers_are_named_after_their_vnf(cloud):
    for vnf in cloud.vnfs:
        assert re.fullmatch(r"[a-z]+-\d{2,}", vnf.name), vnf.name
        for letter, server in zip("abcdefghijkl", vnf.servers, strict=False):
            assert server == f"vnf-{vnf.name}-{letter}"
    assert sum(len(v.members) for v in cloud.vnfs) == len(cloud.servers)


def test_every_ha_model_and_both_anti_affinity_policies_are_present(cloud):
    assert {v.ha_model for v in cloud.vnfs} == set(HaModel)
    assert {g.policy for g in cloud.server_groups} == set(ANTI)
    pools = [v for v in cloud.vnfs if v.ha_model is HaModel.N_PLUS_M]
    assert {v.max_impacted for v in pools} == {1, 2}
    assert max(len(v.members) for v in pools) >= 6


def test_hosts_are_one_release_behind_the_target(cloud):
    target = {name: semver.Version.parse(v) for name, v in cloud.target.versions.items()}
    assert cloud.target.name == "2026.2"
    majors = set()
    for host in cloud.hosts:
        assert set(host.versions) == set(target)
        for name, version in host.versions.items():
            current, wanted = semver.Version.parse(version), target[name]
            assert current < wanted
            if current.major == wanted.major:
                assert wanted.minor == current.minor + 1, (host.name, name)
            else:
                assert wanted.major == current.major + 1, (host.name, name)
                majors.add(name)
    assert majors == {"nova-compute", "neutron-ovs-agent"}
    # A few hosts carry a hotfix: still behind, but not all hosts are identical.
    assert len({tuple(sorted(h.versions.items())) for h in cloud.hosts}) > 1


def test_control_plane_is_already_at_the_target_release(cloud):
    control = dict((c.name, c.version) for c in cloud.control_plane)
    assert control["nova-api"] == control["nova-conductor"] == cloud.target.versions["nova-compute"]
    assert control["neutron-server"] == cloud.target.versions["neutron-ovs-agent"]


def test_ram_in_use_is_tight_but_each_zone_can_drain_a_host_or_a_wave(cloud):
    assert 0.60 <= ram_in_use(cloud) <= 0.75
    # 5 hosts per wave on 100 hosts, tried against each AZ.
    assert wave_hosts(100) == 5
    assert_zone_can_drain(cloud, 5)
    ram_share = [
        used / host.ram_capacity_mib
        for host, (_, used, _) in zip(cloud.hosts, used_by_host(cloud).values(), strict=True)
    ]
    assert max(ram_share) <= 0.9
    assert max(ram_share) - min(ram_share) >= 0.1  # partly full, not all alike


def test_memory_behaviour_is_mostly_quiet_with_some_heavy_writers(cloud):
    rates = [s.dirty_rate_mibps for s in cloud.servers]
    assert sum(r <= 120 for r in rates) / len(rates) >= 0.6
    heavy = [s for s in cloud.servers if 150 <= s.dirty_rate_mibps < NIC_10GBE_MIBPS]
    beyond_10gbe = [s for s in cloud.servers if s.dirty_rate_mibps > NIC_10GBE_MIBPS]
    assert len(heavy) >= 0.05 * len(rates)
    assert 0 < len(beyond_10gbe) <= 0.03 * len(rates)
    assert any(s.live_migratable for s in beyond_10gbe)
    # Every flavor of the catalogue is in use, from 2 vCPU / 4 GiB to 32 vCPU / 128 GiB.
    assert {s.flavor for s in cloud.servers} == set(FLAVORS)
    assert {(s.vcpus, s.ram_mib) for s in cloud.servers} >= {(2, 4096), (32, 131072)}


def test_some_servers_cannot_live_migrate_and_say_why(cloud):
    stuck = [s for s in cloud.servers if not s.live_migratable]
    assert 0.05 <= len(stuck) / len(cloud.servers) <= 0.25
    assert {s.not_migratable_reason.split(" ")[0] for s in stuck} == {"SR-IOV", "dedicated", "local"}


def test_the_cloud_survives_the_inventory_file_round_trip(cloud):
    document = json.loads(json.dumps(dump_inventory(cloud)))
    assert parse_inventory(document) == cloud


def test_servers_per_host_sets_the_number_of_servers():
    assert len(generate(20, seed=3, servers_per_host=5).servers) == 100


def test_more_servers_than_fit_are_cut_short_without_breaking_redundancy():
    crowded = generate(12, seed=3, servers_per_host=200)
    assert 240 < len(crowded.servers) < 2400
    assert_invariants(crowded)


def test_a_single_host_cannot_be_upgraded_rolling():
    with pytest.raises(ValueError, match="at least 2 hosts"):
        generate(1, seed=1)


def test_a_thousand_hosts_of_twenty_servers_each():
    # Its speed is measured by bench/inventory.py, not here.
    big = generate(1000, seed=7)
    assert len(big.hosts) == 1000
    assert len(big.servers) == 20000
    assert 0.60 <= ram_in_use(big) <= 0.75
    assert_capacity_respected(big)
    assert_zone_can_drain(big, wave_hosts(1000))


@settings(max_examples=40, deadline=None)
@given(
    hosts=st.integers(min_value=2, max_value=36),
    seed=st.integers(min_value=0, max_value=2**32),
    servers_per_host=st.floats(min_value=0.0, max_value=40.0),
)
def test_small_clouds_of_any_seed_hold_every_invariant(hosts, seed, servers_per_host):
    snapshot = generate(hosts, seed, servers_per_host)
    assert_invariants(snapshot)
    assert len(snapshot.hosts) == hosts
    assert len(snapshot.servers) <= round(hosts * servers_per_host)
    if len(snapshot.servers) >= 5:
        assert {v.ha_model for v in snapshot.vnfs} == set(HaModel)
