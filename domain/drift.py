"""What changed between two inventory versions, and what of it a plan depends on.

Pure: two Snapshots in, plain records out. ``diff`` is what an operator reads
after a refresh (hosts, servers, versions, states); ``plan_drift`` keeps the
changes that make a plan out of date: a host of the plan gone, down or
disabled, a server added, moved or gone on a host of the plan, a host of the
plan already at the target, or another target release.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any

from domain.plan import Plan
from domain.snapshot import Host, Server, Snapshot
from domain.versions import needs_upgrade

# What an operator reads of a host and a server, in this order.
_HOST_FIELDS = ("az", "service_status", "service_state", "disabled_reason", "vcpus", "ram_mib",
                "disk_gib", "cpu_allocation_ratio", "ram_allocation_ratio",
                "disk_allocation_ratio", "nic_bandwidth_mibps", "aggregates")
_SERVER_FIELDS = ("host", "status", "task_state", "flavor", "vcpus", "ram_mib", "disk_gib",
                  "live_migratable", "memory_used_mib", "dirty_rate_mibps")


@dataclass(frozen=True)
class Change:
    """One field of one thing that changed: ``host cmp1 service_state: up -> down``."""

    kind: str  # host, server, server_group, vnf, target
    name: str
    field: str
    old: Any
    new: Any

    def __str__(self) -> str:
        return f"{self.kind} {self.name} {self.field}: {_show(self.old)} -> {_show(self.new)}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "field": self.field,
                "old": _plain(self.old), "new": _plain(self.new)}


@dataclass(frozen=True)
class Diff:
    """Everything that differs between an older and a newer version of one cloud."""

    hosts_added: tuple[str, ...] = ()
    hosts_removed: tuple[str, ...] = ()
    servers_added: tuple[str, ...] = ()
    servers_removed: tuple[str, ...] = ()
    changes: tuple[Change, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self))

    def lines(self) -> list[str]:
        """The diff as an operator reads it, one line each."""
        out = [f"host {n} added" for n in self.hosts_added]
        out += [f"host {n} removed" for n in self.hosts_removed]
        out += [f"server {n} added" for n in self.servers_added]
        out += [f"server {n} removed" for n in self.servers_removed]
        out += [str(c) for c in self.changes]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Diff:
        """A stored diff (``to_dict``) read back; an empty mapping is no change."""
        return cls(
            hosts_added=tuple(data.get("hosts_added", ())),
            hosts_removed=tuple(data.get("hosts_removed", ())),
            servers_added=tuple(data.get("servers_added", ())),
            servers_removed=tuple(data.get("servers_removed", ())),
            changes=tuple(Change(c["kind"], c["name"], c["field"], c["old"], c["new"])
                          for c in data.get("changes", ())),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "hosts_added": list(self.hosts_added), "hosts_removed": list(self.hosts_removed),
            "servers_added": list(self.servers_added), "servers_removed": list(self.servers_removed),
            "changes": [c.to_dict() for c in self.changes],
        }


def diff(old: Snapshot, new: Snapshot) -> Diff:
    changes: list[Change] = []
    old_hosts, new_hosts = old.host_by_name, new.host_by_name
    for name in sorted(old_hosts.keys() & new_hosts.keys()):
        changes += _host_changes(old_hosts[name], new_hosts[name])
    old_servers, new_servers = old.server_by_name, new.server_by_name
    for name in sorted(old_servers.keys() & new_servers.keys()):
        changes += _fields("server", name, old_servers[name], new_servers[name], _SERVER_FIELDS)
    changes += _named("server_group", {g.name: (str(g.policy), tuple(sorted(g.members)))
                                       for g in old.server_groups},
                      {g.name: (str(g.policy), tuple(sorted(g.members))) for g in new.server_groups})
    changes += _named("vnf", {v.name: _vnf_key(v) for v in old.vnfs}, {v.name: _vnf_key(v) for v in new.vnfs})
    if old.target.versions != new.target.versions or old.target.name != new.target.name:
        changes.append(Change("target", new.target.name or old.target.name, "components",
                              dict(old.target.versions), dict(new.target.versions)))
    return Diff(
        hosts_added=tuple(sorted(new_hosts.keys() - old_hosts.keys())),
        hosts_removed=tuple(sorted(old_hosts.keys() - new_hosts.keys())),
        servers_added=tuple(sorted(new_servers.keys() - old_servers.keys())),
        servers_removed=tuple(sorted(old_servers.keys() - new_servers.keys())),
        changes=tuple(changes),
    )


def plan_drift(plan: Plan, old: Snapshot, new: Snapshot) -> list[str]:
    """Why ``plan``, made from ``old``, no longer fits ``new`` (empty: it still does)."""
    reasons: list[str] = []
    if old.target.versions != new.target.versions:
        reasons.append(f"the target release changed: {_show(dict(old.target.versions))} -> "
                       f"{_show(dict(new.target.versions))}")
    plan_hosts = [step.host for _, step in plan.host_steps()]
    planned = set(plan_hosts)
    new_hosts = new.host_by_name
    for name in plan_hosts:
        host = new_hosts.get(name)
        if host is None:
            reasons.append(f"host {name} of the plan is no longer in the cloud")
            continue
        if str(host.service_state) != "up":
            reasons.append(f"host {name} of the plan is down")
        was = old.host_by_name.get(name)
        if was is not None and str(was.service_status) != str(host.service_status):
            reasons.append(f"host {name} of the plan is now {host.service_status}")
        if was is not None and needs_upgrade(was, old.target) and not needs_upgrade(host, new.target):
            reasons.append(f"host {name} of the plan already runs the target versions")
    old_servers, new_servers = old.server_by_name, new.server_by_name
    for name in sorted(old_servers.keys() | new_servers.keys()):
        before, after = old_servers.get(name), new_servers.get(name)
        if not _touches(planned, before, after):
            continue
        if before is None and after is not None:
            reasons.append(f"server {name} appeared on {after.host}, a host of the plan")
        elif after is None and before is not None:
            reasons.append(f"server {name} is gone from {before.host}")
        elif before is not None and after is not None and before.host != after.host:
            reasons.append(f"server {name} moved from {before.host} to {after.host}")
    return reasons


def _touches(planned: set[str], *servers: Server | None) -> bool:
    return any(s is not None and s.host in planned for s in servers)


def _host_changes(old: Host, new: Host) -> list[Change]:
    changes = _fields("host", old.name, old, new, _HOST_FIELDS)
    old_v, new_v = old.versions, new.versions
    for component in sorted(old_v.keys() | new_v.keys()):
        if old_v.get(component) != new_v.get(component):
            changes.append(Change("host", old.name, component, old_v.get(component), new_v.get(component)))
    return changes


def _fields(kind: str, name: str, old: Any, new: Any, names: Iterable[str]) -> list[Change]:
    return [Change(kind, name, f, getattr(old, f), getattr(new, f))
            for f in names if getattr(old, f) != getattr(new, f)]


def _named(kind: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    return [Change(kind, name, "definition", old.get(name), new.get(name))
            for name in sorted(old.keys() | new.keys()) if old.get(name) != new.get(name)]


def _vnf_key(vnf: Any) -> tuple:
    return (str(vnf.ha_model), vnf.max_impacted, vnf.required_members, vnf.switchover_s,
            vnf.outage_budget_s, vnf.recovery_time_s, vnf.lead_time_s, str(vnf.migration_type),
            tuple(sorted((m.server, str(m.role)) for m in vnf.members)))


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool | dict | list) or value is None:
        return str(value) if isinstance(value, str) else value
    return str(value)


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in sorted(value.items())) or "(none)"
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value) or "(none)"
    return str(value)
