"""A fast, deterministic estimate of a plan's duration (the search's default scorer).

Waves run one after another; a wave lasts as long as its slowest host. A
host's slot is its drain (its actions one after another: Nova allows one
outgoing live migration per host) plus the fixed upgrade, reboot and verify
steps. Two shared limits can stretch a wave's drain: a target's NIC shared
by the migrations it receives, and the cloud-wide limit of concurrent
migrations. The simulator replaces this estimate wherever real figures
matter; this one only has to rank candidate plans quickly.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from domain.plan import ActionKind, HostStep, Plan, ServerAction
from domain.snapshot import Snapshot
from planner.lowerbound import fixed_laws, fixed_steps_pmf
from planner.timing import (
    Timings,
    default_timings,
    estimate_cold_migration,
    estimate_live_migration,
    memory_to_send_mib,
    migration_bandwidth,
)


def action_time(snapshot: Snapshot, action: ServerAction, timings: Timings) -> float:
    """Seconds the host's drain spends on one action."""
    server = snapshot.server_by_name[action.server]
    source = snapshot.host_by_name[action.source]
    if action.kind == ActionKind.LIVE_MIGRATE:
        target = snapshot.host_by_name.get(action.target or "")
        bandwidth = migration_bandwidth(source, target)
        return estimate_live_migration(server, bandwidth, timings).duration_s
    if action.kind == ActionKind.COLD_MIGRATE:
        return estimate_cold_migration(server, timings)
    if action.kind == ActionKind.SWITCHOVER:
        vnf = snapshot.vnf_of_server.get(action.server)
        return vnf.switchover_s if vnf and vnf.switchover_s > 0 else timings.switchover_s
    if action.kind == ActionKind.STOP_START:
        return timings.stop_s
    return 0.0


def slot_s(switchovers: list[float], moves: list[float], stops: list[float], timings: Timings) -> float:
    """A host's whole slot, as the executor runs it.

    Switchovers run together, then the moves one after another (one
    outgoing migration per host) while stopped servers shut down; the parked
    and stopped servers start again together once the host is back.
    """
    drain = max(switchovers, default=0.0) + max(sum(moves), max(stops, default=0.0))
    restore = timings.start_s if switchovers or stops else 0.0
    return drain + timings.host_fixed_s + restore


def step_slot_s(snapshot: Snapshot, step: HostStep, timings: Timings) -> float:
    switchovers, moves, stops = [], [], []
    for a in step.actions:
        spent = action_time(snapshot, a, timings)
        if a.kind == ActionKind.SWITCHOVER:
            switchovers.append(spent)
        elif a.kind == ActionKind.STOP_START:
            stops.append(spent)
        elif a.kind != ActionKind.STAY:
            moves.append(spent)
    return slot_s(switchovers, moves, stops, timings)


# The wave clock's grid, seconds: fine enough for ranking plans, coarse enough to be quick.
CLOCK_STEP_S = 5


class WaveClock:
    """E[the slowest host of a wave]: each host drains, then draws its fixed steps from their laws.

    The fixed steps of every host follow the same laws, drawn apart; a wave
    of hosts with drains d_i lasts max_i(d_i + F_i) in expectation, more
    than the slowest mean slot (ten hosts of equal drain take about 230 s
    more than one). Computed on a grid of ``CLOCK_STEP_S``.
    """

    def __init__(self, grid: Sequence[tuple[int, float]], step: int = CLOCK_STEP_S):
        buckets: dict[int, float] = defaultdict(float)
        for value, p in grid:
            buckets[round(value / step)] += p
        low, high = min(buckets), max(buckets)
        cdf, running = [], 0.0
        for b in range(low, high + 1):
            running += buckets.get(b, 0.0)
            cdf.append(min(1.0, running))
        # The far tail (beyond 1 - 1e-6) changes nothing a ranking sees.
        while len(cdf) > 1 and cdf[-2] >= 1.0 - 1e-6:
            cdf.pop()
        cdf[-1] = 1.0
        self.step, self.low, self.cdf = step, low, cdf

    def expected_max(self, drains: Sequence[float]) -> float:
        if not drains:
            return 0.0
        step, cdf = self.step, self.cdf
        shifts = Counter(round(d / step) for d in drains)
        top = max(shifts)
        width = len(cdf)
        # Y (in steps, less low) is at least top (the slowest drainer's least
        # steps) and below top + width; E[Y] = top + sum over j of P(Y > j).
        below = 0.0
        for j in range(top, top + width - 1):
            p = 1.0
            for shift, count in shifts.items():
                i = j - shift
                if i < 0:
                    p = 0.0
                    break
                if i < width - 1:
                    p *= cdf[i] ** count if count > 1 else cdf[i]
            below += 1.0 - p
        return (self.low + top + below) * step


