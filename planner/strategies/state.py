"""The strategies' working model of the cloud while a plan is built.

Mutable and private to the strategies (the validator keeps its own). It
tracks where each server is, what each host has in use, which hosts are
upgraded and which hard anti-affinity groups have a member on each host.
Tentative placements are journaled so that a host that does not fit into a
wave can be rolled back.
"""

from __future__ import annotations

import heapq
from collections import Counter

from domain.snapshot import GroupPolicy, Host, Server, Snapshot
from domain.versions import can_live_migrate, needs_upgrade, upgraded_versions
from planner.capacity import can_receive, capacity, demand


class CloudState:
    def __init__(self, snapshot: Snapshot):
        self.snapshot = snapshot
        self.hosts: dict[str, Host] = dict(snapshot.host_by_name)
        self.cap = {name: capacity(h) for name, h in self.hosts.items()}
        self.used: dict[str, list[float]] = {name: [0.0, 0.0, 0.0] for name in self.hosts}
        self.location: dict[str, str] = {}
        # Insertion-ordered sets of server names per host.
        self.on_host: dict[str, dict[str, None]] = {name: {} for name in self.hosts}
        self.versions = {name: dict(h.versions) for name, h in self.hosts.items()}
        # Hosts share a handful of version sets: compare each pair of sets once.
        self._version_key = {name: tuple(sorted(v.items())) for name, v in self.versions.items()}
        self._compatible: dict[tuple[tuple, tuple], bool] = {}
        self.upgraded = {name for name, h in self.hosts.items() if not needs_upgrade(h, snapshot.target)}
        self.receives = {name for name, h in self.hosts.items() if can_receive(h)}
        self.anti_groups: dict[str, tuple[str, ...]] = {}
        for group in snapshot.server_groups:
            if group.policy == GroupPolicy.ANTI_AFFINITY:
                for member in group.members:
                    self.anti_groups[member] = (*self.anti_groups.get(member, ()), group.name)
        self.soft_groups: dict[str, tuple[str, ...]] = {}
        for group in snapshot.server_groups:
            if group.policy == GroupPolicy.SOFT_ANTI_AFFINITY:
                for member in group.members:
                    self.soft_groups[member] = (*self.soft_groups.get(member, ()), group.name)
        self.groups_on: dict[str, Counter[str]] = {name: Counter() for name in self.hosts}
        self.soft_on: dict[str, Counter[str]] = {name: Counter() for name in self.hosts}
        self.vnf_of = {server: vnf.name for server, vnf in snapshot.vnf_of_server.items()}
        self.vnfs_on: dict[str, Counter[str]] = {name: Counter() for name in self.hosts}
        self._journal: list[tuple[str, str, str]] = []
        # Hosts that take servers, by most free RAM first (the scheduler
        # model's weigher), per zone and for the whole cloud (zone ""):
        # lazy heaps of (-free RAM, name, version); stale versions are skipped.
        self._version: dict[str, int] = {name: 0 for name in self.hosts}
        self._heaps: dict[str, list[tuple[float, str, int]]] = {"": []}
        self._heaps_ready = False
        for server in snapshot.servers:
            if server.host in self.hosts:
                self._put(server, server.host)
        for name in sorted(self.receives):
            entry = (-self.free_ram(name), name, 0)
            self._heaps[""].append(entry)
            self._heaps.setdefault(self.hosts[name].az, []).append(entry)
        for heap in self._heaps.values():
            heapq.heapify(heap)
        self._heaps_ready = True

    # -- bookkeeping -------------------------------------------------------
    def _touch(self, host: str) -> None:
        if not self._heaps_ready or host not in self.receives:
            return
        self._version[host] += 1
        entry = (-self.free_ram(host), host, self._version[host])
        heapq.heappush(self._heaps[""], entry)
        heapq.heappush(self._heaps[self.hosts[host].az], entry)

    def _put(self, server: Server, host: str) -> None:
        need = demand(server)
        used = self.used[host]
        for i in range(3):
            used[i] += need[i]
        self._touch(host)
        self.location[server.name] = host
        self.on_host[host][server.name] = None
        for g in self.anti_groups.get(server.name, ()):
            self.groups_on[host][g] += 1
        for g in self.soft_groups.get(server.name, ()):
            self.soft_on[host][g] += 1
        if server.name in self.vnf_of:
            self.vnfs_on[host][self.vnf_of[server.name]] += 1

    def _take(self, server: Server, host: str) -> None:
        need = demand(server)
        used = self.used[host]
        for i in range(3):
            used[i] -= need[i]
        self._touch(host)
        del self.on_host[host][server.name]
        for g in self.anti_groups.get(server.name, ()):
            self.groups_on[host][g] -= 1
        for g in self.soft_groups.get(server.name, ()):
            self.soft_on[host][g] -= 1
        if server.name in self.vnf_of:
            self.vnfs_on[host][self.vnf_of[server.name]] -= 1

    def move(self, server: Server, target: str) -> None:
        source = self.location[server.name]
        self._take(server, source)
        self._put(server, target)
        self._journal.append((server.name, source, target))

    def mark(self) -> int:
        return len(self._journal)

    def rollback(self, mark: int) -> None:
        while len(self._journal) > mark:
            name, source, target = self._journal.pop()
            server = self.snapshot.server_by_name[name]
            self._take(server, target)
            self._put(server, source)

    def commit(self) -> None:
        self._journal.clear()

    def upgrade(self, host: str) -> None:
        self.versions[host] = upgraded_versions(self.hosts[host], self.snapshot.target)
        self._version_key[host] = tuple(sorted(self.versions[host].items()))
        self.upgraded.add(host)

    # -- questions ----------------------------------------------------------
    def servers_on(self, host: str) -> list[Server]:
        by_name = self.snapshot.server_by_name
        return [by_name[name] for name in self.on_host[host]]

    def free_ram(self, host: str) -> float:
        return self.cap[host][1] - self.used[host][1]

    def fits(self, server: Server, host: str) -> bool:
        cap, used = self.cap[host], self.used[host]
        return (
            used[1] + server.ram_mib <= cap[1] + 1e-9
            and used[0] + server.vcpus <= cap[0] + 1e-9
            and used[2] + server.disk_gib <= cap[2] + 1e-9
        )

    def soft_conflicts(self, server: Server, host: str) -> int:
        """Members of the server's soft-anti-affinity groups already on ``host``."""
        soft_on = self.soft_on[host]
        return sum(soft_on[g] for g in self.soft_groups.get(server.name, ()))

    def joins_own_vnf(self, server: Server, host: str) -> bool:
        """True when ``host`` already runs another member of the server's VNF.

        Two members on one host would go down together at that host's
        upgrade: the strategies never create that.
        """
        vnf = self.vnf_of.get(server.name)
        return vnf is not None and self.vnfs_on[host][vnf] > 0

    def scheduler_pick(
        self, server: Server, source: str, live: bool, excluded: set[str], zone: str
    ) -> str | None:
        """Nova's scheduler as modelled: pass the filters, then fewest
        soft-anti-affinity peers, most free RAM, host name (``zone`` "" = any)."""
        heap = self._heaps.get(zone, [])
        popped: list[tuple[float, str, int]] = []
        best: str | None = None
        best_peers = 0
        try:
            while heap:
                entry = heapq.heappop(heap)
                if entry[2] != self._version[entry[1]]:
                    continue  # superseded by a fresher entry
                popped.append(entry)
                cand = entry[1]
                if cand in excluded or not self.can_host(server, source, cand, live):
                    continue
                peers = self.soft_conflicts(server, cand)
                if peers == 0:
                    return cand
                if best is None or peers < best_peers:
                    best, best_peers = cand, peers
            return best
        finally:
            for entry in popped:
                heapq.heappush(heap, entry)

    def can_host(self, server: Server, source: str, target: str, live: bool) -> bool:
        """Nova's filters for a destination (the wave's own exclusions aside)."""
        if target == source or target not in self.receives or not self.fits(server, target):
            return False
        groups_on = self.groups_on[target]
        if any(groups_on[g] for g in self.anti_groups.get(server.name, ())):
            return False
        if not live:
            return True
        pair = (self._version_key[source], self._version_key[target])
        ok = self._compatible.get(pair)
        if ok is None:
            ok = self._compatible[pair] = can_live_migrate(self.versions[source], self.versions[target])
        return ok
