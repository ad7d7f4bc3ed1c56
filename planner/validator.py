"""An independent check that a plan breaks no constraint.

The validator shares no code with the strategies: it replays the plan wave by
wave, host step by host step, action by action, against its own model of the
cloud, and reports every violation it meets (it does not stop at the first).
Destinations left to Nova's scheduler (``target=None``) are resolved with a
documented model of it: the filters (service enabled and up, not being
upgraded, room for the flavor with allocation ratios, hard anti-affinity,
same availability zone when the plan keeps zones, for a live migration a
host no older than the source), then the weighers (fewest members of the
server's soft-anti-affinity groups, most free RAM, host name).
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from domain.plan import ActionKind, HostStep, Plan, ServerAction, Wave
from domain.snapshot import (
    GroupPolicy,
    HaModel,
    MemberRole,
    ServiceState,
    ServiceStatus,
    Snapshot,
)
from domain.versions import is_older
from planner.options import PlanOptions

MOVES = (ActionKind.LIVE_MIGRATE, ActionKind.COLD_MIGRATE)
# A VNF's migration_type -> the one action its running members may get (own
# action: the VNF manager's switchover). Kept here, apart from the strategies'.
_TYPE_ACTION = {
    "live_migrate": ActionKind.LIVE_MIGRATE,
    "migrate": ActionKind.COLD_MIGRATE,
    "own_action": ActionKind.SWITCHOVER,
}


@dataclass(frozen=True)
class Violation:
    """One broken rule; ``rule`` is a stable id, ``message`` says it to the operator."""

    rule: str
    message: str
    wave: int | None = None
    host: str | None = None
    server: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "message": self.message,
            "wave": self.wave,
            "host": self.host,
            "server": self.server,
        }


@dataclass(frozen=True)
class ValidationReport:
    violations: tuple[Violation, ...]
    # Migrations per server, scheduler choices included.
    moves: Mapping[str, int] = field(default_factory=dict)
    # (wave, server, host) for every destination the scheduler model chose.
    scheduled: tuple[tuple[int, str, str], ...] = ()

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def moved_twice(self) -> int:
        return sum(1 for n in self.moves.values() if n > 1)

    @property
    def migrations(self) -> int:
        return sum(self.moves.values())

    def rules(self) -> set[str]:
        return {v.rule for v in self.violations}

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "violations": [v.to_dict() for v in self.violations],
            "migrations": self.migrations,
            "moved_twice": self.moved_twice,
        }


class _Replay:
    def __init__(self, snapshot: Snapshot, plan: Plan):
        self.snap = snapshot
        self.plan = plan
        self.violations: list[Violation] = []
        self.scheduled: list[tuple[int, str, str]] = []
        self.moves: Counter[str] = Counter()
        try:
            self.options = PlanOptions.from_dict(plan.options)
        except (TypeError, ValueError) as exc:
            self.options = PlanOptions()
            self.add("options", f"the plan's options are invalid: {exc}")
        self.hosts = snapshot.host_by_name
        self.servers = snapshot.server_by_name
        self.where = {s.name: s.host for s in snapshot.servers}
        self.used: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
        self.residents: dict[str, set[str]] = defaultdict(set)
        # The scheduler model visits hosts by most free RAM: a lazy heap per
        # zone ("" for the whole cloud) of (-free RAM, name, stamp), where an
        # entry whose stamp is not the host's latest is outdated.
        self._stamp: Counter[str] = Counter()
        self._by_free: dict[str, list[tuple[float, str, int]]] = defaultdict(list)
        self._tracking = False
        self._sizes = {
            "az": Counter(h.az for h in snapshot.hosts),
            "aggregate": Counter(a for h in snapshot.hosts for a in h.aggregates),
        }
        for s in snapshot.servers:
            self._add_load(s.name, s.host)
        self._tracking = True
        for h in snapshot.hosts:
            self._restamp(h.name)
        self.versions = {h.name: dict(h.versions) for h in snapshot.hosts}
        self.hard_groups: dict[str, list[tuple[str, set[str]]]] = defaultdict(list)
        self.soft_groups: dict[str, list[set[str]]] = defaultdict(list)
        for g in snapshot.server_groups:
            members = set(g.members)
            for m in g.members:
                if g.policy == GroupPolicy.ANTI_AFFINITY:
                    self.hard_groups[m].append((g.name, members))
                elif g.policy == GroupPolicy.SOFT_ANTI_AFFINITY:
                    self.soft_groups[m].append(members)
        self.vnf_of = {m.server: (v, m.role) for v in snapshot.vnfs for m in v.members}
        self.vnf_by_name = {v.name: v for v in snapshot.vnfs}

    def add(self, rule: str, message: str, **where: Any) -> None:
        self.violations.append(Violation(rule=rule, message=message, **where))

    def _restamp(self, host: str) -> None:
        h = self.hosts.get(host)
        if not self._tracking or h is None:
            return
        if h.service_status != ServiceStatus.ENABLED or h.service_state != ServiceState.UP:
            return
        self._stamp[host] += 1
        entry = (-(h.ram_capacity_mib - self.used[host][1]), host, self._stamp[host])
        heapq.heappush(self._by_free[h.az], entry)
        heapq.heappush(self._by_free[""], entry)

    def _add_load(self, server: str, host: str) -> None:
        s = self.servers[server]
        load = self.used[host]
        load[0] += s.vcpus
        load[1] += s.ram_mib
        load[2] += s.disk_gib
        self.residents[host].add(server)
        self._restamp(host)

    def _remove_load(self, server: str, host: str) -> None:
        s = self.servers[server]
        load = self.used[host]
        load[0] -= s.vcpus
        load[1] -= s.ram_mib
        load[2] -= s.disk_gib
        self.residents[host].discard(server)
        self._restamp(host)

    # -- the replay ----------------------------------------------------------
    def run(self) -> None:
        seen: dict[str, int] = {}
        for index, wave in enumerate(self.plan.waves, start=1):
            self._wave_limits(index, wave)
            for step in wave.hosts:
                if step.host not in self.hosts:
                    self.add("unknown-host", f"wave {index}: unknown host {step.host!r}", wave=index)
                    continue
                if step.host in seen:
                    self.add(
                        "host-twice",
                        f"{step.host} is upgraded twice (waves {seen[step.host]} and {index})",
                        wave=index,
                        host=step.host,
                    )
                seen.setdefault(step.host, index)
            self._impact(index, wave)
            upgrading = set(wave.host_names)
            for step in wave.hosts:
                if step.host in self.hosts:
                    self._step(index, step, upgrading)
            for name in upgrading:
                if name in self.hosts:
                    self._upgrade(name)
        target = self.snap.target.versions
        for host in self.snap.hosts:
            if host.name in seen:
                continue
            behind = [
                f"{c} {host.versions.get(c, 'missing')} < {v}"
                for c, v in target.items()
                if c not in host.versions or is_older(host.versions[c], v)
            ]
            if behind:
                self.add(
                    "host-never",
                    f"{host.name} is never upgraded ({', '.join(behind)})",
                    host=host.name,
                )

    def _wave_limits(self, index: int, wave: Wave) -> None:
        opts = self.options
        if len(wave.hosts) > opts.hosts_per_wave:
            self.add(
                "wave-size",
                f"wave {index} upgrades {len(wave.hosts)} hosts, more than hosts_per_wave "
                f"= {opts.hosts_per_wave}",
                wave=index,
            )
        known = [self.hosts[h] for h in wave.host_names if h in self.hosts]
        for label, share, keys_of, population in (
            ("availability zone", opts.az_share, lambda h: (h.az,), "az"),
            ("aggregate", opts.aggregate_share, lambda h: h.aggregates, "aggregate"),
        ):
            out = Counter(k for h in known for k in keys_of(h))
            size = self._sizes[population]
            for key, n in sorted(out.items()):
                limit = max(1, int(share * size[key]))
                if n > limit:
                    self.add(
                        f"{population}-share",
                        f"wave {index} takes {n} of the {size[key]} hosts of {label} {key}, "
                        f"more than its limit of {limit} ({share:.0%})",
                        wave=index,
                    )

    def _impact(self, index: int, wave: Wave) -> None:
        """Members of each VNF that this wave takes down (running ones on its hosts)."""
        down: dict[str, list[tuple[str, MemberRole]]] = defaultdict(list)
        for name in wave.host_names:
            for server in sorted(self.residents.get(name, ())):
                if server in self.vnf_of and self.servers[server].status != "SHUTOFF":
                    vnf, role = self.vnf_of[server]
                    down[vnf.name].append((server, role))
        for name, members in sorted(down.items()):
            vnf = self.vnf_by_name[name]
            servers = ", ".join(s for s, _ in members)
            if len(members) > vnf.max_impacted:
                self.add(
                    "max-impacted",
                    f"wave {index}: {len(members)} members of VNF {name} impacted at once "
                    f"({servers}), more than its max_impacted of {vnf.max_impacted}",
                    wave=index,
                )
            roles = {r for _, r in members}
            if vnf.ha_model == HaModel.ACTIVE_STANDBY and {
                MemberRole.ACTIVE,
                MemberRole.STANDBY,
            } <= roles:
                self.add(
                    "active-standby",
                    f"wave {index}: the active and the standby of VNF {name} are down "
                    f"together ({servers})",
                    wave=index,
                )

    def _step(self, index: int, step: HostStep, upgrading: set[str]) -> None:
        host = step.host
        handled: set[str] = set()
        for action in step.actions:
            if action.server in handled:
                self.add(
                    "duplicate-action",
                    f"wave {index}: {action.server} has more than one action on {host}",
                    wave=index, host=host, server=action.server,
                )
                continue
            handled.add(action.server)
            self._action(index, host, action, upgrading)
        for server in sorted(self.residents.get(host, set()) - handled):
            self.add(
                "server-left",
                f"wave {index}: {server} is left running on {host} during its upgrade "
                "without an action",
                wave=index, host=host, server=server,
            )

    def _action(self, index: int, host: str, action: ServerAction, upgrading: set[str]) -> None:
        where = {"wave": index, "host": host, "server": action.server}
        server = self.servers.get(action.server)
        if server is None:
            self.add("unknown-server", f"wave {index}: unknown server {action.server!r}", **where)
            return
        if self.where[server.name] != host or action.source != host:
            self.add(
                "wrong-source",
                f"wave {index}: {server.name} is on {self.where[server.name]}, not on "
                f"{host} (action says source {action.source})",
                **where,
            )
            return
        if action.kind not in self.options.allowed_actions:
            self.add(
                "action-not-allowed",
                f"wave {index}: {action.kind.value} of {server.name} is not among the "
                "allowed actions",
                **where,
            )
        vnf, _ = self.vnf_of.get(server.name, (None, None))
        wanted = _TYPE_ACTION.get(str(vnf.migration_type)) if vnf is not None else None
        if vnf is not None and wanted is not None and action.kind not in (wanted, ActionKind.STAY):
            self.add(
                "migration-type",
                f"wave {index}: {action.kind.value} of {server.name} on {host}, but its VNF "
                f"{vnf.name} has migration_type {vnf.migration_type} ({wanted.value} only)",
                **where,
            )
        if action.kind == ActionKind.STAY:
            if server.status != "SHUTOFF":
                self.add(
                    "server-left",
                    f"wave {index}: {server.name} is {server.status} but stays on {host} "
                    "during its upgrade (stay is only for servers already shut off)",
                    **where,
                )
            return
        if action.kind == ActionKind.SWITCHOVER:
            # A VNF manager's own action needs no HA: it takes its member out itself.
            own = vnf is not None and wanted == ActionKind.SWITCHOVER
            if not own and (vnf is None or vnf.ha_model == HaModel.NONE or len(vnf.members) < 2):
                self.add(
                    "switchover-without-ha",
                    f"wave {index}: switchover of {server.name}, but "
                    + ("it belongs to no VNF" if vnf is None else f"VNF {vnf.name} has no HA"),
                    **where,
                )
            return
        if action.kind == ActionKind.STOP_START:
            return
        self._move(index, host, server.name, action, upgrading)

    def _move(
        self, index: int, host: str, name: str, action: ServerAction, upgrading: set[str]
    ) -> None:
        where = {"wave": index, "host": host, "server": name}
        server = self.servers[name]
        live = action.kind == ActionKind.LIVE_MIGRATE
        if live and not server.live_migratable:
            reason = f" ({server.not_migratable_reason})" if server.not_migratable_reason else ""
            self.add(
                "not-live-migratable",
                f"wave {index}: {name} cannot live-migrate{reason}",
                **where,
            )
        target = action.target
        if target is None:
            target = self._schedule(name, host, live, upgrading)
            if target is None:
                self.add(
                    "no-destination",
                    f"wave {index}: the scheduler finds no host for {name} "
                    f"({server.vcpus} vCPU, {server.ram_mib} MiB, {server.disk_gib} GiB)",
                    **where,
                )
                return
            self.scheduled.append((index, name, target))
        elif target not in self.hosts:
            self.add("unknown-target", f"wave {index}: {name} sent to unknown host {target!r}", **where)
            return
        self._check_target(index, host, name, target, live, upgrading)
        self._remove_load(name, host)
        self._add_load(name, target)
        self.where[name] = target
        self.moves[name] += 1
        self._check_after(index, name, target)

    def _check_target(
        self, index: int, host: str, name: str, target: str, live: bool, upgrading: set[str]
    ) -> None:
        where = {"wave": index, "host": host, "server": name}
        dest = self.hosts[target]
        if target == host:
            self.add("target-is-source", f"wave {index}: {name} is migrated onto its own host", **where)
        elif target in upgrading:
            self.add(
                "target-in-wave",
                f"wave {index}: {name} is sent to {target}, which is upgraded in the same wave",
                **where,
            )
        if dest.service_status != ServiceStatus.ENABLED or dest.service_state != ServiceState.UP:
            self.add(
                "target-unavailable",
                f"wave {index}: {name} is sent to {target}, whose nova-compute is "
                f"{dest.service_status.value}/{dest.service_state.value}",
                **where,
            )
        if self.options.keep_az and dest.az != self.hosts[host].az:
            self.add(
                "other-az",
                f"wave {index}: {name} leaves availability zone {self.hosts[host].az} "
                f"for {target} in {dest.az}",
                **where,
            )
        if live:
            src_v, dst_v = self.versions[host], self.versions[target]
            older = [
                f"{c} {dst_v[c]} < {v}" for c, v in src_v.items() if c in dst_v and is_older(dst_v[c], v)
            ]
            if older:
                self.add(
                    "newer-to-older",
                    f"wave {index}: live migration of {name} from {host} to older host "
                    f"{target} ({', '.join(older)})",
                    **where,
                )

    def _check_after(self, index: int, name: str, target: str) -> None:
        dest = self.hosts[target]
        where = {"wave": index, "host": target, "server": name}
        load = self.used[target]
        for label, used, cap, unit in (
            ("vCPU", load[0], dest.vcpu_capacity, ""),
            ("RAM", load[1], dest.ram_capacity_mib, " MiB"),
            ("disk", load[2], dest.disk_capacity_gib, " GiB"),
        ):
            if used > cap + 1e-9:
                self.add(
                    "capacity",
                    f"wave {index}: {target} is over its {label} capacity after receiving "
                    f"{name} ({used:g}{unit} used of {cap:g}{unit})",
                    **where,
                )
        for group, members in self.hard_groups.get(name, ()):
            others = sorted((members & self.residents[target]) - {name})
            if others:
                self.add(
                    "anti-affinity",
                    f"wave {index}: {name} joins {', '.join(others)} on {target}, against "
                    f"anti-affinity group {group}",
                    **where,
                )

    def _schedule(self, name: str, host: str, live: bool, upgrading: set[str]) -> str | None:
        server = self.servers[name]
        heap = self._by_free[self.hosts[host].az if self.options.keep_az else ""]
        seen: list[tuple[float, str, int]] = []
        chosen: str | None = None
        chosen_peers = 0
        while heap:
            entry = heapq.heappop(heap)
            if entry[2] != self._stamp[entry[1]]:
                continue  # outdated: a newer entry holds this host's free RAM
            seen.append(entry)
            cand = self.hosts[entry[1]]
            if cand.name == host or cand.name in upgrading:
                continue
            load = self.used[cand.name]
            if (
                load[0] + server.vcpus > cand.vcpu_capacity + 1e-9
                or load[1] + server.ram_mib > cand.ram_capacity_mib + 1e-9
                or load[2] + server.disk_gib > cand.disk_capacity_gib + 1e-9
            ):
                continue
            residents = self.residents[cand.name]
            if any(m in residents for _, members in self.hard_groups.get(name, ()) for m in members):
                continue
            if live:
                src_v, dst_v = self.versions[host], self.versions[cand.name]
                if any(c in dst_v and is_older(dst_v[c], v) for c, v in src_v.items()):
                    continue
            peers = sum(m in residents for members in self.soft_groups.get(name, ()) for m in members)
            if chosen is None or peers < chosen_peers:
                chosen, chosen_peers = cand.name, peers
            if peers == 0:
                break
        for entry in seen:
            heapq.heappush(heap, entry)
        return chosen

    def _upgrade(self, name: str) -> None:
        versions = self.versions[name]
        for c, v in self.snap.target.versions.items():
            if c not in versions or is_older(versions[c], v):
                versions[c] = v


def validate(snapshot: Snapshot, plan: Plan) -> ValidationReport:
    """Replay ``plan`` against ``snapshot`` and report every violation."""
    replay = _Replay(snapshot, plan)
    replay.run()
    return ValidationReport(
        violations=tuple(replay.violations),
        moves=dict(replay.moves),
        scheduled=tuple(replay.scheduled),
    )


def resolve_targets(snapshot: Snapshot, plan: Plan) -> Plan:
    """The same plan with every scheduler-chosen destination named (as the model picks it).

    For the simulator and the export, which need a host for every migration.
    """
    report = validate(snapshot, plan)
    chosen = {(w, s): h for w, s, h in report.scheduled}
    waves = []
    for index, wave in enumerate(plan.waves, start=1):
        steps = []
        for step in wave.hosts:
            actions = tuple(
                ServerAction(a.server, a.kind, a.source, chosen.get((index, a.server), a.target))
                if a.target is None and a.kind in MOVES
                else a
                for a in step.actions
            )
            steps.append(HostStep(host=step.host, actions=actions))
        waves.append(Wave(hosts=tuple(steps), why=wave.why))
    return replace(plan, waves=tuple(waves))
