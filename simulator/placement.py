"""Capacity bookkeeping and the destination Nova's scheduler would pick.

Nova's default weighers spread by free RAM (RAMWeigher, multiplier 1.0) and
with ``host_subset_size = 1`` the best-weighed host wins, so the choice is
deterministic: among hosts in service in the source's availability zone with
room for the server (RAM and vCPUs after allocation ratios) and no member of
its hard anti-affinity groups, the one with the most free RAM (ties: name).
A migration claims its destination when it starts and frees its source when
it ends, as Nova's claims do.

One max-heap of free RAM per zone with lazy invalidation keeps a pick at
O(log hosts) instead of a scan of every host.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

from inventory.snapshot import GroupPolicy, ServiceState, ServiceStatus, Snapshot


class Placement:
    def __init__(self, snapshot: Snapshot, on_change: Callable[[], None] | None = None) -> None:
        self.on_change = on_change
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
        for host in snapshot.hosts:
            name = host.name
            self.az[name] = host.az
            self.ram_cap[name] = host.ram_capacity_mib
            self.vcpu_cap[name] = host.vcpu_capacity
            self.used_ram[name] = 0.0
            self.used_vcpu[name] = 0.0
            self.version[name] = 0
            self.in_service[name] = False
            self.heaps.setdefault(host.az, [])
            self.total_ram += host.ram_capacity_mib
            self.total_vcpu += host.vcpu_capacity
        self.ram: dict[str, float] = {}
        self.vcpus: dict[str, float] = {}
        self.host_of: dict[str, str] = {}
        for server in snapshot.servers:
            self.ram[server.name] = server.ram_mib
            self.vcpus[server.name] = server.vcpus
            self.host_of[server.name] = server.host
            if server.host in self.used_ram:
                self.used_ram[server.host] += server.ram_mib
                self.used_vcpu[server.host] += server.vcpus
        # Hard anti-affinity: for each server its groups, for each group its hosts.
        self.groups_of: dict[str, list[str]] = {}
        self.group_hosts: dict[str, dict[str, int]] = {}
        for group in snapshot.server_groups:
            if group.policy != GroupPolicy.ANTI_AFFINITY:
                continue
            hosts: dict[str, int] = {}
            for member in group.members:
                self.groups_of.setdefault(member, []).append(group.name)
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
        if self.in_service[host]:
            self.service_used_ram += ram
            self.service_used_vcpu += cpu
        for group in self.groups_of.get(server, ()):
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

    def fits(self, server: str, host: str) -> bool:
        if not self.in_service.get(host, False):
            return False
        if self.used_ram[host] + self.ram[server] > self.ram_cap[host]:
            return False
        if self.used_vcpu[host] + self.vcpus[server] > self.vcpu_cap[host]:
            return False
        return not any(self.group_hosts[g].get(host, 0) > 0 for g in self.groups_of.get(server, ()))

    def pick(self, server: str, source: str) -> str | None:
        """The destination Nova's scheduler would choose for ``server``, or None (NoValidHost)."""
        heap = self.heaps.get(self.az.get(source, ""), [])
        aside: list[tuple[float, str, int]] = []
        chosen: str | None = None
        need_ram = self.ram[server]
        while heap:
            entry = heap[0]
            neg_free, host, version = entry
            if version != self.version[host] or not self.in_service[host]:
                heapq.heappop(heap)
                continue
            if -neg_free < need_ram:
                break  # the host with the most free RAM cannot take it: none can
            if host != source and self.fits(server, host):
                chosen = host
                break
            aside.append(heapq.heappop(heap))
        for entry in aside:
            heapq.heappush(heap, entry)
        return chosen
