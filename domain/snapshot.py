"""The cloud inventory as immutable plain dataclasses.

This module is the contract between the Django shell and the pure cores
(planner, simulator, executor state machine): it imports nothing from Django
or openstacksdk. Units are fixed across the project: RAM and memory in MiB,
disk in GiB, bandwidth and dirty rates in MiB/s, durations in seconds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import Field, dataclass, field, fields, is_dataclass
from functools import cached_property
from typing import Any

from domain.choice import Choice


class ServiceStatus(Choice):
    ENABLED = "enabled", "Enabled"
    DISABLED = "disabled", "Disabled"


class ServiceState(Choice):
    UP = "up", "Up"
    DOWN = "down", "Down"


class GroupPolicy(Choice):
    AFFINITY = "affinity", "Affinity"
    ANTI_AFFINITY = "anti-affinity", "Anti-affinity"
    SOFT_AFFINITY = "soft-affinity", "Soft affinity"
    SOFT_ANTI_AFFINITY = "soft-anti-affinity", "Soft anti-affinity"


class HaModel(Choice):
    ACTIVE_STANDBY = "active-standby", "Active-standby"
    N_PLUS_M = "n+m", "N+M pool"
    NONE = "none", "None"


class MemberRole(Choice):
    ACTIVE = "active", "Active"
    STANDBY = "standby", "Standby"
    MEMBER = "member", "Pool member"


class ServerStatus(Choice):
    """Nova's server statuses that an inventory may hold."""

    ACTIVE = "ACTIVE", "Active"
    SHUTOFF = "SHUTOFF", "Shut off"
    ERROR = "ERROR", "Error"
    MIGRATING = "MIGRATING", "Migrating"
    RESIZE = "RESIZE", "Resize"
    VERIFY_RESIZE = "VERIFY_RESIZE", "Verify resize"
    REBUILD = "REBUILD", "Rebuild"
    BUILD = "BUILD", "Build"
    REBOOT = "REBOOT", "Reboot"
    HARD_REBOOT = "HARD_REBOOT", "Hard reboot"
    PAUSED = "PAUSED", "Paused"
    SUSPENDED = "SUSPENDED", "Suspended"
    UNKNOWN = "UNKNOWN", "Unknown"


# Field metadata read by the fingerprint: a provenance field is left out of it,
# and a field added after the first stored versions is left out while at its
# default, so that versions stored before it keep their fingerprints.
_PROVENANCE = {"fingerprint": False}
_ADDED = {"fingerprint": "unless default"}


class InputSource(Choice):
    """Where a guest's memory figure or dirty rate came from: what a plan's estimate rests on."""

    MEASURED = "measured", "Measured on the cloud"
    FILE = "file", "From the inventory file"
    DEFAULT = "default", "Default (not measured)"


class MigrationType(Choice):
    """How a VNF's instances leave a host (Fenix's instance constraint ``migration_type``)."""

    ANY = "any", "As the plan decides"
    LIVE_MIGRATE = "live_migrate", "Live migration"
    MIGRATE = "migrate", "Cold migration"
    OWN_ACTION = "own_action", "The VNF manager's own action"


# Nova server statuses that mean "busy or broken": a pre-check fails on them.
UNSTABLE_SERVER_STATUSES = frozenset(ServerStatus) - {ServerStatus.ACTIVE, ServerStatus.SHUTOFF}
SERVER_STATUSES = frozenset(ServerStatus)


@dataclass(frozen=True)
class Component:
    """A named piece of a host's software stack at a semantic version."""

    name: str
    version: str


@dataclass(frozen=True)
class Host:
    """A compute node: capacity, placement, service state and software stack."""

    name: str
    az: str
    vcpus: int
    ram_mib: int
    disk_gib: int
    nic_bandwidth_mibps: float
    aggregates: tuple[str, ...] = ()
    cpu_allocation_ratio: float = 1.0
    ram_allocation_ratio: float = 1.0
    disk_allocation_ratio: float = 1.0
    service_status: ServiceStatus = ServiceStatus.ENABLED
    service_state: ServiceState = ServiceState.UP
    disabled_reason: str = ""
    components: tuple[Component, ...] = ()

    @property
    def vcpu_capacity(self) -> float:
        return self.vcpus * self.cpu_allocation_ratio

    @property
    def ram_capacity_mib(self) -> float:
        return self.ram_mib * self.ram_allocation_ratio

    @property
    def disk_capacity_gib(self) -> float:
        return self.disk_gib * self.disk_allocation_ratio

    @cached_property
    def versions(self) -> Mapping[str, str]:
        return {c.name: c.version for c in self.components}


