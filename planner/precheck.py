"""The pre-check: is the cloud ready for a rolling upgrade? Item by item.

Each item says pass, warn or fail, why, how to fix it, and which hosts,
servers, VNFs or zones it is about. The upgrade should not start while any
item fails: faults found before the upgrade would be indistinguishable from
faults it introduced. Pure: works on a Snapshot.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from domain.plan import ActionKind
from domain.snapshot import (
    UNSTABLE_SERVER_STATUSES,
    HaModel,
    MemberRole,
    ServiceState,
    ServiceStatus,
    Snapshot,
)
from domain.versions import compare, needs_upgrade, parse
from planner.capacity import ZoneCapacity, fragmentation, zone_capacities
from planner.options import PlanOptions
from planner.timing import (
    Timings,
    default_timings,
    estimate_cold_migration,
    estimate_live_migration,
)
from planner.vnf_actions import required_action


class Status(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class CheckItem:
    id: str
    title: str
    status: Status
    reason: str
    fix: str = ""
    subjects: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        data["subjects"] = list(self.subjects)
        return data


def _names(items: Iterable[str], limit: int = 8) -> str:
    items = list(items)
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


Check = Callable[[Snapshot, PlanOptions], CheckItem]
MAINTENANCE_WORDS = ("maintenance", "upgrad")


# -- health -------------------------------------------------------------------
def services_up(snapshot: Snapshot, options: PlanOptions) -> CheckItem:
    down = [h.name for h in snapshot.hosts if h.service_state != ServiceState.UP]
    title = "Every nova-compute service is up"
    if down:
        return CheckItem(
            "health.services-up", title, Status.FAIL,
            f"{len(down)} nova-compute service(s) down: {_names(down)}",
            "Bring the services back up (or repair the hosts), then refresh the inventory.",
            tuple(down),
        )
    return CheckItem("health.services-up", title, Status.PASS, f"all {len(snapshot.hosts)} up")


def _in_maintenance(reason: str) -> bool:
    return any(word in reason.lower() for word in MAINTENANCE_WORDS)


def services_enabled(snapshot: Snapshot, options: PlanOptions) -> CheckItem:
    title = "Every nova-compute service is enabled, unless deliberately disabled"
    disabled = [h for h in snapshot.hosts if h.service_status != ServiceStatus.ENABLED]
    silent = [h.name for h in disabled if not h.disabled_reason.strip()]
    deliberate = [h.name for h in disabled if h.disabled_reason.strip() and not _in_maintenance(h.disabled_reason)]
    if silent:
        return CheckItem(
            "health.services-enabled", title, Status.FAIL,
            f"{len(silent)} service(s) disabled with no reason recorded: {_names(silent)}",
            "Enable them, or record why they are disabled (openstack compute service set "
            "--disable-reason ...), then refresh the inventory.",
            tuple(silent),
        )
    if deliberate:
        return CheckItem(
            "health.services-enabled", title, Status.WARN,
            f"{len(deliberate)} service(s) deliberately disabled: {_names(deliberate)}; they "
            "take no migrated servers and stay disabled after their upgrade",
            "Nothing to do if that is intended.",
            tuple(deliberate),
        )
    return CheckItem("health.services-enabled", title, Status.PASS, "all enabled")


def hosts_consistent(snapshot: Snapshot, options: PlanOptions) -> CheckItem:
    """A host in error: over its capacity, running servers the inventory cannot place, or no versions."""
    title = "No host in an error state"
    used: dict[str, list[float]] = {h.name: [0.0, 0.0, 0.0] for h in snapshot.hosts}
    orphans = []
    for s in snapshot.servers:
        if s.host not in used:
            orphans.append(s.name)
            continue
        for i, v in enumerate((s.vcpus, s.ram_mib, s.disk_gib)):
            used[s.host][i] += v
    problems, subjects = [], []
    for h in snapshot.hosts:
        caps = (h.vcpu_capacity, h.ram_capacity_mib, h.disk_capacity_gib)
        over = [label for label, u, c in zip(("vCPU", "RAM", "disk"), used[h.name], caps, strict=True) if u > c + 1e-9]
        if over:
            problems.append(f"{h.name} over its {'/'.join(over)} capacity")
            subjects.append(h.name)
        if not h.components:
            problems.append(f"{h.name} reports no software versions")
            subjects.append(h.name)
    if orphans:
        problems.append(f"servers on unknown hosts: {_names(orphans)}")
        subjects.extend(orphans)
    if problems:
        return CheckItem(
            "health.hosts", title, Status.FAIL, "; ".join(problems[:10]),
            "Repair the hosts (placement allocations, version reporting) and refresh the inventory.",
            tuple(subjects),
        )
    return CheckItem("health.hosts", title, Status.PASS, f"all {len(snapshot.hosts)} hosts consistent")


def servers_not_in_error(snapshot: Snapshot, options: PlanOptions) -> CheckItem:
    title = "No server in ERROR"
    bad = [s.name for s in snapshot.servers if s.status == "ERROR"]
    if bad:
        return CheckItem(
            "health.servers-error", title, Status.FAIL,
            f"{len(bad)} server(s) in ERROR: {_names(bad)}",
            "Repair or delete them first: a fault found now would be indistinguishable "
            "from one the upgrade introduced.",
            tuple(bad),
        )
    return CheckItem("health.servers-error", title, Status.PASS, f"none of {len(snapshot.servers)}")


def servers_idle(snapshot: Snapshot, options: PlanOptions) -> CheckItem:
    title = "No server in the middle of a task (migration, resize, build...)"
    busy = [
        f"{s.name} ({s.task_state or s.status})"
        for s in snapshot.servers
        if s.status != "ERROR" and (s.task_state or s.status in UNSTABLE_SERVER_STATUSES)
    ]
    if busy:
        return CheckItem(
            "health.servers-busy", title, Status.FAIL,
            f"{len(busy)} server(s) busy: {_names(busy)}",
            "Wait for their tasks to finish (or resolve them), then refresh the inventory.",
            tuple(b.split(" ")[0] for b in busy),
        )
    return CheckItem("health.servers-busy", title, Status.PASS, "no server busy")


# -- redundancy ---------------------------------------------------------------
def nfvi_capacity(snapshot: Snapshot, options: PlanOptions) -> CheckItem:
    """Free capacity outside a wave's hosts takes their servers (per AZ when servers stay in it)."""
    title = "NFVI redundancy: free capacity takes the servers of the hosts being upgraded"
    zones = zone_capacities(snapshot, options)
    missing = [m for z in zones for m in z.messages()]
    summary = "; ".join(_zone_room(z) for z in zones)
    if missing:
        return CheckItem(
            "nfvi.capacity", title, Status.FAIL, "; ".join(missing) + f" (has {summary})",
            "Add hosts or free capacity in those zones, or allow switchover / stop-start for "
            "more servers.",
            tuple(z.az for z in zones if z.missing_hosts()),
        )
    # A wave of several hosts needs more: compare with the hosts' movable share.
    k = options.hosts_per_wave
    thin = [z for z in zones if z.spare_hosts("ram") < 1.0 and z.hosts > 1]
    if thin:
        return CheckItem(
            "nfvi.capacity", title, Status.WARN,
            f"less than one spare host's worth of RAM in {_names(z.az for z in thin)} "
            f"({summary}): waves there will be small",
            "Expect long upgrades there; add capacity for faster waves.",
            tuple(z.az for z in thin),
        )
    return CheckItem(
        "nfvi.capacity", title, Status.PASS,
        f"every host can be emptied into the free room of its zone ({summary}). Plans ask "
        f"for waves of up to {k} hosts at once; the planner makes a wave smaller where the "
        "room for its servers runs short.",
    )


