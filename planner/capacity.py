"""Spare capacity per availability zone: what the cloud has and what draining needs.

Used by the pre-check (NFVI redundancy) and by the strategies to say why no
plan exists. A server is *movable* when it must leave its host for the
upgrade: it runs, and its VNF cannot park it through a switchover (no HA, or
switchover not allowed).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass

from domain.plan import ActionKind
from domain.scheduler import NovaScheduler, can_receive
from domain.snapshot import HaModel, Host, Server, Snapshot
from domain.versions import needs_upgrade
from planner.options import PlanOptions
from planner.vnf_actions import required_action

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
    needed = required_action(vnf)
    if needed is not None:
        # The VNF's migration_type decides: only its own action stays in place.
        return needed == ActionKind.SWITCHOVER and options.allows(ActionKind.SWITCHOVER)
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


@dataclass(frozen=True)
class Fragmentation:
    """A zone where draining gets stuck: what must move fits in total, not host by host."""

    zone: str
    host: str  # the host nearest to draining when it got stuck
    leftover: tuple[str, ...]  # its servers that found no room
    drained: int  # hosts of the zone drained before it got stuck
    hosts: int  # hosts of the zone to upgrade
    largest_free: tuple[str, float]  # the host with the most free RAM, and that much (MiB)
    free_mib: float  # free RAM of the zone, summed
    remedies: tuple[str, ...]

    def message(self) -> str:
        servers = ", ".join(self.leftover[:5]) + (
            f" and {len(self.leftover) - 5} more" if len(self.leftover) > 5 else ""
        )
        where = f"after {self.drained} of {self.hosts} hosts" if self.drained else "from the start"
        host, free = self.largest_free
        return (
            f"fragmentation in {self.zone}: {where}, no host can be drained: {self.host}'s "
            f"{servers} {'fits' if len(self.leftover) == 1 else 'fit'} in no other host's free room ({free / 1024:.0f} GiB RAM free at most, "
            f"on {host}; {self.free_mib / 1024:.0f} GiB free in the zone)"
        )


def _gib(mib: float) -> str:
    return f"{mib / 1024:.0f} GiB"


def fragmentation(snapshot: Snapshot, options: PlanOptions | None = None) -> list[Fragmentation]:
    """Zones where no host can be drained next, by Nova's placement of what must move.

    Hosts go one at a time, the one with the least to move first: its
    servers that cannot be parked go where Nova's scheduler (its filters:
    room, hard anti-affinity, an enabled service) would put them, into the
    free room of the other hosts of the zone; a drained host takes servers
    afterwards. When no host of a zone can be drained, the zone is stuck:
    its free room is there in total but broken into pieces too small.
    """
    options = options or PlanOptions()
    if options.allows(ActionKind.STOP_START):
        return []  # everything may stay on its host, stopped
    nova = NovaScheduler(snapshot, keep_az=options.keep_az)
    by_name = snapshot.server_by_name
    zone_of = {h.name: (h.az if options.keep_az else "cloud") for h in snapshot.hosts}
    must: dict[str, list[Server]] = {h.name: [] for h in snapshot.hosts}
    for server in snapshot.servers:
        movable = server.live_migratable or options.allows(ActionKind.COLD_MIGRATE)
        if server.host in must and movable and not parkable(snapshot, server, options):
            must[server.host].append(server)
    todo: dict[str, list[str]] = defaultdict(list)
    for host in snapshot.hosts:
        if needs_upgrade(host, snapshot.target):
            todo[zone_of[host.name]].append(host.name)
    stuck = []
    for zone in sorted(todo):
        left = sorted(todo[zone], key=lambda h: (sum(s.ram_mib for s in must[h]), h))
        drained = 0
        best: tuple[float, str, list[str]] | None = None
        while left:
            best = None
            for name in left:
                moved: list[tuple[str, str]] = []
                leftover: list[str] = []
                for server in sorted(must[name], key=lambda s: (-s.ram_mib, s.name)):
                    target = nova.pick(server.name, name, False, None, {name})
                    if target is None:
                        leftover.append(server.name)
                        continue
                    nova.remove(server.name, name)
                    nova.add(server.name, target)
                    moved.append((server.name, target))
                if not leftover:
                    break
                for server_name, target in reversed(moved):
                    nova.remove(server_name, target)
                    nova.add(server_name, name)
                short = sum(by_name[s].ram_mib for s in leftover)
                if best is None or (short, name) < (best[0], best[1]):
                    best = (short, name, leftover)
            else:
                break
            left.remove(name)
            drained += 1
        if left and best is not None:
            stuck.append(_stuck(snapshot, options, nova, zone, best[1], best[2], drained, len(todo[zone])))
    return stuck


def _stuck(
    snapshot: Snapshot, options: PlanOptions, nova: NovaScheduler, zone: str, host: str,
    leftover: list[str],
    drained: int, hosts: int,
) -> Fragmentation:
    by_name = snapshot.server_by_name
    zone_hosts = [h for h in snapshot.hosts if (h.az if options.keep_az else "cloud") == zone]
    receiving = [h for h in zone_hosts if h.name != host and can_receive(h)]
    largest = max(receiving, key=lambda h: (nova.free_ram(h.name), h.name), default=None)
    largest_free = (largest.name, max(0.0, nova.free_ram(largest.name))) if largest else ("-", 0.0)
    free_mib = sum(max(0.0, nova.free_ram(h.name)) for h in receiving)
    remedies = []
    # Empty hosts like the zone's most common one, filled first-fit decreasing.
    shapes = Counter(capacity(h) for h in zone_hosts)
    shape = max(shapes, key=lambda c: (shapes[c], c))
    like = next(h.name for h in zone_hosts if capacity(h) == shape)
    bins: list[list[float]] = []
    too_big = []
    for name in sorted(leftover, key=lambda s: (-by_name[s].ram_mib, s)):
        need = demand(by_name[name])
        if any(n > c + 1e-9 for n, c in zip(need, shape, strict=True)):
            too_big.append(name)
            continue
        for room in bins:
            if all(n <= r + 1e-9 for n, r in zip(need, room, strict=True)):
                for i in range(3):
                    room[i] -= need[i]
                break
        else:
            bins.append([c - n for c, n in zip(shape, need, strict=True)])
    if bins:
        worth = "1 more host" if len(bins) == 1 else f"{len(bins)} more hosts"
        remedies.append(f"{worth} like {like} in {zone}")
    if too_big:
        remedies.append(f"a host bigger than {like} for {', '.join(too_big[:3])}")
    if largest is not None:
        short = max(by_name[s].ram_mib for s in leftover) - largest_free[1]
        if short > 0:
            remedies.append(f"or free {_gib(short)} of RAM on {largest.name}")
    scale: Counter[str] = Counter()
    # A VNF that asks for one action (migration_type) takes no stop-start nor switchover.
    typed = [n for n in leftover if required_action(snapshot.vnf_of_server.get(n)) is not None]
    for name in typed:
        asking = snapshot.vnf_of_server[name]
        remedies.append(f"or set {asking.name}'s migration_type to any (now {asking.migration_type})")
    untyped = [n for n in leftover if n not in typed]
    for name in leftover:
        vnf = snapshot.vnf_of_server.get(name)
        if vnf is None or name in typed:
            continue
        if vnf.ha_model == HaModel.N_PLUS_M and len(vnf.members) - 1 >= max(1, vnf.required_members):
            scale[vnf.name] += 1
        elif vnf.ha_model != HaModel.NONE and len(vnf.members) > 1 and not options.allows(ActionKind.SWITCHOVER):
            remedies.append(f"or allow switchover for {vnf.name}")
    for vnf_name, n in sorted(scale.items()):
        vnf = next(v for v in snapshot.vnfs if v.name == vnf_name)
        n = min(n, len(vnf.members) - max(1, vnf.required_members))
        remedies.append(f"or scale {vnf_name} in by {n}")
    if untyped:
        remedies.append(f"or allow stop-start of {', '.join(untyped[:3])}"
                        + (f" and {len(untyped) - 3} more" if len(untyped) > 3 else ""))
    return Fragmentation(
        zone=zone, host=host, leftover=tuple(leftover), drained=drained, hosts=hosts,
        largest_free=largest_free, free_mib=free_mib, remedies=tuple(dict.fromkeys(remedies)),
    )
