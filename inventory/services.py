"""Between the stored inventory and the pure Snapshot the cores consume."""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from domain import drift
from domain.snapshot import (
    Component,
    GroupPolicy,
    HaModel,
    Host,
    InputSource,
    MemberRole,
    MigrationType,
    Release,
    Server,
    ServerGroup,
    ServiceState,
    ServiceStatus,
    Snapshot,
    Vnf,
    VnfMember,
)
from inventory import models as m
from inventory.file_reader import size_problem
from inventory.files import (
    InventoryError,
    decode,
    dump_inventory,
    load_inventory,
    parse_inventory,
    read_document,
    snapshot_from_document,
)
from inventory.filtersets import HostFilterSet

_BATCH = 2000


class CloudNotFound(LookupError):
    pass


def default_cloud() -> m.Cloud:
    """The cloud to show when none is named: the only one, or the most recently updated."""
    cloud = m.Cloud.objects.order_by("-updated").first()
    if cloud is None:
        raise CloudNotFound("No inventory is stored yet: import one with import_inventory.")
    return cloud


def get_cloud(name: str | None = None) -> m.Cloud:
    if name is None:
        return default_cloud()
    try:
        return m.Cloud.objects.get(name=name)
    except m.Cloud.DoesNotExist as exc:
        known = ", ".join(m.Cloud.objects.values_list("name", flat=True)) or "none"
        raise CloudNotFound(f"No cloud named {name!r} (stored: {known}).") from exc


def import_file(path, replace: bool = False, user=None) -> dict[str, int]:
    """Check a whole inventory file, then store it atomically (or raise InventoryError)."""
    return replace_inventory(
        load_inventory(path, max_bytes=settings.INVENTORY_MAX_BYTES), replace=replace,
        source=f"file {Path(path).name}", user=user,
    )


def import_upload(upload, replace: bool = False, user=None) -> dict[str, int]:
    """The same as import_file, for a file uploaded through a page or the API."""
    name = getattr(upload, "name", None) or "upload"
    limit = settings.INVENTORY_MAX_BYTES
    too_big = size_problem(name, upload.size or 0, limit)
    if too_big:
        raise InventoryError([too_big])
    # One byte more than the limit is enough to know it is over (size can lie).
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise InventoryError([size_problem(name, len(data), limit) or name])
    document = read_document(decode(data, name), name=name, max_bytes=limit)
    return replace_inventory(parse_inventory(document), replace=replace,
                             source=f"upload {name}", user=user)


def replace_inventory(
    snapshot: Snapshot, replace: bool = True, *, kind: str = "import", source: str = "",
    user=None,
) -> dict[str, int]:
    """Store a snapshot as its cloud's current inventory, atomically, and record it as a version.

    The cloud's row stays: its plans, simulations, pre-checks, approvals and
    executions keep pointing at it, and at the versions they were made from.
    Without ``replace`` an existing cloud of the same name is an error, so an
    import never overwrites an inventory by accident.
    """
    with transaction.atomic():
        cloud = m.Cloud.objects.select_for_update().filter(name=snapshot.cloud).first()
        if cloud is not None:
            if not replace:
                raise InventoryError(
                    [f"cloud.name: cloud {snapshot.cloud!r} is already stored; "
                     f"use --replace to overwrite its inventory"]
                )
            current_version(cloud)  # an inventory stored before versions existed keeps its own
            _clear(cloud)
            cloud.openstack_cloud = snapshot.openstack_cloud
            cloud.target_release = snapshot.target.name
            cloud.save()
        else:
            cloud = m.Cloud.objects.create(
                name=snapshot.cloud,
                openstack_cloud=snapshot.openstack_cloud,
                target_release=snapshot.target.name,
            )
        counts = _write(snapshot, cloud)
        version = record_version(cloud, snapshot, kind=kind, source=source, user=user)
    return {**counts, "version": version.number}


def _clear(cloud: m.Cloud) -> None:
    """Delete the cloud's current rows (never the cloud, nor its versions and history)."""
    # Servers protect their host: delete them before hosts.
    m.VnfMember.objects.filter(vnf__cloud=cloud).delete()
    m.Vnf.objects.filter(cloud=cloud).delete()
    m.ServerGroup.objects.filter(cloud=cloud).delete()
    m.Server.objects.filter(cloud=cloud).delete()
    m.Host.objects.filter(cloud=cloud).delete()
    m.Aggregate.objects.filter(cloud=cloud).delete()
    m.ReleaseComponent.objects.filter(cloud=cloud).delete()
    m.ControlPlaneComponent.objects.filter(cloud=cloud).delete()


