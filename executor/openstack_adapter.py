"""The cloud port over openstacksdk: the only module that imports ``openstack``.

It turns SDK resources into the dataclasses of ``executor.port`` and SDK and
keystoneauth exceptions into the port's error hierarchy, and it reads a whole
cloud into an inventory ``Snapshot`` for discovery.

Where versions come from: the metadata of the host aggregates a host belongs
to, keys ``escalator:version:<component>`` (see docs/sandbox.md). Capacities
come from Placement (totals and allocation ratios), because the compute API
stopped reporting them at microversion 2.88.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import openstack
import openstack.config
import openstack.connection
from keystoneauth1 import exceptions as ksa_exceptions
from openstack import exceptions as sdk_exceptions

from domain.snapshot import (
    Component,
    GroupPolicy,
    Host,
    InputSource,
    Server,
    ServerGroup,
    ServiceState,
    ServiceStatus,
    Snapshot,
)
from executor.port import (
    VERSION_KEY_PREFIX,
    AggregateInfo,
    CloudError,
    Conflict,
    FlavorInfo,
    HostCapacity,
    HypervisorInfo,
    MigrationInfo,
    NotFound,
    Permanent,
    ServerGroupInfo,
    ServerInfo,
    ServiceInfo,
    Transient,
    WaitTimeout,
)

COMPUTE_BINARY = "nova-compute"
TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


def translate(exc: BaseException) -> CloudError:
    """Our error for an SDK or keystoneauth one (see ``executor.port``)."""
    if isinstance(exc, CloudError):
        return exc
    if isinstance(exc, sdk_exceptions.HttpException):
        status = exc.status_code
        request_id = getattr(exc, "request_id", "") or ""
        message = _http_message(exc)
        if status == 404 or isinstance(exc, sdk_exceptions.NotFoundException):
            return NotFound(message, status=status, request_id=request_id)
        if status == 409:
            return Conflict(message, status=status, request_id=request_id)
        if status is None or status in TRANSIENT_STATUSES:
            return Transient(message, status=status, request_id=request_id)
        return Permanent(message, status=status, request_id=request_id)
    if isinstance(exc, sdk_exceptions.ResourceTimeout):
        return WaitTimeout(str(exc))
    if isinstance(exc, ksa_exceptions.HttpError):
        status = exc.http_status
        cls = Transient if status in TRANSIENT_STATUSES else Permanent
        return cls(str(exc), status=status)
    if isinstance(exc, ksa_exceptions.ConnectionError | ksa_exceptions.RetriableConnectionFailure):
        return Transient(f"cannot reach the cloud: {exc}")
    if isinstance(exc, TimeoutError | ConnectionError):
        return Transient(str(exc))
    return Permanent(f"{type(exc).__name__}: {exc}")


def _http_message(exc: sdk_exceptions.HttpException) -> str:
    details = getattr(exc, "details", None)
    if details:
        return f"HTTP {exc.status_code}: {details}"
    return f"HTTP {exc.status_code}: {exc.message}"


@contextlib.contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except (sdk_exceptions.SDKException, ksa_exceptions.ClientException,
            TimeoutError, ConnectionError) as exc:
        raise translate(exc) from exc


class OpenStackCloud:
    """``executor.port.CloudPort`` for one OpenStack region.

    ``clock`` and ``sleep`` drive every wait, so that a test can run waits
    on a fake clock. Waits follow openstacksdk's ``wait_for_status`` rules
    (statuses compared case-insensitively, a failure status ends the wait
    at once) but also require nova's ``task_state`` to be empty, and they
    ride over transient API errors until the deadline.
    """

    def __init__(self, connection: Any, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.conn = connection
        self.clock = clock
        self.sleep = sleep

    @classmethod
    def from_cloud(cls, name: str, *, timeout: float | None = None,
                   config_file: str | os.PathLike[str] | None = None,
                   **kwargs: Any) -> OpenStackCloud:
        """Connect to the ``name`` entry of clouds.yaml (``OS_CLIENT_CONFIG_FILE`` honored).

        ``timeout`` bounds each HTTP request (openstacksdk's ``api_timeout``);
        ``config_file`` reads that clouds.yaml instead of the usual places.
        """
        options: dict[str, Any] = {}
        if timeout is not None:
            options["api_timeout"] = timeout
        with _translated():
            if config_file is None:
                conn = openstack.connect(cloud=name, **options)
            else:
                config = openstack.config.OpenStackConfig(config_files=[str(config_file)])
                conn = openstack.connection.Connection(
                    config=config.get_one(cloud=name, **options))
        return cls(conn, **kwargs)

    # ------------------------------------------------------------ reading
    def services(self, host: str | None = None) -> list[ServiceInfo]:
        query = {"host": host} if host else {}
        with _translated():
            return [_service(s) for s in self.conn.compute.services(**query)]

    def compute_service(self, host: str) -> ServiceInfo:
        for service in self.services(host=host):
            if service.binary == COMPUTE_BINARY and service.host == host:
                return service
        raise NotFound(f"no nova-compute service on host {host}")

    def hypervisors(self) -> list[HypervisorInfo]:
        with _translated():
            return [_hypervisor(h) for h in self.conn.compute.hypervisors(details=True)]

    def capacities(self) -> list[HostCapacity]:
        """Placement inventories of the compute nodes, keyed by service host."""
        host_of = {h.name: h.host for h in self.hypervisors()}
        result = []
        with _translated():
            for provider in self.conn.placement.resource_providers():
                if provider.name not in host_of:
                    continue  # a nested or sharing provider, not a compute node
                inv = {i.resource_class: i for i in
                       self.conn.placement.resource_provider_inventories(provider)}
                result.append(_capacity(host_of[provider.name], inv))
        return result

    def servers(self, host: str | None = None) -> list[ServerInfo]:
        query: dict[str, Any] = {"details": True, "all_projects": True}
        if host:
            query["compute_host"] = host
        with _translated():
            return [_server(s) for s in self.conn.compute.servers(**query)]

    def server(self, server_id: str) -> ServerInfo:
        with _translated():
            return _server(self.conn.compute.get_server(server_id))

    def aggregates(self) -> list[AggregateInfo]:
        with _translated():
            return [_aggregate(a) for a in self.conn.compute.aggregates()]

    def server_groups(self) -> list[ServerGroupInfo]:
        with _translated():
            return [
                ServerGroupInfo(id=g.id, name=g.name, policy=g.policy or "",
                                member_ids=tuple(g.member_ids or ()))
                for g in self.conn.compute.server_groups(all_projects=True)
            ]

    def flavors(self) -> list[FlavorInfo]:
        with _translated():
            return [
                FlavorInfo(id=f.id, name=f.name, vcpus=f.vcpus, ram_mib=f.ram,
                           disk_gib=f.disk)
                for f in self.conn.compute.flavors(details=True)
            ]

    def host_versions(self, host: str) -> dict[str, str]:
        return versions_of(host, self.aggregates())

    def migrations(self, server_id: str | None = None,
                   host: str | None = None) -> list[MigrationInfo]:
        """Migration records, oldest first."""
        query = {}
        if server_id:
            query["server_id"] = server_id
        if host:
            query["host"] = host
        with _translated():
            rows = [_migration(m) for m in self.conn.compute.migrations(**query)]
        return sorted(rows, key=lambda m: (m.created_at, int(m.id) if m.id.isdigit() else 0))

    # ------------------------------------------------------------ acting
    def disable_service(self, host: str, reason: str) -> ServiceInfo:
        service = self.compute_service(host)
        with _translated():
            return _service(self.conn.compute.disable_service(
                service.id, disabled_reason=reason))

    def enable_service(self, host: str) -> ServiceInfo:
        service = self.compute_service(host)
        with _translated():
            return _service(self.conn.compute.enable_service(service.id))

    def live_migrate(self, server_id: str, host: str | None = None) -> None:
        """Start a live migration; ``host=None`` lets the scheduler choose.

        A destination that is refused up front (no valid host, failed
        pre-check, source host down) raises ``Permanent`` (HTTP 400) here.
        """
        with _translated():
            self.conn.compute.live_migrate_server(server_id, host=host, block_migration="auto")

    def cold_migrate(self, server_id: str, host: str | None = None) -> None:
        with _translated():
            self.conn.compute.migrate_server(server_id, host=host)

    def confirm_resize(self, server_id: str) -> None:
        with _translated():
            self.conn.compute.confirm_server_resize(server_id)

    def stop_server(self, server_id: str) -> None:
        with _translated():
            self.conn.compute.stop_server(server_id)

    def start_server(self, server_id: str) -> None:
        with _translated():
            self.conn.compute.start_server(server_id)

    def abort_migration(self, server_id: str, migration_id: str) -> None:
        with _translated():
            self.conn.compute.abort_server_migration(
                migration_id, server_id, ignore_missing=False)

    # ------------------------------------------------------------- waiting
    def wait_for_server(self, server_id: str, status: str | tuple[str, ...] = "ACTIVE", *,
                        timeout: float = 300.0, interval: float = 1.0,
                        failures: tuple[str, ...] = ("ERROR",)) -> ServerInfo:
        """Poll until the server has one of ``status`` and no task in progress."""
        wanted = {s.upper() for s in ((status,) if isinstance(status, str) else status)}
        failing = {s.upper() for s in failures}

        def done(server: ServerInfo) -> bool:
            if server.status.upper() in failing:
                raise Permanent(f"server {server.name} ({server.id}) went to {server.status}"
                                + (f": {server.fault}" if server.fault else ""))
            return server.status.upper() in wanted and not server.task_state

        return self._poll(lambda: self.server(server_id), done, timeout, interval,
                          f"server {server_id} to be {'/'.join(sorted(wanted))}")

    def wait_for_service(self, host: str, state: str, *, timeout: float = 300.0,
                         interval: float = 1.0) -> ServiceInfo:
        """Poll until ``host``'s nova-compute reports ``state`` ("up" or "down")."""
        return self._poll(lambda: self.compute_service(host), lambda s: s.state == state,
                          timeout, interval, f"nova-compute on {host} to be {state}")

    def _poll(self, fetch: Callable[[], Any], done: Callable[[Any], bool],
              timeout: float, interval: float, what: str) -> Any:
        deadline = self.clock() + timeout
        last: Any = None
        while True:
            try:
                last = fetch()
                if done(last):
                    return last
            except Transient as exc:
                last = exc  # the API hiccuped: the state may still come
            if self.clock() >= deadline:
                raise WaitTimeout(f"timed out after {timeout:g} s waiting for {what}", last=last)
            self.sleep(interval)

    # ----------------------------------------------------------- discovery
    def memory_in_use(self, server_id: str) -> int | None:
        """The guest's memory in use (MiB) from Nova's server diagnostics, None if unknown.

        ``GET /servers/{id}/diagnostics`` at microversion 2.48 (the
        standardised format): ``memory_details.used`` as the driver reports
        it. A figure of 0, or the whole allocation (what a driver gives when
        it knows only the balloon's size), tells nothing; nor does a cloud
        whose policy or driver refuses diagnostics.
        """
        try:
            with _translated():
                response = self.conn.compute.get(f"/servers/{server_id}/diagnostics",
                                                 microversion="2.48")
                details = (response.json() or {}).get("memory_details") or {}
        except (CloudError, ValueError, AttributeError):
            return None
        used, allocated = details.get("used"), details.get("maximum")
        if not isinstance(used, int | float) or not isinstance(allocated, int | float):
            return None
        return int(used) if 0 < used < allocated else None

    def read_snapshot(self, cloud: str = "") -> Snapshot:
        """The cloud as an inventory: what OpenStack can tell, nothing more.

        NIC bandwidth, dirty rates and VNFs are unknown to OpenStack: they
        are left at their defaults for ``inventory.discovery`` to fill. The
        memory in use is measured where the server diagnostics tell it.
        """
        services = [s for s in self.services() if s.binary == COMPUTE_BINARY]
        aggregates = self.aggregates()
        capacity = {c.host: c for c in self.capacities()}
        hosts = tuple(sorted((_host(s, capacity.get(s.host), aggregates) for s in services),
                             key=lambda h: h.name))
        raw_servers = [s for s in self.servers() if s.host]
        names = _unique_names(raw_servers)
        used = {s.id: self.memory_in_use(s.id) for s in raw_servers}
        servers = tuple(sorted(
            (Server(name=names[s.id], host=s.host, flavor=s.flavor, vcpus=s.vcpus,
                    ram_mib=s.ram_mib, disk_gib=s.disk_gib, status=s.status,
                    task_state=s.task_state, uuid=s.id, memory_used_mib=used[s.id] or 0,
                    memory_source=InputSource.MEASURED if used[s.id] else InputSource.DEFAULT)
             for s in raw_servers),
            key=lambda s: s.name))
        groups = []
        for group in self.server_groups():
            try:
                policy = GroupPolicy(group.policy)
            except ValueError:
                continue
            members = tuple(sorted(names[m] for m in group.member_ids if m in names))
            groups.append(ServerGroup(name=group.name, policy=policy, members=members))
        return Snapshot(cloud=cloud, openstack_cloud=cloud, hosts=hosts, servers=servers,
                        server_groups=tuple(sorted(groups, key=lambda g: g.name)))


def read_snapshot(cloud: str, *, timeout: float | None = None) -> Snapshot:
    """Discover the ``cloud`` entry of clouds.yaml as a Snapshot."""
    return OpenStackCloud.from_cloud(cloud, timeout=timeout).read_snapshot(cloud)


# ----------------------------------------------------------- conversions
def _service(s: Any) -> ServiceInfo:
    return ServiceInfo(id=str(s.id), host=s.host or "", binary=s.binary or "",
                       status=s.status or "", state=s.state or "",
                       zone=s.availability_zone or "",
                       disabled_reason=s.disabled_reason or "",
                       forced_down=bool(s.is_forced_down))


def _hypervisor(h: Any) -> HypervisorInfo:
    details = h.service_details or {}
    return HypervisorInfo(id=str(h.id), name=h.name or "", host=details.get("host") or h.name,
                          status=h.status or "", state=h.state or "",
                          hypervisor_type=h.hypervisor_type or "",
                          hypervisor_version=int(h.hypervisor_version or 0))


def _capacity(host: str, inv: dict[str, Any]) -> HostCapacity:
    def total(rc: str) -> int:
        return int(inv[rc].total) if rc in inv else 0

    def ratio(rc: str) -> float:
        return float(inv[rc].allocation_ratio) if rc in inv else 1.0

    return HostCapacity(host=host, vcpus=total("VCPU"), ram_mib=total("MEMORY_MB"),
                        disk_gib=total("DISK_GB"), cpu_allocation_ratio=ratio("VCPU"),
                        ram_allocation_ratio=ratio("MEMORY_MB"),
                        disk_allocation_ratio=ratio("DISK_GB"))


def _server(s: Any) -> ServerInfo:
    flavor = s.flavor
    fault = s.fault or {}
    return ServerInfo(
        id=s.id, name=s.name or "", status=s.status or "", host=s.compute_host or "",
        task_state=s.task_state or "",
        flavor=(getattr(flavor, "original_name", None) or getattr(flavor, "name", None)
                or "") if flavor else "",
        vcpus=int(getattr(flavor, "vcpus", 0) or 0) if flavor else 0,
        ram_mib=int(getattr(flavor, "ram", 0) or 0) if flavor else 0,
        disk_gib=int(getattr(flavor, "disk", 0) or 0) if flavor else 0,
        az=s.availability_zone or "", project_id=s.project_id or "",
        fault=str(fault.get("message", "")) if isinstance(fault, dict) else "",
    )


def _aggregate(a: Any) -> AggregateInfo:
    return AggregateInfo(id=str(a.id), name=a.name or "", az=a.availability_zone or "",
                         hosts=tuple(a.hosts or ()), metadata=dict(a.metadata or {}))


def _migration(m: Any) -> MigrationInfo:
    return MigrationInfo(id=str(m.id), server_id=m.server_id or "",
                         kind=m.migration_type or "", status=m.status or "",
                         source_host=m.source_compute or "", dest_host=m.dest_compute or "",
                         created_at=m.created_at or "", updated_at=m.updated_at or "")


def versions_of(host: str, aggregates: list[AggregateInfo]) -> dict[str, str]:
    """Component versions published for ``host`` in its aggregates' metadata."""
    versions: dict[str, str] = {}
    for agg in aggregates:
        if host in agg.hosts:
            for key, value in agg.metadata.items():
                if key.startswith(VERSION_KEY_PREFIX):
                    versions[key[len(VERSION_KEY_PREFIX):]] = value
    return versions


def _is_grouping(agg: AggregateInfo) -> bool:
    """An operator's aggregate, not an AZ's own nor a versions record."""
    if any(k.startswith(VERSION_KEY_PREFIX) for k in agg.metadata):
        return False
    return not (agg.az and agg.name == agg.az)


def _host(service: ServiceInfo, cap: HostCapacity | None,
          aggregates: list[AggregateInfo]) -> Host:
    versions = versions_of(service.host, aggregates)
    return Host(
        name=service.host,
        az=service.zone,
        vcpus=cap.vcpus if cap else 0,
        ram_mib=cap.ram_mib if cap else 0,
        disk_gib=cap.disk_gib if cap else 0,
        nic_bandwidth_mibps=0.0,
        aggregates=tuple(sorted(a.name for a in aggregates
                                if service.host in a.hosts and _is_grouping(a))),
        cpu_allocation_ratio=cap.cpu_allocation_ratio if cap else 1.0,
        ram_allocation_ratio=cap.ram_allocation_ratio if cap else 1.0,
        disk_allocation_ratio=cap.disk_allocation_ratio if cap else 1.0,
        service_status=ServiceStatus(service.status) if service.status in
        ("enabled", "disabled") else ServiceStatus.DISABLED,
        service_state=ServiceState.UP if service.state == "up" else ServiceState.DOWN,
        disabled_reason=service.disabled_reason,
        components=tuple(Component(n, v) for n, v in sorted(versions.items())),
    )


def _unique_names(servers: list[ServerInfo]) -> dict[str, str]:
    """Server id -> a unique name (nova allows duplicates; the inventory does not)."""
    count: dict[str, int] = {}
    for s in servers:
        count[s.name] = count.get(s.name, 0) + 1
    return {s.id: s.name if count[s.name] == 1 else f"{s.name}-{s.id[:8]}" for s in servers}
