"""Capacity in simulated time, and the destination Nova's scheduler would pick.

The scheduler is the planner's (``domain.scheduler.NovaScheduler``), so a
plan without explicit targets lands where its planner expected. Here hosts
leave and rejoin service as the plan disables and enables them; a migration
claims its destination when it starts and frees its source when it ends, as
Nova's claims do; and the free share of the cloud in service is kept for the
capacity-headroom chart.
"""

from __future__ import annotations

from collections.abc import Callable

from domain.scheduler import NovaScheduler
from domain.snapshot import Release, Snapshot
from domain.versions import upgraded_versions


class Placement(NovaScheduler):
    def __init__(
        self, snapshot: Snapshot, on_change: Callable[[], None] | None = None, keep_az: bool = True
    ) -> None:
        self.on_change: Callable[[], None] | None = None
        self.total_ram = sum(h.ram_capacity_mib for h in snapshot.hosts)
        self.total_vcpu = sum(h.vcpu_capacity for h in snapshot.hosts)
        self.service_ram = 0.0  # capacity and use of the hosts in service
        self.service_vcpu = 0.0
        self.service_used_ram = 0.0
        self.service_used_vcpu = 0.0
        self._counting = False
        super().__init__(snapshot, keep_az=keep_az)
        # Every host starts out of service; those Nova would use join it.
        joining, self.receiving = self.receiving, set()
        self._counting = True
        for host in sorted(joining):
            self.set_in_service(host, True)
        self.on_change = on_change
        self.host_of = self.location
        self._snapshot = snapshot

    def changed(self, host: str, server: str, sign: int) -> None:
        if self._counting and host in self.receiving:
            need = self.demand[server]
            self.service_used_ram += sign * need[1]
            self.service_used_vcpu += sign * need[0]
        if self.on_change is not None:
            self.on_change()

    # --- capacity

    def free_shares(self) -> tuple[float, float]:
        """Free RAM and vCPU on hosts in service, as shares of the whole cloud's capacity."""
        ram = (self.service_ram - self.service_used_ram) / self.total_ram if self.total_ram else 0.0
        cpu = (self.service_vcpu - self.service_used_vcpu) / self.total_vcpu if self.total_vcpu else 0.0
        return ram, cpu

    def set_in_service(self, host: str, flag: bool) -> None:
        if (host in self.receiving) == flag:
            return
        sign = 1.0 if flag else -1.0
        cap, used = self.cap[host], self.used[host]
        self.service_vcpu += sign * cap[0]
        self.service_ram += sign * cap[1]
        self.service_used_vcpu += sign * used[0]
        self.service_used_ram += sign * used[1]
        self.set_receiving(host, flag)
        if self.on_change is not None:
            self.on_change()

    def claim(self, server: str, host: str) -> None:
        """Hold room on a destination for a migration that starts."""
        self.add(server, host)

    def unclaim(self, server: str, host: str) -> None:
        self.remove(server, host)

    # --- the scheduler

    def upgraded(self, host: str, snapshot: Snapshot, target: Release) -> None:
        """``host`` now runs the target release."""
        self.set_versions(host, upgraded_versions(snapshot.host_by_name[host], target))
