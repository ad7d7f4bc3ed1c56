"""Nova's scheduler as Escalator models it: one model for the planner and the simulator.

Filters, as nova's defaults: the compute service is enabled and up
(ComputeFilter: ``receiving``), the server fits in the room left after the
allocation ratios (RAM, vCPUs, disk), no member of its hard anti-affinity
groups is on the host (ServerGroupAntiAffinityFilter), and for a live
migration the destination's shared components are nowhere older than the
source's (``domain.versions.can_live_migrate``: old to new is fine, new back
to old is not). Weighers: fewest members of its soft-anti-affinity groups,
then most free RAM (RAMWeigher), then the host's name; with
``host_subset_size = 1`` the best-weighed host wins, so the choice is
deterministic. The plan validator keeps its own replay of this on purpose,
as an independent check.

One max-heap of free RAM per zone ("" for the whole cloud), built when a zone
is first asked for, with lazy invalidation: a pick costs O(log hosts), not a
scan of every host.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Mapping

from domain.snapshot import GroupPolicy, Host, ServiceState, ServiceStatus, Snapshot
from domain.versions import can_live_migrate

# Room is compared with this slack: capacities times ratios are floats.
EPSILON = 1e-9
_VCPU, _RAM, _DISK = 0, 1, 2

Stack = tuple[tuple[str, str], ...]


def can_receive(host: Host) -> bool:
    """Only an enabled, up nova-compute service takes new servers."""
    return host.service_status == ServiceStatus.ENABLED and host.service_state == ServiceState.UP


class NovaScheduler:
    """Where servers are, what each host has in use, and where Nova would send a server."""

    def __init__(self, snapshot: Snapshot, keep_az: bool = True) -> None:
        self.keep_az = keep_az
        self.az = {h.name: h.az for h in snapshot.hosts}
        self.cap: dict[str, tuple[float, float, float]] = {
            h.name: (h.vcpu_capacity, h.ram_capacity_mib, h.disk_capacity_gib) for h in snapshot.hosts
        }
        self.used: dict[str, list[float]] = {h.name: [0.0, 0.0, 0.0] for h in snapshot.hosts}
        self.demand: dict[str, tuple[int, int, int]] = {
            s.name: (s.vcpus, s.ram_mib, s.disk_gib) for s in snapshot.servers
        }
        self.location: dict[str, str] = {}
        # Hosts share a handful of software stacks: compare stacks once, not hosts.
        self.stack: dict[str, Stack] = {h.name: tuple(sorted(h.versions.items())) for h in snapshot.hosts}
        self._compatible: dict[tuple[Stack, Stack], bool] = {}
        self.hard_groups: dict[str, tuple[str, ...]] = {}
        self.soft_groups: dict[str, tuple[str, ...]] = {}
        self.members_on: dict[str, dict[str, int]] = {}  # group -> host -> members there
        for group in snapshot.server_groups:
            if group.policy == GroupPolicy.ANTI_AFFINITY:
                index = self.hard_groups
            elif group.policy == GroupPolicy.SOFT_ANTI_AFFINITY:
                index = self.soft_groups
            else:
                continue
            self.members_on[group.name] = {}
            for member in group.members:
                index[member] = (*index.get(member, ()), group.name)
        self.receiving = {h.name for h in snapshot.hosts if can_receive(h)}
        self._version = dict.fromkeys(self.az, 0)
        self._heaps: dict[str, list[tuple[float, str, int]]] = {}
        for server in snapshot.servers:
            if server.host in self.used:
                self.add(server.name, server.host)

    # --- bookkeeping

    def add(self, server: str, host: str) -> None:
        """``server`` takes room on ``host`` (it runs there, or a migration claimed it)."""
        self._count(server, host, 1)
        self.location.setdefault(server, host)

    def remove(self, server: str, host: str) -> None:
        """``server`` gives its room on ``host`` back."""
        self._count(server, host, -1)

    def moved(self, server: str, source: str, target: str) -> None:
        """A migration ended: the source's room is freed (the target was claimed)."""
        self.remove(server, source)
        self.location[server] = target

    def _count(self, server: str, host: str, sign: int) -> None:
        need, used = self.demand[server], self.used[host]
        used[_VCPU] += sign * need[_VCPU]
        used[_RAM] += sign * need[_RAM]
        used[_DISK] += sign * need[_DISK]
        for group in (*self.hard_groups.get(server, ()), *self.soft_groups.get(server, ())):
            on = self.members_on[group]
            on[host] = on.get(host, 0) + sign
        self.changed(host, server, sign)
        self._touch(host)

    def changed(self, host: str, server: str, sign: int) -> None:
        """Called after room on ``host`` changed by ``sign`` times ``server``'s demand."""

    def set_receiving(self, host: str, flag: bool) -> None:
        if flag:
            self.receiving.add(host)
        else:
            self.receiving.discard(host)
        self._touch(host)

    def set_versions(self, host: str, versions: Mapping[str, str]) -> None:
        self.stack[host] = tuple(sorted(versions.items()))

    def _touch(self, host: str) -> None:
        self._version[host] += 1
        if host not in self.receiving or not self._heaps:
            return
        entry = (-self.free_ram(host), host, self._version[host])
        for zone in (self.az[host], ""):
            heap = self._heaps.get(zone)
            if heap is not None:
                heapq.heappush(heap, entry)

    def _heap(self, zone: str) -> list[tuple[float, str, int]]:
        heap = self._heaps.get(zone)
        if heap is None:
            heap = [(-self.free_ram(h), h, self._version[h])
                    for h in self.receiving if not zone or self.az[h] == zone]
            heapq.heapify(heap)
            self._heaps[zone] = heap
        return heap

    # --- questions

    def free_ram(self, host: str) -> float:
        return self.cap[host][_RAM] - self.used[host][_RAM]

    def fits(self, server: str, host: str) -> bool:
        """Room for ``server`` on ``host`` (RAM, vCPUs and disk after the allocation ratios)."""
        need, cap, used = self.demand[server], self.cap[host], self.used[host]
        return (
            used[_RAM] + need[_RAM] <= cap[_RAM] + EPSILON
            and used[_VCPU] + need[_VCPU] <= cap[_VCPU] + EPSILON
            and used[_DISK] + need[_DISK] <= cap[_DISK] + EPSILON
        )

    def soft_conflicts(self, server: str, host: str) -> int:
        """Members of the server's soft-anti-affinity groups already on ``host``."""
        return sum(self.members_on[g].get(host, 0) for g in self.soft_groups.get(server, ()))

    def live_compatible(self, source: str, target: str) -> bool:
        key = (self.stack[source], self.stack[target])
        known = self._compatible.get(key)
        if known is None:
            known = self._compatible[key] = can_live_migrate(dict(key[0]), dict(key[1]))
        return known

    def passes(self, server: str, source: str, target: str, live: bool) -> bool:
        """Nova's filters for moving ``server`` from ``source`` to ``target``."""
        if target == source or target not in self.receiving or not self.fits(server, target):
            return False
        if any(self.members_on[g].get(target, 0) > 0 for g in self.hard_groups.get(server, ())):
            return False
        return not live or self.live_compatible(source, target)

    def zone_of(self, source: str) -> str:
        """Where a server of ``source`` may go: its zone, or anywhere ("")."""
        return self.az[source] if self.keep_az else ""

    def pick(
        self, server: str, source: str, live: bool, zone: str | None = None,
        excluded: Collection[str] = (),
    ) -> str | None:
        """The host Nova's scheduler would choose for ``server``, or None (NoValidHost).

        ``zone`` defaults to the source's (``zone_of``); ``excluded`` hosts are
        passed over (the hosts of the wave being drained).
        """
        heap = self._heap(self.zone_of(source) if zone is None else zone)
        need = self.demand[server][_RAM]
        soft = server in self.soft_groups
        aside: list[tuple[float, str, int]] = []
        best: str | None = None
        best_peers = 0
        try:
            while heap:
                neg_free, host, version = heap[0]
                if version != self._version[host] or host not in self.receiving:
                    heapq.heappop(heap)  # superseded by a fresher entry, or out of service
                    continue
                if -neg_free + EPSILON < need:
                    break  # the host with the most free RAM cannot take it: none can
                aside.append(heapq.heappop(heap))
                if host in excluded or not self.passes(server, source, host, live):
                    continue
                peers = self.soft_conflicts(server, host) if soft else 0
                if peers == 0:
                    return host
                if best is None or peers < best_peers:
                    best, best_peers = host, peers
            return best
        finally:
            for entry in aside:
                heapq.heappush(heap, entry)