def _zone_room(zone: ZoneCapacity) -> str:
    """One zone's free RAM against what emptying its hardest host needs, in host sizes."""
    spare, needed = zone.spare_hosts("ram"), zone.needed_hosts("ram")
    room = f"{zone.az}: free RAM of {spare:.1f} host{'s' if round(spare, 1) != 1 else ''}"
    if needed == 0:
        return f"{room}; no host there has servers that must move (they switch over or stay)"
    return (f"{room}; emptying its hardest host, {zone.worst_host}, moves "
            f"{needed:.1f} host{'s' if round(needed, 1) != 1 else ''}' worth of RAM")


def nfvi_fragmentation(snapshot: Snapshot, options: PlanOptions) -> CheckItem:
    """The free room is enough in total, but does it come in pieces big enough, host by host?"""
    title = "NFVI redundancy: the servers that must move fit host by host (fragmentation)"
    stuck = fragmentation(snapshot, options)
    if stuck:
        return CheckItem(
            "nfvi.fragmentation", title, Status.FAIL,
            "; ".join(z.message() for z in stuck),
            "; ".join(f"{z.zone}: " + ", ".join(z.remedies) for z in stuck) + ".",
            tuple(dict.fromkeys([*(z.zone for z in stuck), *(z.host for z in stuck),
                                 *(s for z in stuck for s in z.leftover)])),
        )
    return CheckItem(
        "nfvi.fragmentation", title, Status.PASS,
        "every host can be drained in turn into the free room of its zone, server by server",
    )


