"""Clouds of the kinds issue 15 lists, generated for bench/planner.py (pure, deterministic).

Each kind starts from the demo generator (``inventory.demo.generate``) and
changes one thing, so that a kind's figures say what that one thing costs:

- ``demo``: the demo cloud as generated (spare room for a 5 % wave per zone);
- ``tight``: 60 % of every host's free RAM taken away: small waves;
- ``wide-groups``: per zone, a pool VNF of small servers on half its hosts
  (max_impacted 1, hard anti-affinity): it alone forces that many waves;
- ``half-upgraded``: every other host already at the target release;
- ``unmigratable``: one server in five cannot live-migrate;
- ``hot-guests``: one server in ten dirties memory faster than its NIC sends;
- ``packed-aggregates``: one aggregate per zone (the share then limits the
  whole zone), with active and standby members inside it;
- ``heterogeneous``: NICs from 5 to 25 GbE and hosts of mixed sizes.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace

from domain.snapshot import (
    GroupPolicy,
    HaModel,
    MemberRole,
    Server,
    ServerGroup,
    Snapshot,
    Vnf,
    VnfMember,
)
from inventory.demo import generate


def _used_ram(snapshot: Snapshot) -> dict[str, int]:
    used = {h.name: 0 for h in snapshot.hosts}
    for s in snapshot.servers:
        used[s.host] += s.ram_mib
    return used


def tight(snapshot: Snapshot, rng: random.Random) -> Snapshot:
    used = _used_ram(snapshot)
    hosts = tuple(
        replace(h, ram_mib=int(used[h.name] + 0.4 * max(0, h.ram_mib - used[h.name])))
        for h in snapshot.hosts
    )
    return replace(snapshot, hosts=hosts)


def wide_groups(snapshot: Snapshot, rng: random.Random) -> Snapshot:
    servers, groups, vnfs = list(snapshot.servers), list(snapshot.server_groups), list(snapshot.vnfs)
    by_zone: dict[str, list[str]] = {}
    for h in snapshot.hosts:
        by_zone.setdefault(h.az, []).append(h.name)
    for zone, names in sorted(by_zone.items()):
        members = []
        for name in names[::2]:
            member = Server(name=f"wide-{zone}-{name}", host=name, flavor="wide.small", vcpus=1,
                            ram_mib=2048, disk_gib=10, memory_used_mib=1024, dirty_rate_mibps=5.0)
            servers.append(member)
            members.append(member.name)
        if len(members) < 2:
            continue
        groups.append(ServerGroup(f"wide-{zone}", GroupPolicy.ANTI_AFFINITY, tuple(members)))
        vnfs.append(Vnf(
            name=f"wide-{zone}", ha_model=HaModel.N_PLUS_M,
            members=tuple(VnfMember(m, MemberRole.MEMBER) for m in members),
            max_impacted=1, required_members=len(members) - 1, outage_budget_s=15.0,
        ))
    return replace(snapshot, servers=tuple(servers), server_groups=tuple(groups), vnfs=tuple(vnfs))


def half_upgraded(snapshot: Snapshot, rng: random.Random) -> Snapshot:
    hosts = tuple(
        replace(h, components=snapshot.target.components) if i % 2 else h
        for i, h in enumerate(snapshot.hosts)
    )
    return replace(snapshot, hosts=hosts)


def unmigratable(snapshot: Snapshot, rng: random.Random) -> Snapshot:
    servers = tuple(
        replace(s, live_migratable=False, not_migratable_reason="SR-IOV port")
        if rng.random() < 0.2 else s
        for s in snapshot.servers
    )
    return replace(snapshot, servers=servers)


def hot_guests(snapshot: Snapshot, rng: random.Random) -> Snapshot:
    nic = {h.name: h.nic_bandwidth_mibps for h in snapshot.hosts}
    servers = tuple(
        replace(s, dirty_rate_mibps=1.5 * nic[s.host], working_set_mib=s.memory_used_mib or s.ram_mib)
        if rng.random() < 0.1 else s
        for s in snapshot.servers
    )
    return replace(snapshot, servers=servers)


def packed_aggregates(snapshot: Snapshot, rng: random.Random) -> Snapshot:
    hosts = tuple(replace(h, aggregates=(f"{h.az}-all",)) for h in snapshot.hosts)
    return replace(snapshot, hosts=hosts)


def heterogeneous(snapshot: Snapshot, rng: random.Random) -> Snapshot:
    used = _used_ram(snapshot)
    hosts = []
    for h in snapshot.hosts:
        factor = rng.choice([0.8, 1.0, 1.5])
        hosts.append(replace(
            h, nic_bandwidth_mibps=rng.choice([596.0, 1192.0, 2980.0]),
            ram_mib=max(used[h.name] + 4096, int(h.ram_mib * factor)),
        ))
    return replace(snapshot, hosts=tuple(hosts))


KINDS: dict[str, Callable[[Snapshot, random.Random], Snapshot] | None] = {
    "demo": None,
    "tight": tight,
    "wide-groups": wide_groups,
    "half-upgraded": half_upgraded,
    "unmigratable": unmigratable,
    "hot-guests": hot_guests,
    "packed-aggregates": packed_aggregates,
    "heterogeneous": heterogeneous,
}


def make_cloud(kind: str, hosts: int, seed: int) -> Snapshot:
    """A cloud of ``kind`` with ``hosts`` hosts: the same arguments, the same cloud."""
    snapshot = generate(hosts, seed)
    change = KINDS[kind]
    if change is None:
        return snapshot
    return replace(change(snapshot, random.Random(f"{kind}-{hosts}-{seed}")), cloud=f"{kind}-{hosts}")
