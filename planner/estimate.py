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

from collections import defaultdict

from domain.plan import ActionKind, HostStep, Plan, ServerAction
from domain.snapshot import Snapshot
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


def estimate_duration(
    snapshot: Snapshot, plan: Plan, timings: Timings | None = None, concurrent_migrations: int = 0
) -> float:
    """Expected seconds from the first disable to the last enable."""
    timings = timings or default_timings()
    hosts = snapshot.host_by_name
    total = 0.0
    for wave in plan.waves:
        slowest = 0.0
        migration_s = 0.0
        received: dict[str, float] = defaultdict(float)
        for step in wave.hosts:
            slowest = max(slowest, step_slot_s(snapshot, step, timings))
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
        total += slowest
    return total
