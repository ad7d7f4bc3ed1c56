"""Merge what OpenStack told us with what only the operator knows (pure).

Discovery (``executor.openstack_adapter.read_snapshot``) gives hosts,
capacities, services, aggregates, versions, servers and server groups.
OpenStack cannot tell VNF membership, HA models, NIC bandwidth for
migrations, dirty rates and working sets: those come from an overlay (an
inventory file, or the inventory already stored), with where each figure
came from. The memory in use is measured where Nova's server diagnostics
report it (``memory_source`` "measured"), else taken from the overlay. The
overlay never overrides what was discovered, except versions when the cloud
publishes none.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from domain.snapshot import InputSource, Server, Snapshot, Vnf

# 10 Gbit/s, the common migration NIC, when nobody says otherwise.
DEFAULT_NIC_BANDWIDTH_MIBPS = 1192.0


@dataclass(frozen=True)
class Merged:
    """The merged inventory and what had to be assumed or dropped."""

    snapshot: Snapshot
    notes: tuple[str, ...] = ()


def merge(discovered: Snapshot, overlay: Snapshot | None, *, cloud: str | None = None,
          default_nic_bandwidth_mibps: float = DEFAULT_NIC_BANDWIDTH_MIBPS) -> Merged:
    """``discovered`` completed from ``overlay`` (matched by host name, server
    uuid then name).

    Unknown NIC bandwidth gets ``default_nic_bandwidth_mibps``; a server with
    no known memory profile is assumed to use all its RAM (the pessimistic
    case for migration time) with no dirty rate. Each assumption is noted.
    """
    notes: list[str] = []
    known_hosts = overlay.host_by_name if overlay else {}
    hosts = []
    for host in discovered.hosts:
        old = known_hosts.get(host.name)
        bandwidth = old.nic_bandwidth_mibps if old else 0.0
        if bandwidth <= 0:
            bandwidth = default_nic_bandwidth_mibps
            notes.append(f"host {host.name}: NIC bandwidth unknown, "
                         f"assumed {default_nic_bandwidth_mibps:g} MiB/s")
        components = host.components
        if old and dict(old.versions) == dict(host.versions):
            components = old.components  # the same versions, in the operator's order
        elif not components and old and old.components:
            components = old.components
            notes.append(f"host {host.name}: the cloud publishes no versions, kept the known ones")
        hosts.append(replace(host, nic_bandwidth_mibps=bandwidth, components=components))

    by_uuid = {s.uuid: s for s in overlay.servers if s.uuid} if overlay else {}
    by_name = overlay.server_by_name if overlay else {}
    renamed: dict[str, str] = {}  # overlay name -> discovered name
    servers = []
    for server in discovered.servers:
        known = by_uuid.get(server.uuid) or by_name.get(server.name)
        if known is None:
            if server.memory_source != InputSource.MEASURED:
                notes.append(f"server {server.name}: no memory profile, assumed all "
                             f"{server.ram_mib} MiB in use")
                server = replace(server, memory_used_mib=server.ram_mib,
                                 memory_source=InputSource.DEFAULT)
            servers.append(server)
            continue
        renamed[known.name] = server.name
        servers.append(_profiled(server, known))

    vnfs = []
    for vnf in overlay.vnfs if overlay else ():
        kept = _surviving(vnf, renamed, notes)
        if kept is not None:
            vnfs.append(kept)

    snapshot = replace(
        discovered,
        cloud=cloud or (overlay.cloud if overlay else discovered.cloud),
        hosts=tuple(hosts),
        servers=tuple(servers),
        vnfs=tuple(vnfs),
        target=overlay.target if overlay else discovered.target,
        control_plane=discovered.control_plane or (overlay.control_plane if overlay else ()),
        openstack_cloud=discovered.openstack_cloud
        or (overlay.openstack_cloud if overlay else ""),
    )
    return Merged(snapshot=snapshot, notes=tuple(notes))


def _profiled(server: Server, old: Server) -> Server:
    """The discovered server with the overlay's memory behaviour (clamped to
    its current flavor, which may have been resized since); memory in use the
    cloud measured wins over the overlay's."""
    measured = server.memory_source == InputSource.MEASURED
    return replace(
        server,
        memory_used_mib=server.memory_used_mib if measured else min(old.memory_used_mib, server.ram_mib),
        memory_source=InputSource.MEASURED if measured else old.memory_source,
        dirty_rate_mibps=old.dirty_rate_mibps,
        dirty_rate_source=old.dirty_rate_source,
        working_set_mib=min(old.working_set_mib, server.ram_mib),
        live_migratable=old.live_migratable,
        not_migratable_reason=old.not_migratable_reason,
    )


def _surviving(vnf: Vnf, renamed: dict[str, str], notes: list[str]) -> Vnf | None:
    """The VNF over the servers that still exist, or None if none do."""
    members = []
    for member in vnf.members:
        if member.server in renamed:
            members.append(replace(member, server=renamed[member.server]))
        else:
            notes.append(f"vnf {vnf.name}: member {member.server} is gone from the cloud")
    if not members:
        notes.append(f"vnf {vnf.name}: dropped, none of its servers exist")
        return None
    size = len(members)
    return replace(vnf, members=tuple(members), max_impacted=min(vnf.max_impacted, size),
                   required_members=min(vnf.required_members, size))