def vnf_redundancy(snapshot: Snapshot, options: PlanOptions) -> CheckItem:
    title = "VNF redundancy: each VNF's HA can absorb a member going down"
    servers = snapshot.server_by_name
    fails, warns, subjects = [], [], []
    for vnf in snapshot.vnfs:
        if vnf.ha_model == HaModel.NONE or len(vnf.members) < 2:
            continue
        if vnf.max_impacted < 1:
            fails.append(f"{vnf.name}: max_impacted is 0, no member may ever go down")
            subjects.append(vnf.name)
            continue
        per_host = Counter(servers[m.server].host for m in vnf.members if m.server in servers)
        crowded = [h for h, n in per_host.items() if n > vnf.max_impacted]
        if crowded:
            fails.append(
                f"{vnf.name}: more than max_impacted={vnf.max_impacted} members on {_names(crowded)}"
            )
            subjects.append(vnf.name)
        if vnf.ha_model == HaModel.ACTIVE_STANDBY:
            roles = {m.role for m in vnf.members}
            hosts_by_role: dict[MemberRole, set[str]] = {}
            for m in vnf.members:
                if m.server in servers:
                    hosts_by_role.setdefault(m.role, set()).add(servers[m.server].host)
            if MemberRole.STANDBY not in roles:
                fails.append(f"{vnf.name}: active-standby without a standby")
                subjects.append(vnf.name)
            elif hosts_by_role.get(MemberRole.ACTIVE, set()) & hosts_by_role.get(MemberRole.STANDBY, set()):
                fails.append(f"{vnf.name}: active and standby on the same host")
                subjects.append(vnf.name)
        down = [m.server for m in vnf.members if m.server in servers and servers[m.server].status != "ACTIVE"]
        if down:
            fails.append(f"{vnf.name}: member(s) not running ({_names(down)}), no redundancy left")
            subjects.append(vnf.name)
        healthy_during = len(vnf.members) - vnf.max_impacted
        if vnf.ha_model == HaModel.N_PLUS_M and healthy_during < vnf.required_members:
            warns.append(
                f"{vnf.name}: {healthy_during} of {vnf.required_members} required members left "
                f"while {vnf.max_impacted} are out (degraded)"
            )
            subjects.append(vnf.name)
    if fails:
        return CheckItem(
            "vnf.redundancy", title, Status.FAIL, "; ".join(fails[:10]),
            "Restore the missing members, spread members over hosts (anti-affinity), or "
            "correct max_impacted.",
            tuple(dict.fromkeys(subjects)),
        )
    if warns:
        return CheckItem(
            "vnf.redundancy", title, Status.WARN, "; ".join(warns[:10]),
            "Accept degraded service during those members' upgrades, or lower max_impacted.",
            tuple(dict.fromkeys(subjects)),
        )
    count = sum(1 for v in snapshot.vnfs if v.ha_model != HaModel.NONE and len(v.members) > 1)
    return CheckItem("vnf.redundancy", title, Status.PASS, f"all {count} VNFs with HA can lose a member")