def record_version(cloud: m.Cloud, snapshot: Snapshot, *, kind: str, source: str = "",
                   user=None) -> m.InventoryVersion:
    """Add ``snapshot`` as the cloud's newest version, with what changed since the last one."""
    previous = cloud.versions.order_by("-number").first()
    changes = drift.diff(version_snapshot(previous), snapshot).to_dict() if previous else {}
    return m.InventoryVersion.objects.create(
        cloud=cloud,
        number=(previous.number + 1) if previous else 1,
        kind=kind,
        source=source[:500],
        created_by=user if user is not None and getattr(user, "is_authenticated", False) else None,
        fingerprint=snapshot.fingerprint(),
        document=dump_inventory(snapshot),
        counts={"hosts": len(snapshot.hosts), "servers": len(snapshot.servers),
                "server_groups": len(snapshot.server_groups), "vnfs": len(snapshot.vnfs)},
        changes=changes,
    )


def current_version(cloud: m.Cloud) -> m.InventoryVersion:
    """The cloud's newest version; an inventory stored before versions existed gets its first."""
    version = cloud.versions.order_by("-number").first()
    if version is None:
        version = record_version(cloud, load_snapshot(cloud), kind=m.VersionKind.MIGRATION,
                                 source="the stored inventory")
    return version


def record_edit(cloud: m.Cloud, user, what: str) -> m.InventoryVersion:
    """An edit of the stored rows (API, admin) becomes a version too: plans see it."""
    return record_version(cloud, load_snapshot(cloud), kind=m.VersionKind.EDIT,
                          source=what, user=user)


# The background task that reads a cloud from OpenStack (executor.tasks), by name:
# the inventory app does not import the executor, which owns the OpenStack adapter.
REFRESH_TASK = "executor.refresh"


def request_refresh(cloud: m.Cloud, user) -> None:
    """Read the cloud again from OpenStack, in the background; a new version when done."""
    from escalator_site.jobs import submit

    m.Cloud.objects.filter(pk=cloud.pk).update(refresh_requested=timezone.now(), refresh_error="")
    user_id = user.pk if user is not None and user.is_authenticated else None
    transaction.on_commit(lambda: submit(REFRESH_TASK, cloud.pk, user_id))


def version_history(cloud: m.Cloud, limit: int = 20) -> list[dict[str, Any]]:
    """The cloud's newest versions, each with what changed since the one before."""
    current_version(cloud)
    return [
        {"number": v.number, "kind": v.kind, "kind_label": v.get_kind_display(),
         "source": v.source, "created": v.created,
         "created_by": v.created_by.username if v.created_by else "",
         "fingerprint": v.fingerprint, "counts": v.counts,
         "changes": drift.Diff.from_dict(v.changes).lines()}
        for v in cloud.versions.select_related("created_by").order_by("-number")[:limit]
    ]


@lru_cache(maxsize=32)
def _snapshot_of(version_id: int, fingerprint: str) -> Snapshot:
    # Versions never change: the fingerprint in the key only guards against reuse of ids.
    document = m.InventoryVersion.objects.values_list("document", flat=True).get(pk=version_id)
    return snapshot_from_document(document)


def version_snapshot(version: m.InventoryVersion) -> Snapshot:
    """The Snapshot a version holds."""
    return _snapshot_of(version.pk, version.fingerprint)


