"""Checks that an inventory holds together, beyond what its schema can say.

Pure: works on a Snapshot. Every problem names where it is, in the terms of
the inventory file (``servers[12].host: ...``), so the same messages serve
the file import, the upload page and the API.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Protocol

from domain.snapshot import GroupPolicy, HaModel, MemberRole, Snapshot
from domain.versions import problem as version_problem


class Named(Protocol):
    @property
    def name(self) -> str: ...


def find_problems(snapshot: Snapshot) -> list[str]:
    """Every inconsistency of the snapshot, each prefixed by its path."""
    return [
        *_duplicates(snapshot),
        *_versions(snapshot),
        *_servers(snapshot),
        *_capacity(snapshot),
        *_groups(snapshot),
        *_vnfs(snapshot),
    ]


def _duplicates(snapshot: Snapshot) -> Iterator[str]:
    sections: tuple[tuple[str, Sequence[Named]], ...] = (
        ("hosts", snapshot.hosts),
        ("servers", snapshot.servers),
        ("server_groups", snapshot.server_groups),
        ("vnfs", snapshot.vnfs),
    )
    for section, items in sections:
        first: dict[str, int] = {}
        for index, item in enumerate(items):
            if item.name in first:
                yield (
                    f"{section}[{index}].name: duplicate name {item.name!r} "
                    f"(first at {section}[{first[item.name]}])"
                )
            else:
                first[item.name] = index


def _versions(snapshot: Snapshot) -> Iterator[str]:
    for index, host in enumerate(snapshot.hosts):
        for component in host.components:
            if problem := version_problem(component.version):
                yield f"hosts[{index}].components.{component.name}: {problem}"
    for component in snapshot.target.components:
        if problem := version_problem(component.version):
            yield f"target_release.components.{component.name}: {problem}"
    for component in snapshot.control_plane:
        if problem := version_problem(component.version):
            yield f"control_plane.{component.name}: {problem}"


def _servers(snapshot: Snapshot) -> Iterator[str]:
    hosts = snapshot.host_by_name
    for index, server in enumerate(snapshot.servers):
        path = f"servers[{index}]"
        if server.host not in hosts:
            yield f"{path}.host: unknown host {server.host!r}"
        if server.memory_used_mib > server.ram_mib:
            yield (
                f"{path}.memory_used_mib: {server.memory_used_mib} MiB in use exceeds the "
                f"flavor's {server.ram_mib} MiB"
            )
        if server.working_set_mib > server.ram_mib:
            yield (
                f"{path}.working_set_mib: a working set of {server.working_set_mib} MiB "
                f"exceeds the flavor's {server.ram_mib} MiB"
            )
        if not server.live_migratable and not server.not_migratable_reason.strip():
            yield f"{path}.not_migratable_reason: say why the server cannot live-migrate"


def _capacity(snapshot: Snapshot) -> Iterator[str]:
    used: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for index, server in enumerate(snapshot.servers):
        host = snapshot.host_by_name.get(server.host)
        if host is None:
            continue
        totals = used[host.name]
        before = list(totals)
        totals[0] += server.vcpus
        totals[1] += server.ram_mib
        totals[2] += server.disk_gib
        for value, previous, capacity, label, unit in (
            (totals[0], before[0], host.vcpu_capacity, "vCPUs", ""),
            (totals[1], before[1], host.ram_capacity_mib, "RAM", " MiB"),
            (totals[2], before[2], host.disk_capacity_gib, "disk", " GiB"),
        ):
            # Report only the server that crosses the line, not every one after it.
            if value > capacity >= previous:
                yield (
                    f"servers[{index}].host: {server.name!r} does not fit on {host.name!r}: "
                    f"{label} {value:g}{unit} needed of {capacity:g}{unit}"
                )


def _groups(snapshot: Snapshot) -> Iterator[str]:
    servers = snapshot.server_by_name
    for index, group in enumerate(snapshot.server_groups):
        path = f"server_groups[{index}].members"
        known = []
        for member in group.members:
            if member not in servers:
                yield f"{path}: unknown server {member!r}"
            else:
                known.append(servers[member])
        if group.policy is GroupPolicy.ANTI_AFFINITY:
            seen: dict[str, str] = {}
            for server in known:
                if server.host in seen:
                    yield (
                        f"{path}: {seen[server.host]!r} and {server.name!r} share host "
                        f"{server.host!r} despite the anti-affinity policy"
                    )
                else:
                    seen[server.host] = server.name
        elif group.policy is GroupPolicy.AFFINITY:
            hosts = sorted({s.host for s in known})
            if len(hosts) > 1:
                yield f"{path}: affinity policy but members run on {', '.join(hosts)}"


def _vnfs(snapshot: Snapshot) -> Iterator[str]:
    servers = snapshot.server_by_name
    owner: dict[str, str] = {}
    for index, vnf in enumerate(snapshot.vnfs):
        path = f"vnfs[{index}]"
        for position, member in enumerate(vnf.members):
            if member.server not in servers:
                yield f"{path}.members[{position}].server: unknown server {member.server!r}"
            elif member.server in owner:
                yield (
                    f"{path}.members[{position}].server: {member.server!r} already belongs "
                    f"to VNF {owner[member.server]!r}"
                )
            else:
                owner[member.server] = vnf.name
        roles = [m.role for m in vnf.members]
        size = len(vnf.members)
        if vnf.ha_model is HaModel.ACTIVE_STANDBY:
            if roles.count(MemberRole.ACTIVE) != 1 or roles.count(MemberRole.STANDBY) < 1:
                yield (
                    f"{path}.members: active-standby needs exactly one active and at least "
                    f"one standby member"
                )
        elif MemberRole.STANDBY in roles or MemberRole.ACTIVE in roles:
            yield f"{path}.members: roles active/standby only fit the active-standby model"
        if vnf.max_impacted > size:
            yield f"{path}.max_impacted: {vnf.max_impacted} exceeds the {size} members"
        if vnf.required_members > size:
            yield f"{path}.required_members: {vnf.required_members} exceeds the {size} members"
