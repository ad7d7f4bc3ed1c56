"""Discovery round trip: the sandbox seeded from an inventory reads back as that inventory."""

from __future__ import annotations

from dataclasses import replace

import pytest

from inventory.discovery import DEFAULT_NIC_BANDWIDTH_MIBPS, merge

pytestmark = pytest.mark.sandbox


def comparable(snapshot):
    servers = tuple(sorted((replace(s, uuid="") for s in snapshot.servers),
                           key=lambda s: s.name))
    return replace(snapshot, servers=servers, openstack_cloud="")


def test_discovery_reads_back_hosts_placement_servers_and_groups(sandbox):
    discovered = sandbox.cloud().read_snapshot("sandbox")
    seed = sandbox.seed

    # What OpenStack knows, exactly; NIC bandwidth it cannot know.
    assert discovered.hosts == tuple(
        replace(h, nic_bandwidth_mibps=0.0,
                components=tuple(sorted(h.components, key=lambda c: c.name)))
        for h in seed.hosts)
    assert {s.name: (s.host, s.flavor, s.vcpus, s.ram_mib, s.disk_gib, s.status)
            for s in discovered.servers} == {
        s.name: (s.host, s.flavor, s.vcpus, s.ram_mib, s.disk_gib, s.status)
        for s in seed.servers}
    assert all(len(s.uuid) == 36 for s in discovered.servers)
    assert discovered.server_groups == seed.server_groups
    assert discovered.vnfs == ()


def test_merged_with_the_seed_as_overlay_it_is_the_seed_again(sandbox):
    discovered = sandbox.cloud().read_snapshot("sandbox")

    merged = merge(discovered, sandbox.seed)

    assert comparable(merged.snapshot) == comparable(sandbox.seed)
    assert merged.notes == ()


def test_without_an_overlay_the_unknowns_are_assumed_and_said(sandbox):
    discovered = sandbox.cloud().read_snapshot("sandbox")

    merged = merge(discovered, None)

    assert {h.nic_bandwidth_mibps for h in merged.snapshot.hosts} == {DEFAULT_NIC_BANDWIDTH_MIBPS}
    fw_a = merged.snapshot.server_by_name["fw-a"]
    assert fw_a.memory_used_mib == fw_a.ram_mib == 4096
    assert "server fw-a: no memory profile, assumed all 4096 MiB in use" in merged.notes


def test_discovery_sees_a_moved_server_on_its_new_host(sandbox):
    cloud = sandbox.cloud()
    lb1 = next(s for s in cloud.servers() if s.name == "lb-1")
    cloud.live_migrate(lb1.id, host="cmp2")
    cloud.wait_for_server(lb1.id, "ACTIVE", timeout=60, interval=0.3)

    merged = merge(cloud.read_snapshot("sandbox"), sandbox.seed).snapshot

    assert merged.server_by_name["lb-1"].host == "cmp2"
    assert merged.server_by_name["lb-1"].dirty_rate_mibps == 10.0  # profile kept from the overlay
