"""The executor's view of a cloud: a small port and what it observes.

The executor's state machine talks to a cloud only through ``CloudPort``; the
openstacksdk adapter (``executor/openstack_adapter.py``) is the real
implementation and tests may provide a fake one. Everything here is plain
Python: no Django, no openstacksdk.

Errors are classified for the executor's retry logic:

- ``NotFound``: the thing is not there (HTTP 404).
- ``Conflict``: the thing is in a state that forbids the request right now
  (HTTP 409: a server already migrating, a service being changed).
- ``Transient``: retrying the same request later may succeed (HTTP 500, 502,
  503, 504, a timeout, a refused connection, a wait that ran out).
- ``Permanent``: retrying the same request will not help (HTTP 400, 403:
  "No valid host", a failed destination pre-check, a migration that failed,
  a server that went to ERROR).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

# Where a host's software versions are published: the metadata of a nova host
# aggregate the host belongs to, one key per component, for example
# ``escalator:version:libvirt = 10.0.0``. See docs/sandbox.md.
VERSION_KEY_PREFIX = "escalator:version:"


class CloudError(Exception):
    """Any failure of a cloud operation, with the HTTP status when there was one."""

    def __init__(self, message: str, *, status: int | None = None, request_id: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.request_id = request_id


class NotFound(CloudError):
    pass


class Conflict(CloudError):
    pass


class Transient(CloudError):
    pass


class Permanent(CloudError):
    pass


class WaitTimeout(Transient):
    """A wait for a state ran out of time; the last observation is attached."""

    def __init__(self, message: str, *, last: object = None) -> None:
        super().__init__(message)
        self.last = last


@dataclass(frozen=True)
class ServiceInfo:
    """A nova-compute (or other) service as the compute API reports it."""

    id: str
    host: str
    binary: str
    status: str  # "enabled" | "disabled"
    state: str  # "up" | "down"
    zone: str = ""
    disabled_reason: str = ""
    forced_down: bool = False


@dataclass(frozen=True)
class HypervisorInfo:
    id: str
    name: str
    host: str
    status: str
    state: str
    hypervisor_type: str = ""
    hypervisor_version: int = 0


@dataclass(frozen=True)
class HostCapacity:
    """A compute node's inventory in Placement (totals before allocation ratios)."""

    host: str
    vcpus: int
    ram_mib: int
    disk_gib: int
    cpu_allocation_ratio: float = 1.0
    ram_allocation_ratio: float = 1.0
    disk_allocation_ratio: float = 1.0


@dataclass(frozen=True)
class ServerInfo:
    """A server's observable state. ``task_state`` is "" when nova has none."""

    id: str
    name: str
    status: str
    host: str
    task_state: str = ""
    flavor: str = ""
    vcpus: int = 0
    ram_mib: int = 0
    disk_gib: int = 0
    az: str = ""
    project_id: str = ""
    # Nova's fault message when the server is in ERROR.
    fault: str = ""


@dataclass(frozen=True)
class MigrationInfo:
    """A nova migration record. ``kind`` is nova's migration_type:
    "live-migration", "migration" (cold), "resize" or "evacuation"."""

    id: str
    server_id: str
    kind: str
    status: str
    source_host: str
    dest_host: str
    created_at: str = ""
    updated_at: str = ""


@dataclass(frozen=True)
class AggregateInfo:
    id: str
    name: str
    az: str
    hosts: tuple[str, ...]
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ServerGroupInfo:
    id: str
    name: str
    policy: str
    member_ids: tuple[str, ...]


@dataclass(frozen=True)
class FlavorInfo:
    id: str
    name: str
    vcpus: int
    ram_mib: int
    disk_gib: int


@runtime_checkable
class CloudPort(Protocol):
    """What the executor may ask of a cloud. Servers are addressed by id."""

    def services(self, host: str | None = None) -> list[ServiceInfo]: ...

    def compute_service(self, host: str) -> ServiceInfo: ...

    def hypervisors(self) -> list[HypervisorInfo]: ...

    def capacities(self) -> list[HostCapacity]: ...

    def servers(self, host: str | None = None) -> list[ServerInfo]: ...

    def server(self, server_id: str) -> ServerInfo: ...

    def aggregates(self) -> list[AggregateInfo]: ...

    def server_groups(self) -> list[ServerGroupInfo]: ...

    def flavors(self) -> list[FlavorInfo]: ...

    def host_versions(self, host: str) -> dict[str, str]: ...

    def disable_service(self, host: str, reason: str) -> ServiceInfo: ...

    def enable_service(self, host: str) -> ServiceInfo: ...

    def live_migrate(self, server_id: str, host: str | None = None) -> None: ...

    def cold_migrate(self, server_id: str, host: str | None = None) -> None: ...

    def confirm_resize(self, server_id: str) -> None: ...

    def stop_server(self, server_id: str) -> None: ...

    def start_server(self, server_id: str) -> None: ...

    def migrations(
        self, server_id: str | None = None, host: str | None = None
    ) -> list[MigrationInfo]: ...

    def abort_migration(self, server_id: str, migration_id: str) -> None: ...

    def wait_for_server(
        self,
        server_id: str,
        status: str | tuple[str, ...] = "ACTIVE",
        *,
        timeout: float = 300.0,
        interval: float = 1.0,
        failures: tuple[str, ...] = ("ERROR",),
    ) -> ServerInfo: ...

    def wait_for_service(
        self, host: str, state: str, *, timeout: float = 300.0, interval: float = 1.0
    ) -> ServiceInfo: ...
