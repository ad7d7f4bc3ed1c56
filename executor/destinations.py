"""Where a server drained off a host goes: the plan's rule, applied to the cloud now (pure).

A rolling upgrade only finishes, with the fewest moves, if every server that
leaves a host lands where it will not have to leave again soon:

1. a host that will not go down during this execution: already upgraded
   (its ``enable`` step done) or not part of the plan;
2. else a host of the latest remaining wave (it goes down last, so what
   lands there is moved at most once more, when upgraded hosts exist);
3. never a host of the wave running now, nor a disabled or down one.

Inside each rank, hard anti-affinity excludes a host holding another member
of the server's group; soft anti-affinity and members of the same VNF are
avoided when another host has room; the server's availability zone is kept
when the plan says so; then the host with the most free RAM wins (names
break ties, so the choice is reproducible). Nova's scheduler still checks
the named host when the request arrives.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from executor.port import HostCapacity, ServerGroupInfo, ServerInfo, ServiceInfo

UPGRADED = "upgraded"  # will not go down again in this execution
NOT_IN_PLAN = "not in plan"


@dataclass(frozen=True)
class Need:
    vcpus: int
    ram_mib: int
    disk_gib: int


@dataclass(frozen=True)
class Candidate:
    host: str
    rank: tuple[int, int]
    free_vcpus: float
    free_ram_mib: float
    free_disk_gib: float
    az: str


def need_of(server: ServerInfo) -> Need:
    return Need(server.vcpus, server.ram_mib, server.disk_gib)


def rank_of(host: str, status: Mapping[str, str | int]) -> tuple[int, int] | None:
    """Lower is better; None: must not receive servers now.

    ``status[host]`` is ``UPGRADED``, ``NOT_IN_PLAN``, ``"now"`` (its wave
    is running and it is not upgraded yet) or the index of the later wave
    it belongs to.
    """
    value = status.get(host, NOT_IN_PLAN)
    if value in (UPGRADED, NOT_IN_PLAN):
        return (0, 0)
    if value == "now":
        return None
    return (1, -int(value))  # the latest wave first


def candidates(services: Iterable[ServiceInfo], capacities: Iterable[HostCapacity],
               servers: Iterable[ServerInfo], status: Mapping[str, str | int],
               reserved: Mapping[str, Need]) -> list[Candidate]:
    """Every enabled, up host that may receive servers, with what is free on it."""
    cap = {c.host: c for c in capacities}
    used: dict[str, list[float]] = {}
    for server in servers:
        row = used.setdefault(server.host, [0.0, 0.0, 0.0])
        row[0] += server.vcpus
        row[1] += server.ram_mib
        row[2] += server.disk_gib
    for host, need in reserved.items():
        row = used.setdefault(host, [0.0, 0.0, 0.0])
        row[0] += need.vcpus
        row[1] += need.ram_mib
        row[2] += need.disk_gib
    out = []
    for service in services:
        rank = rank_of(service.host, status)
        if rank is None or service.status != "enabled" or service.state != "up":
            continue
        if service.host not in cap:
            continue
        c = cap[service.host]
        u = used.get(service.host, [0.0, 0.0, 0.0])
        out.append(Candidate(
            host=service.host, rank=rank, az=service.zone,
            free_vcpus=c.vcpus * c.cpu_allocation_ratio - u[0],
            free_ram_mib=c.ram_mib * c.ram_allocation_ratio - u[1],
            free_disk_gib=c.disk_gib * c.disk_allocation_ratio - u[2]))
    return out


def choose(server: ServerInfo, source: str, hosts: list[Candidate], *,
           groups: Iterable[ServerGroupInfo], host_of: Mapping[str, str],
           vnf_peers: Iterable[str] = (), keep_az: bool = True,
           exclude: Iterable[str] = ()) -> str | None:
    """The destination of ``server`` leaving ``source``, or None when none has room.

    ``host_of`` maps server ids to their hosts now (in-flight moves at their
    destinations); ``vnf_peers`` are the ids of the other members of its VNF.
    """
    need = need_of(server)
    excluded = set(exclude) | {source}
    hard: set[str] = set()
    soft: set[str] = set()
    for group in groups:
        if server.id not in group.member_ids:
            continue
        others = {host_of.get(m, "") for m in group.member_ids if m != server.id}
        if group.policy == "anti-affinity":
            hard |= others
        elif group.policy == "soft-anti-affinity":
            soft |= others
    soft |= {host_of.get(p, "") for p in vnf_peers if p != server.id}
    source_az = next((h.az for h in hosts if h.host == source), server.az)
    fitting = [
        h for h in hosts
        if h.host not in excluded and h.host not in hard
        and h.free_vcpus >= need.vcpus and h.free_ram_mib >= need.ram_mib
        and h.free_disk_gib >= need.disk_gib
        and (not keep_az or not source_az or h.az == source_az)
    ]
    if not fitting:
        return None
    best = min(fitting, key=lambda h: (h.rank, h.host in soft, -h.free_ram_mib, h.host))
    return best.host
