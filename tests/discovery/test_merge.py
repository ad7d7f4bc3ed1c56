"""Merging what OpenStack said with what only the operator knows."""

from __future__ import annotations

from dataclasses import replace

from domain.snapshot import Component
from inventory.discovery import merge
from sandbox.seed import small_cloud


def as_discovered(snapshot):
    """What discovery returns for this cloud: no VNFs, no bandwidth, no memory profile."""
    hosts = tuple(replace(h, nic_bandwidth_mibps=0.0) for h in snapshot.hosts)
    servers = tuple(replace(s, memory_used_mib=0, dirty_rate_mibps=0.0, working_set_mib=0,
                            uuid=f"uuid-{s.name}") for s in snapshot.servers)
    return replace(snapshot, hosts=hosts, servers=servers, vnfs=(), openstack_cloud="lab")


def test_the_overlay_fills_bandwidth_memory_profiles_and_vnfs():
    seed = small_cloud()

    merged = merge(as_discovered(seed), seed)

    assert merged.notes == ()
    assert merged.snapshot.vnfs == seed.vnfs
    assert merged.snapshot.host_by_name["cmp1"].nic_bandwidth_mibps == 1200.0
    fw_a = merged.snapshot.server_by_name["fw-a"]
    assert (fw_a.memory_used_mib, fw_a.dirty_rate_mibps, fw_a.working_set_mib) == (1500, 40.0, 200)
    assert merged.snapshot.openstack_cloud == "lab"


def test_a_renamed_server_is_matched_by_uuid_and_keeps_its_vnf_role():
    seed = small_cloud()
    overlay = replace(seed, servers=tuple(replace(s, uuid=f"uuid-{s.name}") for s in seed.servers))
    discovered = as_discovered(seed)
    discovered = replace(discovered, servers=tuple(
        replace(s, name="fw-a-new") if s.name == "fw-a" else s for s in discovered.servers))

    merged = merge(discovered, overlay).snapshot

    firewall = next(v for v in merged.vnfs if v.name == "firewall")
    assert [m.server for m in firewall.members] == ["fw-a-new", "fw-b"]
    assert merged.server_by_name["fw-a-new"].dirty_rate_mibps == 40.0


def test_vanished_servers_leave_their_vnf_and_are_noted():
    seed = small_cloud()
    discovered = as_discovered(seed)
    discovered = replace(discovered, servers=tuple(
        s for s in discovered.servers if s.name not in ("lb-2", "lb-3")))

    merged = merge(discovered, seed)

    pool = next(v for v in merged.snapshot.vnfs if v.name == "loadbalancer")
    assert [m.server for m in pool.members] == ["lb-1"]
    assert (pool.max_impacted, pool.required_members) == (1, 1)
    assert merged.notes == ("vnf loadbalancer: member lb-2 is gone from the cloud",
                            "vnf loadbalancer: member lb-3 is gone from the cloud")


def test_discovered_versions_win_and_missing_ones_are_kept():
    seed = small_cloud()
    discovered = as_discovered(seed)
    upgraded = (Component("os", "22.4.1"),)
    discovered = replace(discovered, hosts=tuple(
        replace(h, components=upgraded) if h.name == "cmp1"
        else replace(h, components=()) if h.name == "cmp2" else h
        for h in discovered.hosts))

    merged = merge(discovered, seed)

    assert merged.snapshot.host_by_name["cmp1"].components == upgraded
    assert merged.snapshot.host_by_name["cmp2"].components == seed.host_by_name["cmp2"].components
    assert merged.notes == ("host cmp2: the cloud publishes no versions, kept the known ones",)


def test_memory_the_cloud_measured_wins_and_every_figure_says_where_it_came_from():
    from domain.snapshot import InputSource

    seed = small_cloud()
    overlay = replace(seed, servers=tuple(
        replace(s, memory_source=InputSource.FILE, dirty_rate_source=InputSource.FILE)
        for s in seed.servers))
    discovered = as_discovered(seed)
    # Nova's diagnostics told fw-a's memory in use (1800 MiB), nobody else's.
    discovered = replace(discovered, servers=tuple(
        replace(s, memory_used_mib=1800, memory_source=InputSource.MEASURED) if s.name == "fw-a" else s
        for s in discovered.servers))

    merged = merge(discovered, overlay).snapshot.server_by_name
    assert (merged["fw-a"].memory_used_mib, merged["fw-a"].memory_source) == (1800, InputSource.MEASURED)
    assert (merged["fw-a"].dirty_rate_mibps, merged["fw-a"].dirty_rate_source) == (40.0, InputSource.FILE)
    assert (merged["lb-1"].memory_used_mib, merged["lb-1"].memory_source) == (900, InputSource.FILE)

    # A server the overlay does not know: measured stays measured, unmeasured is assumed, and said.
    alone = merge(discovered, None)
    fw_a, lb_1 = alone.snapshot.server_by_name["fw-a"], alone.snapshot.server_by_name["lb-1"]
    assert (fw_a.memory_used_mib, fw_a.memory_source) == (1800, InputSource.MEASURED)
    assert (lb_1.memory_used_mib, lb_1.memory_source) == (lb_1.ram_mib, InputSource.DEFAULT)
    assert f"server lb-1: no memory profile, assumed all {lb_1.ram_mib} MiB in use" in alone.notes
    assert not any(note.startswith("server fw-a:") for note in alone.notes)