@lru_cache(maxsize=8)
def _clock(laws: tuple[Any, ...]) -> WaveClock | None:
    grid = fixed_steps_pmf(laws)
    return WaveClock(grid) if grid else None


def wave_clock(params: Any) -> WaveClock | None:
    """The clock of the simulator's ``params`` (None when they hold no laws)."""
    return _clock(fixed_laws(params)) if params is not None else None


def estimate_duration(
    snapshot: Snapshot, plan: Plan, timings: Timings | None = None, concurrent_migrations: int = 0,
    clock: WaveClock | None = None,
) -> float:
    """Expected seconds from the first disable to the last enable.

    With a ``clock`` (the laws of the fixed steps), a wave takes the
    expected slowest of its hosts' drains plus fixed steps; without, the
    slowest mean slot.
    """
    timings = timings or default_timings()
    hosts = snapshot.host_by_name
    total = 0.0
    fixed = timings.host_fixed_s
    recovery = _Recovery(snapshot, timings) if any(v.recovery_time_s > 0 for v in snapshot.vnfs) else None
    for wave in plan.waves:
        slowest = 0.0
        migration_s = 0.0
        received: dict[str, float] = defaultdict(float)
        drains = []
        for step in wave.hosts:
            slot = step_slot_s(snapshot, step, timings)
            if recovery is not None:
                slot += recovery.host(step, total, slot)
            slowest = max(slowest, slot)
            drains.append(slot - fixed)
            for action in step.actions:
                if action.kind == ActionKind.LIVE_MIGRATE:
                    migration_s += action_time(snapshot, action, timings)
                    if action.target:
                        server = snapshot.server_by_name[action.server]
                        received[action.target] += memory_to_send_mib(server)
        # A target's NIC is shared by everything it receives in the wave.
        for target, mib in received.items():
            slowest = max(slowest, mib / hosts[target].nic_bandwidth_mibps + timings.host_fixed_s)
        if concurrent_migrations:
            slowest = max(slowest, migration_s / concurrent_migrations + timings.host_fixed_s)
        if clock is not None:
            slowest = max(slowest, clock.expected_max(drains))
        if recovery is not None:
            recovery.wave_done()
        total += slowest
    return total


class _Recovery:
    """Each VNF's ``recovery_time_s``, as the simulator waits it out (simulator/engine.py).

    A host goes on only ``recovery_time_s`` after the last member of each of
    its VNFs came back (a migrated member when its migration ends, a parked
    or stopped one when its host is back). Members follow the plan's targets;
    one left to the scheduler is no longer counted anywhere.
    """

    def __init__(self, snapshot: Snapshot, timings: Timings):
        self.snapshot, self.timings = snapshot, timings
        self.vnf_of = {s: v for s, v in snapshot.vnf_of_server.items() if v.recovery_time_s > 0}
        self.where = {s.name: s.host for s in snapshot.servers if s.name in self.vnf_of}
        self.on_host: dict[str, set[str]] = defaultdict(set)
        for name, at in self.where.items():
            self.on_host[at].add(name)
        self.back: dict[str, float] = {}
        self._pending: dict[str, float] = {}
        self._moved: dict[str, str | None] = {}

    def host(self, step: HostStep, start: float, slot: float) -> float:
        """Seconds ``step``'s host waits at ``start`` (its wave's start); notes who comes back when."""
        vnf_of, back = self.vnf_of, self.back
        here = {vnf_of[s].name: vnf_of[s].recovery_time_s for s in self.on_host.get(step.host, ())}
        wait = max((back[v] + r - start for v, r in here.items() if v in back), default=0.0)
        wait = max(0.0, wait)
        began = start + wait
        switched = max((action_time(self.snapshot, a, self.timings) for a in step.actions
                        if a.kind == ActionKind.SWITCHOVER), default=0.0)
        elapsed = switched
        for a in step.actions:
            if a.kind in (ActionKind.LIVE_MIGRATE, ActionKind.COLD_MIGRATE):
                elapsed += action_time(self.snapshot, a, self.timings)
                at = began + elapsed
                self._moved[a.server] = a.target
            elif a.kind in (ActionKind.SWITCHOVER, ActionKind.STOP_START):
                at = began + slot
            else:
                continue
            vnf = vnf_of.get(a.server)
            if vnf is not None:
                self._pending[vnf.name] = max(self._pending.get(vnf.name, 0.0), at)
        return wait

    def wave_done(self) -> None:
        """The wave's returns count from the next wave on (its hosts started together)."""
        for vnf, at in self._pending.items():
            self.back[vnf] = max(self.back.get(vnf, 0.0), at)
        for server, target in self._moved.items():
            if server in self.where:
                self.on_host[self.where[server]].discard(server)
                if target is None:
                    del self.where[server]
                else:
                    self.where[server] = target
                    self.on_host[target].add(server)
        self._pending.clear()
        self._moved.clear()
