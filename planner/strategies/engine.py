"""The wave builder every strategy drives with its own order and rules.

Given hosts in priority order, it fills waves first-fit: a host joins the
current wave when the wave's limits allow it (size, AZ and aggregate
shares, one member per hard anti-affinity group, each VNF's
``max_impacted``, never an active with its standby) and when every server on
it gets an action: parked through the VNF's HA, or moved to a host that can
take it. A host that already receives servers in a wave cannot join it.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from domain.plan import ActionKind, HostStep, Plan, ServerAction, Wave
from domain.snapshot import HaModel, MemberRole, Server, Snapshot
from domain.versions import needs_upgrade
from planner.capacity import fragmentation, zone_capacities
from planner.errors import NoPlanError
from planner.options import PlanOptions
from planner.strategies.state import CloudState
from planner.timing import (
    Timings,
    default_timings,
    estimate_cold_migration,
    estimate_live_migration,
)
from planner.vnf_actions import required_action, type_note


@dataclass(frozen=True)
class WaveRules:
    """How a strategy fills waves.

    - ``max_hosts``: wave size limit.
    - ``one_az_per_wave``: a wave never mixes availability zones (az-by-az).
    - ``explicit_targets``: steer each migration to a destination of the
      plan's choosing (upgraded hosts first); otherwise take the host Nova's
      scheduler would pick (the enabled host with the most free RAM that
      passes the filters). Either way the plan names it.
    - ``vnf_first``: prefer the VNF's own switchover/drain to migration and
      pick, per server, the action with the least expected outage.
    - ``one_group_member_per_wave``: never two hosts holding members of one
      hard anti-affinity group in a wave (StarlingX's rule); without it only
      each VNF's ``max_impacted`` limits how many of its members go at once.
    - ``reserve_wave``: before draining, set aside the next hosts that could
      share the wave as non-destinations, so that draining the first does
      not fill the others (az-by-az: several hosts of one zone at once).
    """

    max_hosts: int
    one_az_per_wave: bool = False
    explicit_targets: bool = True
    vnf_first: bool = False
    one_group_member_per_wave: bool = True
    reserve_wave: bool = False


def hosts_to_upgrade(snapshot: Snapshot) -> list[str]:
    return [h.name for h in snapshot.hosts if needs_upgrade(h, snapshot.target)]


class WaveBuilder:
    def __init__(
        self,
        snapshot: Snapshot,
        options: PlanOptions,
        rules: WaveRules,
        timings: Timings | None = None,
    ):
        self.snapshot = snapshot
        self.options = options
        self.rules = rules
        self.timings = timings or default_timings()
        hosts = snapshot.hosts
        az_size = Counter(h.az for h in hosts)
        agg_size = Counter(a for h in hosts for a in h.aggregates)
        self.az_limit = {az: max(1, math.floor(options.az_share * n)) for az, n in az_size.items()}
        self.agg_limit = {
            a: max(1, math.floor(options.aggregate_share * n)) for a, n in agg_size.items()
        }
        self.hosts_of_az: dict[str, list[str]] = defaultdict(list)
        for h in hosts:
            self.hosts_of_az[h.az].append(h.name)
        self._outage_cache: dict[tuple[str, bool], list[ActionKind]] = {}
        self.initial_active = {
            v.name: m.server
            for v in snapshot.vnfs
            if v.ha_model == HaModel.ACTIVE_STANDBY
            for m in v.members
            if m.role == MemberRole.ACTIVE
        }
        self.active: dict[str, str] = dict(self.initial_active)
        self.vnfs = {v.name: v for v in snapshot.vnfs}
        self.role_of = {m.server: m.role for v in snapshot.vnfs for m in v.members}
        self._pool_cache: dict[tuple[str, int], list[str]] = {}
        self._next: dict[str, int] = {}
        self._strict = False
        # Per wave: the first source host sending to each target.
        self._incoming: dict[str, str] = {}
        # Per wave: targets of a cold migration that is an outage (a server
        # without HA): other hosts' flows keep off their NIC while one is found.
        self._quiet: dict[str, str] = {}
        self._pool_sets: dict[str, tuple[list[str], set[str]]] = {}
        self._later_cache: dict[str, list[str]] = {}
        # Per build: what the approver must know, and per wave why the
        # hosts left out of it were left out.
        self.warnings: list[str] = []
        self._kept_out: dict[str, str] = {}
        self._info_cache: dict[str, tuple[int, Any]] = {}
        # VNF-first rules: a cold migration waits for an upgraded destination
        # (a second cold migration is a second outage) unless told otherwise.
        self.cold_waits = True

    # -- per-server choice ---------------------------------------------------
    def preferences(self, server: Server) -> list[ActionKind]:
        """Actions to try for one server, best first (targets permitting)."""
        active = self.is_active(server.name)
        cached = self._outage_cache.get((server.name, active))
        if cached is not None:
            return cached
        allowed = self.options.allowed_actions
        if server.status == "SHUTOFF":
            prefs = [ActionKind.STAY, ActionKind.COLD_MIGRATE]
        else:
            vnf = self.snapshot.vnf_of_server.get(server.name)
            has_ha = vnf is not None and vnf.ha_model != HaModel.NONE and len(vnf.members) > 1
            moves = [ActionKind.COLD_MIGRATE]
            if server.live_migratable:
                moves.insert(0, ActionKind.LIVE_MIGRATE)
            if not self.rules.vnf_first:
                # The baseline (Watcher, Fenix without VNF interaction): migrate.
                prefs = [*moves, *([ActionKind.SWITCHOVER] if has_ha else []), ActionKind.STOP_START]
            else:
                prefs = sorted(
                    [*([ActionKind.SWITCHOVER] if has_ha else []), *moves, ActionKind.STOP_START],
                    key=lambda kind: (
                        self.expected_outage(server, kind, active),
                        self.drain_cost(server, kind),
                    ),
                )
        needed = required_action(self.snapshot.vnf_of_server.get(server.name))
        if needed is not None:
            # The VNF's migration_type: its one action (the VNF manager's own
            # action is a switchover even without HA), or staying if shut off.
            if server.status == "SHUTOFF":
                prefs = [ActionKind.STAY]
            elif needed == ActionKind.LIVE_MIGRATE and not server.live_migratable:
                prefs = []
            else:
                prefs = [needed]
        prefs = [k for k in prefs if k in allowed]
        self._outage_cache[(server.name, active)] = prefs
        return prefs

    def is_active(self, server: str) -> bool:
        """True for the member of an active-standby VNF that serves now.

        Roles change during a plan: switching the active over makes its
        standby the active one, as the simulator and the real VNF do.
        """
        vnf = self.snapshot.vnf_of_server.get(server)
        if vnf is None or vnf.ha_model != HaModel.ACTIVE_STANDBY:
            return False
        return self.active.get(vnf.name) == server

    def drain_cost(self, server: Server, kind: ActionKind) -> float:
        """Seconds the action holds up its host's drain (the tie-breaker between equal outages)."""
        host = self.snapshot.host_by_name[server.host]
        if kind == ActionKind.LIVE_MIGRATE:
            return estimate_live_migration(server, host.nic_bandwidth_mibps, self.timings).duration_s
        if kind == ActionKind.COLD_MIGRATE:
            return estimate_cold_migration(server, self.timings)
        if kind == ActionKind.SWITCHOVER:
            vnf = self.snapshot.vnf_of_server.get(server.name)
            return vnf.switchover_s if vnf and vnf.switchover_s > 0 else self.timings.switchover_s
        return self.timings.stop_s

    def expected_outage(self, server: Server, kind: ActionKind, active: bool | None = None) -> float:
        """Seconds of VNF outage one action costs (sorted stably: ties keep switchover first)."""
        host = self.snapshot.host_by_name[server.host]
        vnf = self.snapshot.vnf_of_server.get(server.name)
        shared = vnf is not None and vnf.ha_model != HaModel.NONE and len(vnf.members) > 1
        if active is None:
            active = self.is_active(server.name)
        if kind == ActionKind.SWITCHOVER:
            if vnf is not None and not shared:
                # No HA (a VNF manager's own action): out for the host's upgrade.
                return self.timings.host_fixed_s
            if vnf is None or not active:
                return 0.0
            return vnf.switchover_s if vnf.switchover_s > 0 else self.timings.switchover_s
        if kind == ActionKind.LIVE_MIGRATE:
            if shared and not active:
                return 0.0
            return estimate_live_migration(server, host.nic_bandwidth_mibps, self.timings).downtime_s
        if kind == ActionKind.COLD_MIGRATE:
            return 0.0 if shared and not active else estimate_cold_migration(server, self.timings)
        return math.inf if not shared else self.timings.host_fixed_s

    # -- the build -----------------------------------------------------------
    def build(self, order: Sequence[str], strategy: str) -> Plan:
        state = CloudState(self.snapshot)
        self._info_cache = {}
        self._pool_cache.clear()
        self._next.clear()
        self.active = dict(self.initial_active)
        self.warnings = []
        remaining = [h for h in order if h not in state.upgraded]
        waves: list[Wave] = []
        kept_out: dict[str, str] = {}
        while remaining:
            # A cold migration is an outage: with VNF-first rules it waits for
            # an upgraded destination, unless no host could go otherwise.
            self._strict = self.rules.vnf_first and self.cold_waits
            steps, failures = self._fill_wave(state, remaining)
            if not steps and self._strict:
                self._strict = False
                steps, failures = self._fill_wave(state, remaining)
            if not steps:
                raise NoPlanError(self._why(failures, strategy))
            if waves:
                # What kept this wave's hosts out of the previous one.
                waves[-1] = Wave(waves[-1].hosts, why=_why_apart([s.host for s in steps], kept_out))
            kept_out = dict(self._kept_out)
            waves.append(Wave(hosts=tuple(steps)))
            done = {s.host for s in steps}
            for host in done:
                state.upgrade(host)
            remaining = [h for h in remaining if h not in done]
        return Plan(
            strategy=strategy,
            target_release=self.snapshot.target.name,
            waves=tuple(waves),
            options=self.options.to_dict(),
            warnings=tuple(dict.fromkeys(self.warnings)),
        )

    def drain_wave(
        self, state: CloudState, hosts: Sequence[str], later: Sequence[str]
    ) -> tuple[list[HostStep], list[str]]:
        """Actions for a wave whose hosts are given (a plan edited by hand), then upgrade them.

        Each host's servers get an action by the strategy's rules, to hosts
        outside the wave (``later``: the hosts of the waves that follow, in
        order). Returns the steps and, for each host that could not be
        drained, why (then nothing of the wave is kept).
        """
        self._incoming = {}
        self._quiet = {}
        self._later_cache = {}
        self._strict = False
        in_wave = set(hosts)
        steps: list[HostStep] = []
        failures: list[str] = []
        mark = state.mark()
        for name in hosts:
            actions = self._drain(state, name, state.servers_on(name), in_wave, list(later)[::-1], failures)
            if actions is None:
                state.rollback(mark)
                return [], failures
            steps.append(HostStep(host=name, actions=tuple(actions)))
        state.commit()
        for name in hosts:
            state.upgrade(name)
        return steps, failures

    def replay(self, state: CloudState, wave: Wave) -> None:
        """Apply a wave as planned (its moves, its switchovers), then upgrade its hosts."""
        by_name = self.snapshot.server_by_name
        for step in wave.hosts:
            for action in step.actions:
                if action.kind in _MOVES and action.target:
                    state.move(by_name[action.server], action.target)
                elif action.kind == ActionKind.SWITCHOVER and self.is_active(action.server):
                    partner = self._partner(action.server)
                    if partner is not None:
                        self.active[self.snapshot.vnf_of_server[action.server].name] = partner
        state.commit()
        for step in wave.hosts:
            state.upgrade(step.host)

    def _fill_wave(self, state: CloudState, remaining: list[str]) -> tuple[list[HostStep], list[str]]:
        rules = self.rules
        hosts = self.snapshot.host_by_name
        wave: list[HostStep] = []
        in_wave: set[str] = set()
        receiving: set[str] = set()
        az_count: Counter[str] = Counter()
        agg_count: Counter[str] = Counter()
        groups_touched: set[str] = set()
        vnf_impacted: Counter[str] = Counter()
        vnf_roles: dict[str, set[MemberRole]] = defaultdict(set)
        failures: list[str] = []
        # Destinations: hosts already upgraded first (nothing moves twice),
        # then the hosts upgraded last.
        later = remaining[::-1]
        self._incoming = {}
        self._quiet = {}
        self._later_cache = {}
        kept_out: dict[str, str] = {}
        self._kept_out = kept_out
        reserved = self._reserve(remaining) if rules.reserve_wave else set()
        for name in remaining:
            if len(wave) >= rules.max_hosts:
                kept_out.setdefault(name, f"the wave is full (hosts_per_wave {rules.max_hosts})")
                continue
            host = hosts[name]
            if name in receiving:
                kept_out[name] = "receives servers drained in this wave"
                continue
            if rules.one_az_per_wave and wave and host.az != hosts[wave[0].host].az:
                kept_out[name] = f"one zone per wave ({hosts[wave[0].host].az} goes first)"
                continue
            if az_count[host.az] >= self.az_limit[host.az]:
                kept_out[name] = f"az_share of {host.az} ({self.az_limit[host.az]} hosts at once)"
                continue
            full = [a for a in host.aggregates if agg_count[a] >= self.agg_limit[a]]
            if full:
                kept_out[name] = (
                    f"aggregate_share of {full[0]} ({self.agg_limit[full[0]]} hosts at once)"
                )
                continue
            servers, groups, impact = self._host_info(state, name)
            if rules.one_group_member_per_wave and groups & groups_touched:
                kept_out[name] = f"anti-affinity group {sorted(groups & groups_touched)[0]}"
                continue
            if impact is None:
                failures.append(f"{name}: an active and its standby are both on this host")
                continue
            counts, roles = impact
            if not self._vnfs_allow(counts, roles, vnf_impacted, vnf_roles, failures, name):
                continue
            mark = state.mark()
            in_wave.add(name)
            actions = self._drain(state, name, servers, in_wave | reserved, later, failures)
            # Reserved hosts that leave no room: give them up, latest first.
            spare = [h for h in remaining if h in reserved and h not in in_wave] if (
                actions is None and reserved) else []
            while actions is None and spare:
                state.rollback(mark)
                reserved.discard(spare.pop())
                actions = self._drain(state, name, servers, in_wave | reserved, later, failures)
            if actions is None:
                state.rollback(mark)
                in_wave.discard(name)
                kept_out[name] = failures[-1].split(": ", 1)[-1] if failures else "no room"
                continue
            state.commit()
            wave.append(HostStep(host=name, actions=tuple(actions)))
            receiving.update(a.target or state.location[a.server] for a in actions if a.kind in _MOVES)
            az_count[host.az] += 1
            for a in host.aggregates:
                agg_count[a] += 1
            groups_touched |= groups
            vnf_impacted.update(counts)
            for vnf_name, r in roles.items():
                vnf_roles[vnf_name] |= r
        return wave, failures

    def _host_info(
        self, state: CloudState, name: str
    ) -> tuple[list[Server], set[str], tuple[Counter[str], dict[str, set[MemberRole]]] | None]:
        """A host's servers, their hard anti-affinity groups and VNF impact (cached while unchanged)."""
        version = state.version[name]
        cached = self._info_cache.get(name)
        if cached is not None and cached[0] == version:
            return cached[1]
        servers = state.servers_on(name)
        groups = {g for s in servers for g in state.anti_groups.get(s.name, ())}
        info = (servers, groups, self._impact(servers))
        self._info_cache[name] = (version, info)
        return info

    def _impact(
        self, servers: list[Server]
    ) -> tuple[Counter[str], dict[str, set[MemberRole]]] | None:
        """VNF members this host's upgrade takes down, and their roles."""
        counts: Counter[str] = Counter()
        roles: dict[str, set[MemberRole]] = defaultdict(set)
        vnf_of = self.snapshot.vnf_of_server
        for server in servers:
            vnf = vnf_of.get(server.name)
            if vnf is None or server.status == "SHUTOFF":
                continue
            counts[vnf.name] += 1
            roles[vnf.name].add(self.role_of[server.name])
        for r in roles.values():
            if {MemberRole.ACTIVE, MemberRole.STANDBY} <= r:
                return None
        return counts, roles

    def _vnfs_allow(
        self,
        counts: Counter[str],
        roles: dict[str, set[MemberRole]],
        vnf_impacted: Counter[str],
        vnf_roles: dict[str, set[MemberRole]],
        failures: list[str],
        name: str,
    ) -> bool:
        """Whether this host's members fit in the wave: max_impacted, never active with standby."""
        vnfs = self.vnfs
        for vnf_name, n in counts.items():
            vnf = vnfs[vnf_name]
            if vnf_impacted[vnf_name] + n > vnf.max_impacted:
                if not vnf_impacted[vnf_name]:
                    failures.append(
                        f"{name}: holds {n} members of {vnf_name}, more than its "
                        f"max_impacted of {vnf.max_impacted}"
                    )
                self._kept_out[name] = f"VNF {vnf_name}'s max_impacted ({vnf.max_impacted})"
                return False
            if {MemberRole.ACTIVE, MemberRole.STANDBY} <= vnf_roles[vnf_name] | roles[vnf_name]:
                self._kept_out[name] = f"VNF {vnf_name}: its active and standby never go together"
                return False
        return True

    def _reserve(self, remaining: list[str]) -> set[str]:
        """The next hosts that may share this wave by its static limits (size, zone, shares)."""
        hosts = self.snapshot.host_by_name
        chosen: list[str] = []
        az_count: Counter[str] = Counter()
        agg_count: Counter[str] = Counter()
        for name in remaining:
            if len(chosen) >= self.rules.max_hosts:
                break
            host = hosts[name]
            if self.rules.one_az_per_wave and chosen and host.az != hosts[chosen[0]].az:
                continue
            if az_count[host.az] >= self.az_limit[host.az]:
                continue
            if any(agg_count[a] >= self.agg_limit[a] for a in host.aggregates):
                continue
            chosen.append(name)
            az_count[host.az] += 1
            for a in host.aggregates:
                agg_count[a] += 1
        return set(chosen)

    def _drain(
        self,
        state: CloudState,
        name: str,
        servers: list[Server],
        in_wave: set[str],
        later: list[str],
        failures: list[str],
    ) -> list[ServerAction] | None:
        actions = []
        switched: list[tuple[str, str]] = []  # (vnf, former active) to undo on failure

        def undo() -> None:
            for vnf_name, former in reversed(switched):
                self.active[vnf_name] = former

        # Big servers first: they are the hardest to place.
        for server in sorted(servers, key=lambda s: (-s.ram_mib, s.name)):
            action = None
            # A live migration the model says will not converge only when
            # nothing else is allowed, and then with a warning on the plan.
            prefs = self.preferences(server)
            tries = [(kind, True) for kind in prefs]
            if ActionKind.LIVE_MIGRATE in prefs:
                tries.append((ActionKind.LIVE_MIGRATE, False))
            for kind, converge in tries:
                if kind in _MOVES:
                    target = self._target(state, server, name, kind, in_wave, later, converge)
                    if target is None:
                        continue
                    state.move(server, target)
                    action = ServerAction(server=server.name, kind=kind, source=name, target=target)
                    if not converge:
                        only_live = required_action(
                            self.snapshot.vnf_of_server.get(server.name)) == ActionKind.LIVE_MIGRATE
                        self.warnings.append(
                            f"{server.name}: its live migration from {name} to {target} will not "
                            f"converge by the migration model (dirty rate "
                            f"{server.dirty_rate_mibps:g} MiB/s) and no other action is allowed: "
                            "expect Nova's fallback or an outage; "
                            + (f"VNF {self.snapshot.vnf_of_server[server.name].name}'s "
                               "migration_type live_migrate allows nothing else"
                               if only_live else "allow cold-migrate or switchover")
                        )
                else:
                    if kind == ActionKind.SWITCHOVER and self.is_active(server.name):
                        # The standby takes over: it is the active one from now on.
                        partner = self._partner(server.name)
                        vnf_name = self.snapshot.vnf_of_server[server.name].name
                        switched.append((vnf_name, server.name))
                        if partner is not None:
                            self.active[vnf_name] = partner
                    vnf = self.snapshot.vnf_of_server.get(server.name)
                    if (kind == ActionKind.SWITCHOVER and vnf is not None
                            and (vnf.ha_model == HaModel.NONE or len(vnf.members) < 2)):
                        self.warnings.append(
                            f"{server.name}: VNF {vnf.name} has no HA and asks for its VNF "
                            "manager's own action (migration_type own_action): it is out of "
                            f"service while {name} is upgraded unless its VNF manager moves it"
                        )
                    action = ServerAction(server=server.name, kind=kind, source=name)
                break
            if action is None:
                failures.append(
                    f"{name}: no allowed action or destination for {server.name}: "
                    + self._blocker(state, server, name, in_wave)
                    + type_note(self.snapshot.vnf_of_server.get(server.name))
                )
                undo()
                return None
            actions.append(action)
        return actions

    def _blocker(self, state: CloudState, server: Server, source: str, in_wave: Collection[str]) -> str:
        """Which constraint leaves ``server`` nowhere to go, in the operator's words."""
        prefs = self.preferences(server)
        needed = required_action(self.snapshot.vnf_of_server.get(server.name))
        if not prefs and needed is not None:
            if needed == ActionKind.LIVE_MIGRATE and not server.live_migratable:
                return f"it cannot live-migrate ({server.not_migratable_reason or 'not live-migratable'})"
            return f"{needed} is not among the allowed actions"
        if not prefs:
            return "no action is allowed for it (allow cold-migrate, switchover or stop-start)"
        kinds = [k for k in prefs if k in _MOVES]
        if not kinds:
            return f"only {', '.join(str(k) for k in prefs)} allowed, and not possible here"
        zone = state.hosts[source].az if self.options.keep_az else ""
        where = zone or "the cloud"
        nova = state.nova
        hosts = [h for h in state.hosts if h != source and (not zone or state.hosts[h].az == zone)]
        steps = (
            (lambda h: h in nova.receiving, f"no other host of {where} takes servers (enabled and up)"),
            (lambda h: h not in in_wave, f"every other enabled host of {where} is in this wave"),
            (lambda h: nova.fits(server.name, h),
             f"no room for it ({server.ram_mib / 1024:g} GiB RAM, {server.vcpus} vCPU, "
             f"{server.disk_gib} GiB disk) on any host of {where} outside this wave"),
            (lambda h: not any(nova.members_on[g].get(h, 0) for g in nova.hard_groups.get(server.name, ())),
             "every host with room holds a member of its anti-affinity group "
             + ", ".join(nova.hard_groups.get(server.name, ()))),
            (lambda h: not state.joins_own_vnf(server, h),
             "every host with room holds another member of its VNF"),
        )
        for keep, why in steps:
            hosts = [h for h in hosts if keep(h)]
            if not hosts:
                if "no room" in why:
                    most = max((h for h in state.hosts if h in nova.receiving and h != source
                                and (not zone or state.hosts[h].az == zone)),
                               key=lambda h: (nova.free_ram(h), h), default=None)
                    if most is not None:
                        why += f" (most free: {max(0.0, nova.free_ram(most)) / 1024:.0f} GiB RAM on {most})"
                return why
        if kinds == [ActionKind.LIVE_MIGRATE]:
            return "its live migration would go to an older host or not converge, and cold-migrate is not allowed"
        if self.rules.vnf_first and self._strict:
            return "a cold migration waits for an upgraded host"
        return "the placement rules left it no destination in this wave"

    def _partner(self, server: str) -> str | None:
        vnf = self.snapshot.vnf_of_server[server]
        return next((m.server for m in vnf.members if m.server != server), None)

    def _target(
        self,
        state: CloudState,
        server: Server,
        source: str,
        kind: ActionKind,
        in_wave: set[str],
        later: list[str],
        converge: bool = True,
    ) -> str | None:
        live = kind == ActionKind.LIVE_MIGRATE
        az = state.hosts[source].az
        keep_az = self.options.keep_az
        if not self.rules.explicit_targets:
            # Nova's scheduler as the validator models it: its filters, then
            # fewest soft-anti-affinity peers, most free RAM, name; asked
            # first among the upgraded hosts (the executor's rule: upgraded
            # first), so that fewer servers move twice.
            zone = az if keep_az else ""
            best = None
            if state.upgraded:
                best = state.scheduler_pick(server, source, live, _NotUpgraded(state.hosts, in_wave, state.upgraded), zone)
            if best is None:
                best = state.scheduler_pick(server, source, live, in_wave, zone)
            # Nova cannot be steered: if its pick would pair two members of
            # one VNF, or a live migration to it would not converge, use
            # another action for this server.
            if best is not None and state.joins_own_vnf(server, best):
                return None
            if best is not None and live and converge and not self._converges(server, source, best):
                return None
            return best
        # Upgraded hosts first (nothing moves twice), then the hosts upgraded
        # last. In each, first a target this host already sends to (its
        # migrations go one at a time: they never share that NIC), then one
        # no other host of the wave sends to (round robin), then any:
        # concurrent flows into one NIC share it, and a dirty guest may then
        # never converge.
        zone = az if keep_az else ""
        pools = [("up:" + zone, self._upgraded_pool(state, az))]
        if not (self._strict and kind == ActionKind.COLD_MIGRATE):
            pools.append(("later:" + zone, self._later_pool(state, zone, later)))
        # A cold migration of a server without HA is an outage as long as its
        # copy: it takes a NIC nobody else sends to, and keeps it quiet.
        outage = kind == ActionKind.COLD_MIGRATE and self.expected_outage(server, kind) > 0
        incoming, quiet_of = self._incoming, self._quiet

        def fits(cand: str) -> bool:
            return (
                cand not in in_wave
                and state.can_host(server, source, cand, live)
                and not state.joins_own_vnf(server, cand)
                and (not live or not converge or self._converges(server, source, cand))
            )

        def take(cand: str) -> str:
            incoming.setdefault(cand, source)
            if outage:
                quiet_of.setdefault(cand, source)
            return cand

        own = [h for h, src in incoming.items() if src == source]
        tiers = [(pool_key, pool, tier) for pool_key, pool in pools for tier in ("own", "free", "shared")]
        tiers += [(pool_key, pool, "any") for pool_key, pool in pools]
        for pool_key, pool, tier in tiers:
            if tier == "own":
                members = self._pool_sets.get(pool_key)
                if members is None or members[0] is not pool:
                    members = (pool, set(pool))
                    self._pool_sets[pool_key] = members
                for cand in own:
                    if cand in members[1] and fits(cand):
                        return take(cand)
                continue
            size = len(pool)
            start = self._next.get(pool_key, 0) % size if size else 0
            for i in range(size):
                cand = pool[(start + i) % size]
                claimed = incoming.get(cand, source)
                if tier == "free" and claimed != source:
                    continue
                if tier == "shared" and (quiet_of.get(cand, source) != source or (
                        live and converge and claimed != source
                        and not self._converges(server, source, cand, flows=2))):
                    # A dirty guest that would not converge over half a NIC
                    # waits for a target of its own (or the last resort).
                    continue
                if fits(cand):
                    self._next[pool_key] = start + i + 1
                    return take(cand)
        return None

    def _later_pool(self, state: CloudState, zone: str, later: list[str]) -> list[str]:
        # ``later`` is fixed for a whole wave: filter it once per zone.
        pool = self._later_cache.get(zone)
        if pool is None:
            pool = [h for h in later if not zone or state.hosts[h].az == zone]
            self._later_cache[zone] = pool
        return pool

    def _converges(self, server: Server, source: str, target: str, flows: int = 1) -> bool:
        """A live migration to ``target`` converges over the slower of the two NICs (shared by ``flows``)."""
        hosts = self.snapshot.host_by_name
        bandwidth = min(hosts[source].nic_bandwidth_mibps, hosts[target].nic_bandwidth_mibps) / flows
        return estimate_live_migration(server, bandwidth, self.timings).converges

    def _upgraded_pool(self, state: CloudState, az: str) -> list[str]:
        # The upgraded set only grows between waves: cache per zone and size.
        key = (az if self.options.keep_az else "", len(state.upgraded))
        pool = self._pool_cache.get(key)
        if pool is None:
            if not any(k[1] == key[1] for k in self._pool_cache):
                self._pool_cache.clear()
            hosts = self.hosts_of_az[az] if self.options.keep_az else list(state.hosts)
            pool = [h for h in hosts if h in state.upgraded]
            self._pool_cache[key] = pool
        return pool

    def _why(self, failures: list[str], strategy: str) -> list[str]:
        reasons = [m for zone in zone_capacities(self.snapshot, self.options) for m in zone.messages()]
        reasons += [z.message() + ": " + ", ".join(z.remedies)
                    for z in fragmentation(self.snapshot, self.options)]
        seen: set[str] = set()
        for failure in failures:
            if failure not in seen:
                seen.add(failure)
                reasons.append(failure)
        reasons = reasons[:20] or ["no host can be upgraded under the current limits"]
        if strategy != "optimized":
            reasons.append(
                f"{strategy} migrates first and leaves destinations to Nova's scheduler: the "
                "optimized strategy (VNF switchovers, steered destinations) may still find a plan"
            )
        return reasons


_MOVES = frozenset({ActionKind.LIVE_MIGRATE, ActionKind.COLD_MIGRATE})


class _NotUpgraded(Collection[str]):
    """Hosts the scheduler passes over: those of the wave and those not upgraded yet.

    Asked host by host (``in``): nothing is built per pick.
    """

    def __init__(self, hosts: Iterable[str], in_wave: set[str], upgraded: set[str]):
        self.hosts, self.in_wave, self.upgraded = hosts, in_wave, upgraded

    def __contains__(self, host: object) -> bool:
        return host in self.in_wave or host not in self.upgraded

    def __iter__(self) -> Iterator[str]:
        return (h for h in self.hosts if h in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _why_apart(next_hosts: list[str], kept_out: dict[str, str]) -> str:
    """Why the next wave's hosts did not join this one, most common reason first."""
    by_reason: dict[str, list[str]] = defaultdict(list)
    for h in next_hosts:
        by_reason[kept_out.get(h, "no room was left once this wave was drained")].append(h)
    ranked = sorted(by_reason.items(), key=lambda item: (-len(item[1]), item[0]))[:3]
    return "; ".join(
        f"{reason}: {', '.join(names[:3])}{f' and {len(names) - 3} more' if len(names) > 3 else ''}"
        for reason, names in ranked
    )