def _write(snapshot: Snapshot, cloud: m.Cloud) -> dict[str, int]:
    m.ReleaseComponent.objects.bulk_create(
        m.ReleaseComponent(cloud=cloud, name=c.name, version=c.version)
        for c in snapshot.target.components
    )
    m.ControlPlaneComponent.objects.bulk_create(
        m.ControlPlaneComponent(cloud=cloud, name=c.name, version=c.version)
        for c in snapshot.control_plane
    )
    aggregate_names = sorted({a for h in snapshot.hosts for a in h.aggregates})
    aggregates = {
        a.name: a
        for a in m.Aggregate.objects.bulk_create(
            m.Aggregate(cloud=cloud, name=name) for name in aggregate_names
        )
    }
    hosts = m.Host.objects.bulk_create(
        (
            m.Host(
                cloud=cloud,
                name=h.name,
                az=h.az,
                vcpus=h.vcpus,
                ram_mib=h.ram_mib,
                disk_gib=h.disk_gib,
                cpu_allocation_ratio=h.cpu_allocation_ratio,
                ram_allocation_ratio=h.ram_allocation_ratio,
                disk_allocation_ratio=h.disk_allocation_ratio,
                nic_bandwidth_mibps=h.nic_bandwidth_mibps,
                service_status=str(h.service_status),
                service_state=str(h.service_state),
                disabled_reason=h.disabled_reason,
            )
            for h in snapshot.hosts
        ),
        batch_size=_BATCH,
    )
    host_rows = {row.name: row for row in hosts}
    m.HostComponent.objects.bulk_create(
        (
            m.HostComponent(host=host_rows[h.name], name=c.name, version=c.version)
            for h in snapshot.hosts
            for c in h.components
        ),
        batch_size=_BATCH,
    )
    m.Host.aggregates.through.objects.bulk_create(
        (
            m.Host.aggregates.through(host_id=host_rows[h.name].pk, aggregate_id=aggregates[a].pk)
            for h in snapshot.hosts
            for a in h.aggregates
        ),
        batch_size=_BATCH,
    )
    servers = m.Server.objects.bulk_create(
        (
            m.Server(
                cloud=cloud,
                name=s.name,
                uuid=s.uuid,
                host=host_rows[s.host],
                flavor=s.flavor,
                vcpus=s.vcpus,
                ram_mib=s.ram_mib,
                disk_gib=s.disk_gib,
                status=s.status,
                task_state=s.task_state,
                memory_used_mib=s.memory_used_mib,
                dirty_rate_mibps=s.dirty_rate_mibps,
                memory_source=str(s.memory_source),
                dirty_rate_source=str(s.dirty_rate_source),
                working_set_mib=s.working_set_mib,
                live_migratable=s.live_migratable,
                not_migratable_reason=s.not_migratable_reason,
            )
            for s in snapshot.servers
        ),
        batch_size=_BATCH,
    )
    server_rows = {row.name: row for row in servers}
    groups = m.ServerGroup.objects.bulk_create(
        (m.ServerGroup(cloud=cloud, name=g.name, policy=str(g.policy)) for g in snapshot.server_groups),
        batch_size=_BATCH,
    )
    m.ServerGroup.members.through.objects.bulk_create(
        (
            m.ServerGroup.members.through(servergroup_id=row.pk, server_id=server_rows[name].pk)
            for row, g in zip(groups, snapshot.server_groups, strict=True)
            for name in g.members
        ),
        batch_size=_BATCH,
    )
    vnfs = m.Vnf.objects.bulk_create(
        (
            m.Vnf(
                cloud=cloud,
                name=v.name,
                ha_model=str(v.ha_model),
                max_impacted=v.max_impacted,
                required_members=v.required_members,
                switchover_s=v.switchover_s,
                outage_budget_s=v.outage_budget_s,
                recovery_time_s=v.recovery_time_s,
                lead_time_s=v.lead_time_s,
                migration_type=str(v.migration_type),
            )
            for v in snapshot.vnfs
        ),
        batch_size=_BATCH,
    )
    m.VnfMember.objects.bulk_create(
        (
            m.VnfMember(vnf=row, server=server_rows[member.server], role=str(member.role))
            for row, v in zip(vnfs, snapshot.vnfs, strict=True)
            for member in v.members
        ),
        batch_size=_BATCH,
    )
    return {
        "hosts": len(hosts),
        "servers": len(servers),
        "server_groups": len(groups),
        "vnfs": len(vnfs),
        "aggregates": len(aggregates),
    }