def vnfs_without_ha(snapshot: Snapshot, options: PlanOptions, timings: Timings | None = None) -> CheckItem:
    """VNFs that depend on one server, with the outage migration will cost them."""
    timings = timings or default_timings()
    title = "VNFs without HA and the outage they will see"
    servers, hosts = snapshot.server_by_name, snapshot.host_by_name
    lines, over_budget, subjects = [], [], []
    for vnf in snapshot.vnfs:
        if vnf.ha_model != HaModel.NONE and len(vnf.members) > 1:
            continue
        outage = 0.0
        needed = required_action(vnf)
        for m in vnf.members:
            s = servers.get(m.server)
            if s is None or s.host not in hosts:
                continue
            if needed == ActionKind.SWITCHOVER:
                # Its VNF manager's own action: out while its host is upgraded.
                outage += timings.host_fixed_s
            elif needed == ActionKind.COLD_MIGRATE:
                outage += estimate_cold_migration(s, timings)
            elif s.live_migratable and options.allows(ActionKind.LIVE_MIGRATE):
                outage += estimate_live_migration(s, hosts[s.host].nic_bandwidth_mibps, timings).downtime_s
            elif options.allows(ActionKind.COLD_MIGRATE):
                outage += estimate_cold_migration(s, timings)
            else:
                outage += timings.host_fixed_s
        lines.append(f"{vnf.name} ~{outage:.1f} s")
        subjects.append(vnf.name)
        if vnf.outage_budget_s and outage > vnf.outage_budget_s:
            over_budget.append(f"{vnf.name} (~{outage:.0f} s > budget {vnf.outage_budget_s:g} s)")
    if not lines:
        return CheckItem("vnf.no-ha", title, Status.PASS, "every VNF has HA")
    reason = f"{len(lines)} VNF(s) without HA: {_names(lines)}"
    if over_budget:
        reason += f"; over their outage budget: {_names(over_budget)}"
    return CheckItem(
        "vnf.no-ha", title, Status.WARN, reason,
        "Warn their owners of the outage, or allow a maintenance window for them.",
        tuple(subjects),
    )


# -- versions -----------------------------------------------------------------
def versions_valid(snapshot: Snapshot, options: PlanOptions) -> CheckItem:
    title = "Versions are semantic versions and the target release is defined"
    bad = [f"{h.name} {c.name} {c.version!r}" for h in snapshot.hosts for c in h.components if parse(c.version) is None]
    bad += [f"target {c.name} {c.version!r}" for c in snapshot.target.components if parse(c.version) is None]
    if not snapshot.target.components:
        return CheckItem(
            "versions.valid", title, Status.FAIL, "the target release names no component",
            "Set the target release's component versions.",
        )
    if bad:
        return CheckItem(
            "versions.valid", title, Status.FAIL, f"not semantic versions: {_names(bad)}",
            "Report versions as MAJOR.MINOR.PATCH.", tuple(b.split(" ")[0] for b in bad),
        )
    return CheckItem("versions.valid", title, Status.PASS, f"target {snapshot.target.name or '(unnamed)'}")


def target_not_lower(snapshot: Snapshot, options: PlanOptions) -> CheckItem:
    title = "The target is not lower than any current version"
    lower = [
        f"{h.name} {c.name} {c.version} > {snapshot.target.versions[c.name]}"
        for h in snapshot.hosts
        for c in h.components
        if c.name in snapshot.target.versions and compare(c.version, snapshot.target.versions[c.name]) > 0
    ]
    if lower:
        return CheckItem(
            "versions.not-lower", title, Status.FAIL, f"a downgrade is not an upgrade: {_names(lower)}",
            "Pick a target at least as new as every host (hotfixes included).",
            tuple(dict.fromkeys(x.split(" ")[0] for x in lower)),
        )
    return CheckItem("versions.not-lower", title, Status.PASS, "no downgrade")


def no_major_skip(snapshot: Snapshot, options: PlanOptions) -> CheckItem:
    title = "No component skips a MAJOR release"
    skips = []
    for h in snapshot.hosts:
        for c in h.components:
            want = snapshot.target.versions.get(c.name)
            cur, tgt = parse(c.version), parse(want) if want else None
            if cur and tgt and tgt.major - cur.major > 1:
                skips.append(f"{h.name} {c.name} {c.version} -> {want}")
    if skips:
        return CheckItem(
            "versions.major-skip", title, Status.FAIL,
            f"jumps of more than one MAJOR release are refused: {_names(skips)}",
            "Upgrade through the intermediate MAJOR release first.",
            tuple(dict.fromkeys(x.split(" ")[0] for x in skips)),
        )
    return CheckItem("versions.major-skip", title, Status.PASS, "at most one MAJOR step per component")


def _project(component: str) -> str:
    return component.split("-")[0]


