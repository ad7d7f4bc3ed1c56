"""Capacity bookkeeping and the destination Nova's scheduler would pick.

Nova's default weighers spread by free RAM (RAMWeigher) and prefer hosts
with fewer members of the server's soft-anti-affinity groups; with
``host_subset_size = 1`` the best-weighed host wins, so the choice is
deterministic. Among hosts in service (in the source's availability zone
unless the plan says ``keep_az: false``) with room for the server (vCPUs,
RAM and disk after allocation ratios) and no member of its hard
anti-affinity groups: fewest soft-anti-affinity peers, then most free RAM,
then name; a live migration also needs a destination whose components are
nowhere older than the source's (domain.versions.can_live_migrate: old to
new is fine, new back to old is not). The planner's model of the scheduler
(planner/strategies/engine.py ``_target``) is the same, so a plan without
explicit targets lands where its planner expected. A migration claims its
destination when it starts and frees its source when it ends, as Nova's
claims do.

One max-heap of free RAM per zone with lazy invalidation keeps a pick at
O(log hosts) instead of a scan of every host.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

from domain.snapshot import GroupPolicy, Release, ServiceState, ServiceStatus, Snapshot
from domain.versions import can_live_migrate, upgraded_versions


class Placement:
    def __init__(
        self, snapshot: Snapshot, on_change: Callable[[], None] | None = None, keep_az: bool = True
    ) -> None:
        self.on_change = on_change
        # The heap a host is in: its zone, or one for the whole cloud.
        self.az: dict[str, str] = {}
        self.ram_cap: dict[str, float] = {}
        self.vcpu_cap: dict[str, float] = {}
        self.used_ram: dict[str, float] = {}
        self.used_vcpu: dict[str, float] = {}
        self.in_service: dict[str, bool] = {}
        self.version: dict[str, int] = {}
        self.heaps: dict[str, list[tuple[float, str, int]]] = {}
        self.total_ram = 0.0
        self.total_vcpu = 0.0
        self.service_ram = 0.0  # capacity of hosts in service
        self.service_vcpu = 0.0
        self.service_used_ram = 0.0
        self.service_used_vcpu = 0.0
        self.disk_cap: dict[str, float] = {}
        self.used_disk: dict[str, float] = {}
        # Hosts share a handful of software stacks: compare stacks once, not hosts.
        self.stack: dict[str, tuple[tuple[str, str], ...]] = {}
        self._compatible: dict[tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]], bool] = {}
        for host in snapshot.hosts:
            self.stack[host.name] = tuple(sorted(host.versions.items()))
            name = host.name
            self.az[name] = host.az if keep_az else ""
            self.ram_cap[name] = host.ram_capacity_mib
            self.vcpu_cap[name] = host.vcpu_capacity
            self.disk_cap[name] = host.disk_capacity_gib
            self.used_ram[name] = 0.0
            self.used_vcpu[name] = 0.0
            self.used_disk[name] = 0.0
            self.version[name] = 0
            self.in_service[name] = False
            self.heaps.setdefault(self.az[name], [])
            self.total_ram += host.ram_capacity_mib
            self.total_vcpu += host.vcpu_capacity
        self.ram: dict[str, float] = {}
        self.vcpus: dict[str, float] = {}
        self.disk: dict[str, float] = {}
        self.host_of: dict[str, str] = {}
        for server in snapshot.servers:
            self.ram[server.name] = server.ram_mib
            self.vcpus[server.name] = server.vcpus
            self.disk[server.name] = server.disk_gib
            self.host_of[server.name] = server.host
            if server.host in self.used_ram:
                self.used_ram[server.host] += server.ram_mib
                self.used_vcpu[server.host] += server.vcpus
                self.used_disk[server.host] += server.disk_gib
        # Hard anti-affinity: for each server its groups, for each group its hosts.
        self.groups_of: dict[str, list[str]] = {}
        self.soft_groups_of: dict[str, list[str]] = {}
        self.group_hosts: dict[str, dict[str, int]] = {}
        for group in snapshot.server_groups:
            if group.policy == GroupPolicy.ANTI_AFFINITY:
                index = self.groups_of
            elif group.policy == GroupPolicy.SOFT_ANTI_AFFINITY:
                index = self.soft_groups_of
            else:
                continue
            hosts: dict[str, int] = {}
            for member in group.members:
                index.setdefault(member, []).append(group.name)
                where = self.host_of.get(member)
                if where is not None:
                    hosts[where] = hosts.get(where, 0) + 1
            self.group_hosts[group.name] = hosts
        for host in snapshot.hosts:
            if host.service_status == ServiceStatus.ENABLED and host.service_state == ServiceState.UP:
                self.set_in_service(host.name, True)

    # --- capacity

    def free_shares(self) -> tuple[float, float]:
        """Free RAM and vCPU on hosts in service, as shares of the whole cloud's capacity."""
        ram = (self.service_ram - self.service_used_ram) / self.total_ram if self.total_ram else 0.0
        cpu = (self.service_vcpu - self.service_used_vcpu) / self.total_vcpu if self.total_vcpu else 0.0
        return ram, cpu

    def set_in_service(self, host: str, flag: bool) -> None:
        if self.in_service[host] == flag:
            return
        self.in_service[host] = flag
        sign = 1.0 if flag else -1.0
        self.service_ram += sign * self.ram_cap[host]
        self.service_vcpu += sign * self.vcpu_cap[host]
        self.service_used_ram += sign * self.used_ram[host]
        self.service_used_vcpu += sign * self.used_vcpu[host]
        self._touch(host)

    def _add(self, server: str, host: str, sign: float) -> None:
        ram = sign * self.ram[server]
        cpu = sign * self.vcpus[server]
        self.used_ram[host] += ram
        self.used_vcpu[host] += cpu
        self.used_disk[host] += sign * self.disk[server]
        if self.in_service[host]:
            self.service_used_ram += ram
            self.service_used_vcpu += cpu
        for group in self.groups_of.get(server, ()):
            hosts = self.group_hosts[group]
            hosts[host] = hosts.get(host, 0) + int(sign)
        for group in self.soft_groups_of.get(server, ()):
            hosts = self.group_hosts[group]
            hosts[host] = hosts.get(host, 0) + int(sign)
        self._touch(host)

    def claim(self, server: str, host: str) -> None:
        """Hold room on a destination for a migration that starts."""
        self._add(server, host, 1.0)

    def unclaim(self, server: str, host: str) -> None:
        self._add(server, host, -1.0)

    def moved(self, server: str, source: str, target: str) -> None:
        """A migration ended: the source's share is freed (the target was claimed)."""
        self._add(server, source, -1.0)
        self.host_of[server] = target

    def _touch(self, host: str) -> None:
        self.version[host] += 1
        if self.in_service[host]:
            free = self.ram_cap[host] - self.used_ram[host]
            heapq.heappush(self.heaps[self.az[host]], (-free, host, self.version[host]))
        if self.on_change is not None:
            self.on_change()

    # --- the scheduler

    def upgraded(self, host: str, snapshot: Snapshot, target: Release) -> None:
        """``host`` now runs the target release."""
        self.stack[host] = tuple(sorted(upgraded_versions(snapshot.host_by_name[host], target).items()))

    def live_compatible(self, source: str, target: str) -> bool:
        key = (self.stack[source], self.stack[target])
        known = self._compatible.get(key)
        if known is None:
            known = self._compatible[key] = can_live_migrate(dict(key[0]), dict(key[1]))
        return known

    def fits(self, server: str, host: str, live_from: str | None = None) -> bool:
        """Nova's filters: in service, room, hard anti-affinity, and for a live
        migration from ``live_from``, a stack no older than the source's."""
        if not self.in_service.get(host, False):
            return False
        if live_from is not None and not self.live_compatible(live_from, host):
            return False
        if self.used_ram[host] + self.ram[server] > self.ram_cap[host]:
            return False
        if self.used_vcpu[host] + self.vcpus[server] > self.vcpu_cap[host]:
            return False
        if self.used_disk[host] + self.disk[server] > self.disk_cap[host]:
            return False
        return not any(self.group_hosts[g].get(host, 0) > 0 for g in self.groups_of.get(server, ()))

    def soft_conflicts(self, server: str, host: str) -> int:
        return sum(self.group_hosts[g].get(host, 0) for g in self.soft_groups_of.get(server, ()))

    def pick(self, server: str, source: str, live: bool = True) -> str | None:
        """The destination Nova's scheduler would choose for ``server``, or None (NoValidHost)."""
        live_from = source if live else None
        heap = self.heaps.get(self.az.get(source, ""), [])
        aside: list[tuple[float, str, int]] = []
        chosen: str | None = None
        # Fitting hosts that hold soft-anti-affinity peers: used only if no host is free of them.
        second_best: tuple[int, float, str] | None = None
        soft = server in self.soft_groups_of
        need_ram = self.ram[server]
        while heap:
            entry = heap[0]
            neg_free, host, version = entry
            if version != self.version[host] or not self.in_service[host]:
                heapq.heappop(heap)
                continue
            if -neg_free < need_ram:
                break  # the host with the most free RAM cannot take it: none can
            if host != source and self.fits(server, host, live_from):
                conflicts = self.soft_conflicts(server, host) if soft else 0
                if conflicts == 0:
                    chosen = host
                    break
                key = (conflicts, neg_free, host)
                if second_best is None or key < second_best:
                    second_best = key
            aside.append(heapq.heappop(heap))
        for entry in aside:
            heapq.heappush(heap, entry)
        if chosen is None and second_best is not None:
            chosen = second_best[2]
        return chosen
