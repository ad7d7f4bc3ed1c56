"""Spare capacity per availability zone: what the cloud has and what draining needs.

Used by the pre-check (NFVI redundancy) and by the strategies to say why no
plan exists. A server is *movable* when it must leave its host for the
upgrade: it runs, and its VNF cannot park it through a switchover (no HA, or
switchover not allowed).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from domain.plan import ActionKind
from domain.scheduler import can_receive
from domain.snapshot import HaModel, Host, Server, Snapshot
from planner.options import PlanOptions

RESOURCES = ("vcpu", "ram", "disk")
RESOURCE_LABELS = {"vcpu": "vCPU", "ram": "RAM", "disk": "disk"}


def capacity(host: Host) -> tuple[float, ...]:
    return (host.vcpu_capacity, host.ram_capacity_mib, host.disk_capacity_gib)


def demand(server: Server) -> tuple[int, int, int]:
    return (server.vcpus, server.ram_mib, server.disk_gib)


def parkable(snapshot: Snapshot, server: Server, options: PlanOptions) -> bool:
    """True when the server need not move: it is off, or its VNF's HA can take it out."""
    if server.status == "SHUTOFF":
        return True
    vnf = snapshot.vnf_of_server.get(server.name)
    return (
        vnf is not None
        and vnf.ha_model != HaModel.NONE
        and len(vnf.members) > 1
        and options.allows(ActionKind.SWITCHOVER)
    )


@dataclass(frozen=True)
class ZoneCapacity:
    """One availability zone's free capacity against its hardest host to drain."""

    az: str
    hosts: int
    free: tuple[float, ...]
    # Mean capacity of one host of the zone: the unit of "hosts' worth".
    host_size: tuple[float, ...]
    # For the hardest host: what must move minus what the rest of the zone can take.
    worst_host: str
    deficit: tuple[float, ...]
    # What the hardest host must move out, per resource.
    worst_movable: tuple[float, ...] = (0.0, 0.0, 0.0)

    def spare_hosts(self, resource: str = "ram") -> float:
        i = RESOURCES.index(resource)
        return self.free[i] / self.host_size[i] if self.host_size[i] else 0.0

    def needed_hosts(self, resource: str = "ram") -> float:
        """Hosts' worth of free capacity that draining the hardest host needs."""
        i = RESOURCES.index(resource)
        return self.worst_movable[i] / self.host_size[i] if self.host_size[i] else 0.0

    def missing_hosts(self) -> dict[str, int]:
        """Per short resource, how many more hosts' worth the zone needs."""
        missing = {}
        for i, name in enumerate(RESOURCES):
            if self.deficit[i] > 1e-9 and self.host_size[i] > 0:
                missing[name] = math.ceil(self.deficit[i] / self.host_size[i])
        return missing

    def messages(self) -> list[str]:
        out = []
        for resource, n in self.missing_hosts().items():
            worth = "1 more host's" if n == 1 else f"{n} more hosts'"
            out.append(
                f"capacity: {worth} worth of {RESOURCE_LABELS[resource]} needed in {self.az} "
                f"(to drain {self.worst_host})"
            )
        return out


def zone_capacities(snapshot: Snapshot, options: PlanOptions | None = None) -> list[ZoneCapacity]:
    """Free capacity of each AZ and whether each host's movable servers fit in the rest.

    With ``options.keep_az`` false the whole cloud is one pool named ``"cloud"``.
    """
    options = options or PlanOptions()
    used: dict[str, list[float]] = {h.name: [0.0, 0.0, 0.0] for h in snapshot.hosts}
    movable: dict[str, list[float]] = {h.name: [0.0, 0.0, 0.0] for h in snapshot.hosts}
    for server in snapshot.servers:
        if server.host not in used:
            continue
        need = demand(server)
        for i in range(3):
            used[server.host][i] += need[i]
            if not parkable(snapshot, server, options):
                movable[server.host][i] += need[i]
    zones: dict[str, list[Host]] = defaultdict(list)
    for host in snapshot.hosts:
        zones[host.az if options.keep_az else "cloud"].append(host)
    result = []
    for az in sorted(zones):
        hosts = zones[az]
        free_of = {
            h.name: tuple(
                max(0.0, c - u) if can_receive(h) else 0.0
                for c, u in zip(capacity(h), used[h.name], strict=True)
            )
            for h in hosts
        }
        free = tuple(sum(f[i] for f in free_of.values()) for i in range(3))
        size = tuple(sum(capacity(h)[i] for h in hosts) / len(hosts) for i in range(3))
        worst_deficit: tuple[float, ...] = (0.0, 0.0, 0.0)
        worst, worst_score = hosts[0].name, -math.inf
        for h in hosts:
            deficit = tuple(movable[h.name][i] - (free[i] - free_of[h.name][i]) for i in range(3))
            score = max(deficit[i] / size[i] if size[i] else 0.0 for i in range(3))
            if score > worst_score:
                worst, worst_deficit, worst_score = h.name, deficit, score
        result.append(
            ZoneCapacity(
                az=az,
                hosts=len(hosts),
                free=free,
                host_size=size,
                worst_host=worst,
                deficit=tuple(max(0.0, d) for d in worst_deficit),
                worst_movable=tuple(movable[worst]),
            )
        )
    return result