def control_plane_ahead(snapshot: Snapshot, options: PlanOptions) -> CheckItem:
    """The VIM's control plane must already run the target's MAJOR.MINOR of its projects."""
    title = "The control plane is upgraded ahead of the compute nodes"
    if not snapshot.control_plane:
        return CheckItem(
            "versions.control-plane", title, Status.WARN, "control-plane versions are unknown",
            "Record the control plane's versions in the inventory; upgrade it first.",
        )
    behind = []
    for c in snapshot.target.components:
        tgt = parse(c.version)
        for cp in snapshot.control_plane:
            cur = parse(cp.version)
            if tgt and cur and _project(cp.name) == _project(c.name) and (cur.major, cur.minor) < (tgt.major, tgt.minor):
                behind.append(f"{cp.name} {cp.version} < {c.name} {c.version}")
    if behind:
        return CheckItem(
            "versions.control-plane", title, Status.FAIL, f"control plane behind: {_names(behind)}",
            "Upgrade the control plane (API, conductor, scheduler...) first.",
            tuple(dict.fromkeys(b.split(" ")[0] for b in behind)),
        )
    return CheckItem("versions.control-plane", title, Status.PASS, "control plane at or ahead of the target")


def migration_compatibility(snapshot: Snapshot, options: PlanOptions) -> CheckItem:
    """Live migration goes old -> new only: hosts already ahead can only send to their peers."""
    title = "Live migration stays compatible: from older to newer hosts, never back"
    target = snapshot.target
    ahead = [h.name for h in snapshot.hosts if not needs_upgrade(h, target)]
    mixed: dict[str, set[str]] = {}
    for h in snapshot.hosts:
        for c in h.components:
            mixed.setdefault(c.name, set()).add(c.version)
    majors = [
        name for name, versions in mixed.items()
        if len({p.major for v in versions if (p := parse(v))}) > 1
    ]
    if majors:
        return CheckItem(
            "versions.migration", title, Status.WARN,
            f"hosts already run different MAJOR versions of {_names(majors)}: servers on the "
            "newer ones cannot live-migrate to the older ones",
            "Finish the interrupted upgrade first, or expect fewer destinations.",
            tuple(majors),
        )
    reason = "old -> new only during the upgrade"
    if ahead:
        reason += f"; {len(ahead)} host(s) already at the target: {_names(ahead)}"
    return CheckItem("versions.migration", title, Status.PASS, reason)


# -- blockers -----------------------------------------------------------------
def hosts_in_maintenance(snapshot: Snapshot, options: PlanOptions) -> CheckItem:
    title = "No host is already in maintenance"
    busy = [
        h.name for h in snapshot.hosts
        if h.service_status == ServiceStatus.DISABLED and _in_maintenance(h.disabled_reason)
    ]
    if busy:
        return CheckItem(
            "blockers.maintenance", title, Status.FAIL,
            f"{len(busy)} host(s) disabled for maintenance: {_names(busy)}",
            "Finish that maintenance and enable the services before planning.",
            tuple(busy),
        )
    return CheckItem("blockers.maintenance", title, Status.PASS, "none")


def servers_not_live_migratable(snapshot: Snapshot, options: PlanOptions) -> CheckItem:
    title = "Servers that cannot live-migrate"
    vnf_of = snapshot.vnf_of_server
    parked, cold, stuck = [], [], []
    for s in snapshot.servers:
        if s.live_migratable or s.status == "SHUTOFF":
            continue
        vnf = vnf_of.get(s.name)
        needed = required_action(vnf)
        if needed in (ActionKind.LIVE_MIGRATE, ActionKind.SWITCHOVER):
            # Its VNF's migration_type decides (vnf.migration-type fails what it cannot).
            if needed == ActionKind.SWITCHOVER and options.allows(needed):
                parked.append(s.name)
            continue
        if needed is None and vnf and vnf.ha_model != HaModel.NONE and len(vnf.members) > 1 \
                and options.allows(ActionKind.SWITCHOVER):
            parked.append(s.name)
        elif options.allows(ActionKind.COLD_MIGRATE) or options.allows(ActionKind.STOP_START):
            cold.append(f"{s.name} ({s.not_migratable_reason or 'not live-migratable'})")
        else:
            stuck.append(s.name)
    if stuck:
        return CheckItem(
            "blockers.not-live-migratable", title, Status.FAIL,
            f"{len(stuck)} server(s) can neither live-migrate nor be switched over, and cold "
            f"migration and stop-start are not allowed: {_names(stuck)}",
            "Allow cold migration or stop-start for them, or give their VNF HA.",
            tuple(stuck),
        )
    if cold:
        return CheckItem(
            "blockers.not-live-migratable", title, Status.WARN,
            f"{len(cold)} server(s) will be cold-migrated or stopped (an outage): {_names(cold)}"
            + (f"; {len(parked)} more parked by their VNF's switchover" if parked else ""),
            "Tell their owners, or make them live-migratable.",
            tuple(c.split(" ")[0] for c in cold),
        )
    if parked:
        return CheckItem(
            "blockers.not-live-migratable", title, Status.PASS,
            f"{len(parked)} server(s) cannot live-migrate; their VNFs switch over instead",
        )
    return CheckItem("blockers.not-live-migratable", title, Status.PASS, "every server can live-migrate")


