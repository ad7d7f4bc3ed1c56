"""Discovery round trip: the sandbox seeded from an inventory reads back as that inventory."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.snapshot import InputSource
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
    # Each guest's memory in use, as the sandbox's hypervisors report it in Nova's
    # server diagnostics (microversion 2.48): measured, the dirty rate not. batch-1
    # (stopped, no figure in the seed) reports its whole allocation: that tells nothing.
    assert {s.name: (s.memory_used_mib, s.memory_source, s.dirty_rate_source)
            for s in discovered.servers} == {
        s.name: (s.memory_used_mib, InputSource.MEASURED if s.memory_used_mib else InputSource.DEFAULT,
                 InputSource.DEFAULT) for s in seed.servers}
    assert sandbox.seed.server_by_name["batch-1"].memory_used_mib == 0
    assert discovered.server_groups == seed.server_groups
    assert discovered.vnfs == ()


def test_merged_with_the_seed_as_overlay_it_is_the_seed_again(sandbox):
    discovered = sandbox.cloud().read_snapshot("sandbox")

    merged = merge(discovered, sandbox.seed)

    # The memory in use now says where it came from: measured on the cloud where it told.
    seed = replace(sandbox.seed, servers=tuple(
        replace(s, memory_source=InputSource.MEASURED) if s.memory_used_mib else s
        for s in sandbox.seed.servers))
    assert comparable(merged.snapshot) == comparable(seed)
    assert merged.notes == ()


def test_without_an_overlay_the_unknowns_are_assumed_and_said(sandbox):
    discovered = sandbox.cloud().read_snapshot("sandbox")

    merged = merge(discovered, None)

    assert {h.nic_bandwidth_mibps for h in merged.snapshot.hosts} == {DEFAULT_NIC_BANDWIDTH_MIBPS}
    fw_a = merged.snapshot.server_by_name["fw-a"]
    # The cloud measured its memory in use (1500 of 4096 MiB): nothing to assume there.
    assert (fw_a.memory_used_mib, fw_a.ram_mib, fw_a.memory_source) == (1500, 4096, InputSource.MEASURED)
    assert not any(note.startswith("server fw-a:") for note in merged.notes)
    batch = merged.snapshot.server_by_name["batch-1"]  # stopped, reported no figure
    assert f"server batch-1: no memory profile, assumed all {batch.ram_mib} MiB in use" in merged.notes


def test_discovery_sees_a_moved_server_on_its_new_host(sandbox):
    cloud = sandbox.cloud()
    lb1 = next(s for s in cloud.servers() if s.name == "lb-1")
    cloud.live_migrate(lb1.id, host="cmp2")
    cloud.wait_for_server(lb1.id, "ACTIVE", timeout=60, interval=0.3)

    merged = merge(cloud.read_snapshot("sandbox"), sandbox.seed).snapshot

    assert merged.server_by_name["lb-1"].host == "cmp2"
    assert merged.server_by_name["lb-1"].dirty_rate_mibps == 10.0  # profile kept from the overlay