@dataclass(frozen=True)
class Server:
    """A VM: where it runs, what it takes, and how it behaves under live migration."""

    name: str
    host: str
    flavor: str
    vcpus: int
    ram_mib: int
    disk_gib: int
    status: str = "ACTIVE"
    task_state: str = ""
    memory_used_mib: int = 0
    dirty_rate_mibps: float = 0.0
    # How the two figures above are known; not content, so not in the fingerprint.
    memory_source: InputSource = field(default=InputSource.DEFAULT, metadata=_PROVENANCE)
    dirty_rate_source: InputSource = field(default=InputSource.DEFAULT, metadata=_PROVENANCE)
    # Pages written repeatedly: the floor of what each pre-copy round resends.
    working_set_mib: int = 0
    live_migratable: bool = True
    not_migratable_reason: str = ""
    uuid: str = ""


@dataclass(frozen=True)
class ServerGroup:
    """Nova's placement policy over a set of servers."""

    name: str
    policy: GroupPolicy
    members: tuple[str, ...]


@dataclass(frozen=True)
class VnfMember:
    server: str
    role: MemberRole


@dataclass(frozen=True)
class Vnf:
    """A service delivered by a set of servers, with its HA model and budgets.

    ``required_members`` is how many healthy members the VNF needs to deliver
    full service: fewer means degraded, none means outage.
    """

    name: str
    ha_model: HaModel
    members: tuple[VnfMember, ...]
    max_impacted: int = 1
    required_members: int = 1
    switchover_s: float = 0.0
    outage_budget_s: float = 0.0
    # Seconds after a member is back in service before the next member may go.
    recovery_time_s: float = field(default=0.0, metadata=_ADDED)
    # Notice the VNF manager needs before the first action on its instances.
    lead_time_s: float = field(default=0.0, metadata=_ADDED)
    migration_type: MigrationType = field(default=MigrationType.ANY, metadata=_ADDED)

    @property
    def servers(self) -> tuple[str, ...]:
        return tuple(m.server for m in self.members)


@dataclass(frozen=True)
class Release:
    """A named set of component versions: the target every host must reach."""

    name: str
    components: tuple[Component, ...] = ()

    @cached_property
    def versions(self) -> Mapping[str, str]:
        return {c.name: c.version for c in self.components}


@dataclass(frozen=True)
class Snapshot:
    """One cloud's whole inventory at a moment, as the cores see it."""

    cloud: str
    hosts: tuple[Host, ...]
    servers: tuple[Server, ...] = ()
    server_groups: tuple[ServerGroup, ...] = ()
    vnfs: tuple[Vnf, ...] = ()
    target: Release = field(default_factory=lambda: Release(name=""))
    # The VIM's control plane (nova-api, conductor, ...) at its current versions.
    control_plane: tuple[Component, ...] = ()
    # The clouds.yaml entry that reaches this cloud, when known.
    openstack_cloud: str = ""

    def fingerprint(self) -> str:
        """A stable hash of the content: equal for the same cloud in any order.

        The order of hosts, servers, groups, VNFs, components, aggregates and
        members carries no meaning, so it is sorted away; a plan bound to a
        fingerprint is bound to what the cloud held, not how it was listed.
        """
        canonical = json.dumps(_canonical(self), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    @cached_property
    def host_by_name(self) -> Mapping[str, Host]:
        return {h.name: h for h in self.hosts}

    @cached_property
    def server_by_name(self) -> Mapping[str, Server]:
        return {s.name: s for s in self.servers}

    @cached_property
    def servers_by_host(self) -> Mapping[str, tuple[Server, ...]]:
        by_host: dict[str, list[Server]] = {h.name: [] for h in self.hosts}
        for server in self.servers:
            by_host.setdefault(server.host, []).append(server)
        return {name: tuple(servers) for name, servers in by_host.items()}

    @cached_property
    def vnf_of_server(self) -> Mapping[str, Vnf]:
        return {m.server: vnf for vnf in self.vnfs for m in vnf.members}

    @cached_property
    def groups_of_server(self) -> Mapping[str, tuple[ServerGroup, ...]]:
        groups: dict[str, list[ServerGroup]] = {}
        for group in self.server_groups:
            for member in group.members:
                groups.setdefault(member, []).append(group)
        return {name: tuple(gs) for name, gs in groups.items()}


def _in_fingerprint(spec: Field[Any], value: Any) -> bool:
    mode = spec.metadata.get("fingerprint", True)
    if mode == "unless default":
        return value != spec.default
    return bool(mode)


def _canonical(value: Any) -> Any:
    """Plain JSON data of a snapshot part, with every unordered sequence sorted."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in fields(value)
                if _in_fingerprint(f, getattr(value, f.name))}
    if isinstance(value, tuple | list):
        items = [_canonical(item) for item in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    if isinstance(value, float) and value.is_integer():
        return int(value)  # 2.0 and 2 are the same ratio, whichever way it was typed
    return value