def migration_types(snapshot: Snapshot, options: PlanOptions) -> CheckItem:
    """Each VNF's migration_type can be honoured: its one action is allowed and possible."""
    title = "Each VNF's migration_type can be honoured"
    servers = snapshot.server_by_name
    fails, warns, subjects = [], [], []
    for vnf in snapshot.vnfs:
        needed = required_action(vnf)
        if needed is None:
            continue
        running = [servers[m.server] for m in vnf.members
                   if m.server in servers and servers[m.server].status != "SHUTOFF"]
        if running and not options.allows(needed):
            fails.append(f"{vnf.name}: migration_type {vnf.migration_type} needs {needed}, "
                         "which is not among the allowed actions")
            subjects.append(vnf.name)
            continue
        if needed == ActionKind.LIVE_MIGRATE:
            stuck = [f"{s.name} ({s.not_migratable_reason or 'not live-migratable'})"
                     for s in running if not s.live_migratable]
            if stuck:
                fails.append(f"{vnf.name}: migration_type live_migrate, but "
                             f"{_names(stuck)} cannot live-migrate")
                subjects.append(vnf.name)
        elif needed == ActionKind.SWITCHOVER and (vnf.ha_model == HaModel.NONE or len(vnf.members) < 2):
            warns.append(f"{vnf.name}: migration_type own_action without HA: out of service "
                         "while its host is upgraded unless its VNF manager moves it")
            subjects.append(vnf.name)
    if fails:
        return CheckItem(
            "vnf.migration-type", title, Status.FAIL, "; ".join(fails[:10]),
            "Allow the action the VNF asks for, make its servers live-migratable, or change "
            "its migration_type in the inventory.",
            tuple(dict.fromkeys(subjects)),
        )
    if warns:
        return CheckItem(
            "vnf.migration-type", title, Status.WARN, "; ".join(warns[:10]),
            "Check with the VNF's owner that its VNF manager handles the outage.",
            tuple(dict.fromkeys(subjects)),
        )
    count = sum(1 for v in snapshot.vnfs if required_action(v) is not None)
    return CheckItem("vnf.migration-type", title, Status.PASS,
                     f"{count} VNF(s) ask for one action; each can be honoured" if count
                     else "no VNF asks for one action (migration_type any)")


CHECKS: tuple[Check, ...] = (
    services_up,
    services_enabled,
    hosts_consistent,
    servers_not_in_error,
    servers_idle,
    nfvi_capacity,
    nfvi_fragmentation,
    vnf_redundancy,
    vnfs_without_ha,
    versions_valid,
    target_not_lower,
    no_major_skip,
    control_plane_ahead,
    migration_compatibility,
    hosts_in_maintenance,
    servers_not_live_migratable,
    migration_types,
)


@dataclass(frozen=True)
class PrecheckResult:
    items: tuple[CheckItem, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return all(i.status != Status.FAIL for i in self.items)

    def counts(self) -> dict[str, int]:
        c = Counter(i.status.value for i in self.items)
        return {s.value: c.get(s.value, 0) for s in Status}


def run_precheck(snapshot: Snapshot, options: PlanOptions | None = None) -> list[CheckItem]:
    """Every pre-check item, in a stable order."""
    options = options or PlanOptions()
    return [check(snapshot, options) for check in CHECKS]


__all__ = ["CHECKS", "CheckItem", "PrecheckResult", "Status", "run_precheck"]