def load_snapshot(cloud: str | m.Cloud | None = None, models: Any = m) -> Snapshot:
    """Read a stored cloud into a Snapshot, with a fixed number of queries.

    ``models`` is this app's models module, or the historical models of a
    data migration (which reads rows stored before versions existed).
    """
    row = cloud if isinstance(cloud, models.Cloud) else get_cloud(cloud)
    components: dict[int, list[Component]] = defaultdict(list)
    for host_id, name, version in models.HostComponent.objects.filter(host__cloud=row).values_list(
        "host_id", "name", "version"
    ).order_by("host_id", "pk"):
        components[host_id].append(Component(name, version))
    aggregates: dict[int, list[str]] = defaultdict(list)
    for host_id, name in models.Host.aggregates.through.objects.filter(
        host__cloud=row
    ).values_list("host_id", "aggregate__name").order_by("host_id", "pk"):
        aggregates[host_id].append(name)
    host_names: dict[int, str] = {}
    hosts = []
    for h in models.Host.objects.filter(cloud=row).order_by("pk"):
        host_names[h.pk] = h.name
        hosts.append(
            Host(
                name=h.name,
                az=h.az,
                aggregates=tuple(aggregates[h.pk]),
                vcpus=h.vcpus,
                ram_mib=h.ram_mib,
                disk_gib=h.disk_gib,
                cpu_allocation_ratio=h.cpu_allocation_ratio,
                ram_allocation_ratio=h.ram_allocation_ratio,
                disk_allocation_ratio=h.disk_allocation_ratio,
                nic_bandwidth_mibps=h.nic_bandwidth_mibps,
                service_status=ServiceStatus(h.service_status),
                service_state=ServiceState(h.service_state),
                disabled_reason=h.disabled_reason,
                components=tuple(components[h.pk]),
            )
        )
    server_names: dict[int, str] = {}
    servers = []
    for s in models.Server.objects.filter(cloud=row).order_by("pk"):
        server_names[s.pk] = s.name
        servers.append(
            Server(
                name=s.name,
                uuid=s.uuid,
                host=host_names[s.host_id],
                flavor=s.flavor,
                vcpus=s.vcpus,
                ram_mib=s.ram_mib,
                disk_gib=s.disk_gib,
                status=s.status,
                task_state=s.task_state,
                memory_used_mib=s.memory_used_mib,
                dirty_rate_mibps=s.dirty_rate_mibps,
                # Getattr: migrations read rows through models older than these fields.
                memory_source=InputSource(getattr(s, "memory_source", "default")),
                dirty_rate_source=InputSource(getattr(s, "dirty_rate_source", "default")),
                working_set_mib=s.working_set_mib,
                live_migratable=s.live_migratable,
                not_migratable_reason=s.not_migratable_reason,
            )
        )
    members: dict[int, list[str]] = defaultdict(list)
    for group_id, server_id in models.ServerGroup.members.through.objects.filter(
        servergroup__cloud=row
    ).values_list("servergroup_id", "server_id").order_by("servergroup_id", "pk"):
        members[group_id].append(server_names[server_id])
    groups = tuple(
        ServerGroup(name=g.name, policy=GroupPolicy(g.policy), members=tuple(members[g.pk]))
        for g in models.ServerGroup.objects.filter(cloud=row).order_by("pk")
    )
    vnf_members: dict[int, list[VnfMember]] = defaultdict(list)
    for vnf_id, server_id, role in models.VnfMember.objects.filter(vnf__cloud=row).values_list(
        "vnf_id", "server_id", "role"
    ).order_by("vnf_id", "pk"):
        vnf_members[vnf_id].append(VnfMember(server_names[server_id], MemberRole(role)))
    vnfs = tuple(
        Vnf(
            name=v.name,
            ha_model=HaModel(v.ha_model),
            members=tuple(vnf_members[v.pk]),
            max_impacted=v.max_impacted,
            required_members=v.required_members,
            switchover_s=v.switchover_s,
            outage_budget_s=v.outage_budget_s,
            recovery_time_s=getattr(v, "recovery_time_s", 0.0),
            lead_time_s=getattr(v, "lead_time_s", 0.0),
            migration_type=MigrationType(getattr(v, "migration_type", "any")),
        )
        for v in models.Vnf.objects.filter(cloud=row).order_by("pk")
    )
    return Snapshot(
        cloud=row.name,
        openstack_cloud=row.openstack_cloud,
        hosts=tuple(hosts),
        servers=tuple(servers),
        server_groups=groups,
        vnfs=vnfs,
        target=Release(
            name=row.target_release,
            components=tuple(
                Component(c.name, c.version) for c in row.target_components.order_by("pk")
            ),
        ),
        control_plane=tuple(
            Component(c.name, c.version) for c in row.control_plane.order_by("pk")
        ),
    )


def cloud_overview(cloud: str | None = None) -> dict:
    """Headline figures of a cloud for the dashboard, in a handful of queries."""
    row = get_cloud(cloud)
    hosts = m.Host.objects.filter(cloud=row)
    host_figures = hosts.aggregate(
        total=Count("id"),
        down=Count("id", filter=Q(service_state="down")),
        disabled=Count("id", filter=Q(service_status="disabled")),
        ram=Sum("ram_mib"),
    )
    server_figures = m.Server.objects.filter(cloud=row).aggregate(
        total=Count("id"),
        unstable=Count("id", filter=~Q(status__in=["ACTIVE", "SHUTOFF"])),
        pinned=Count("id", filter=Q(live_migratable=False)),
        ram=Sum("ram_mib"),
    )
    vnfs = dict(
        m.Vnf.objects.filter(cloud=row).values_list("ha_model").annotate(n=Count("id"))
    )
    behind = HostFilterSet({"behind_target": "true"}, queryset=hosts).qs.count()
    version = version_history(row, limit=1)[0]
    ram_total = host_figures["ram"] or 0
    return {
        "cloud": row,
        "hosts": host_figures,
        "servers": server_figures,
        "vnfs": vnfs,
        "vnf_total": sum(vnfs.values()),
        "hosts_behind_target": behind,
        "ram_used_pct": round(100 * (server_figures["ram"] or 0) / ram_total, 1) if ram_total else 0,
        "azs": list(hosts.values_list("az", flat=True).distinct().order_by("az")),
        "version": version,
    }
