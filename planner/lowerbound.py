"""The lower bound of an upgrade's duration, as DESIGN.md defines it.

The largest of: all bytes that must move / the aggregate migration
bandwidth; the longest single host's drain plus upgrade; the sum of host
slot times / the number of hosts that may be out at once. It depends on the
inventory and the operator's limits, not on a plan, so every strategy's plan
is judged against the same figure. Each host's drain is taken at its
cheapest: parked through its VNF's HA where that is allowed and quicker.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass

from domain.plan import ActionKind
from domain.snapshot import HaModel, Server, Snapshot
from planner.capacity import parkable
from planner.estimate import slot_s
from planner.options import PlanOptions
from planner.strategies.engine import hosts_to_upgrade
from planner.timing import (
    Timings,
    default_timings,
    estimate_cold_migration,
    estimate_live_migration,
)


@dataclass(frozen=True)
class LowerBound:
    """Seconds; ``value`` is the largest of the three terms."""

    transfer_s: float
    longest_host_s: float
    slots_s: float
    hosts_at_once: int
    must_move_mib: float

    @property
    def value(self) -> float:
        return max(self.transfer_s, self.longest_host_s, self.slots_s)

    def to_dict(self) -> dict[str, float]:
        return {**asdict(self), "value": self.value}


def _cheapest(
    snapshot: Snapshot, server: Server, options: PlanOptions, timings: Timings
) -> tuple[ActionKind, float, float]:
    """(action, seconds, MiB moved) of the quickest allowed way to clear one server."""
    host = snapshot.host_by_name[server.host]
    if server.status == "SHUTOFF" and options.allows(ActionKind.STAY):
        return ActionKind.STAY, 0.0, 0.0
    choices: list[tuple[float, float, ActionKind]] = []
    if parkable(snapshot, server, options):
        vnf = snapshot.vnf_of_server[server.name]
        if vnf.ha_model != HaModel.NONE:
            seconds = vnf.switchover_s if vnf.switchover_s > 0 else timings.switchover_s
            choices.append((seconds, 0.0, ActionKind.SWITCHOVER))
    if server.live_migratable and options.allows(ActionKind.LIVE_MIGRATE):
        est = estimate_live_migration(server, host.nic_bandwidth_mibps, timings)
        choices.append((est.duration_s, est.sent_mib, ActionKind.LIVE_MIGRATE))
    if options.allows(ActionKind.COLD_MIGRATE):
        cold = estimate_cold_migration(server, timings)
        choices.append((cold, server.disk_gib * 1024.0, ActionKind.COLD_MIGRATE))
    if options.allows(ActionKind.STOP_START):
        choices.append((timings.stop_s, 0.0, ActionKind.STOP_START))
    if not choices:
        return ActionKind.STAY, 0.0, 0.0
    seconds, mib, kind = min(choices)
    return kind, seconds, mib


def lower_bound(
    snapshot: Snapshot, options: PlanOptions | None = None, timings: Timings | None = None
) -> LowerBound:
    options = options or PlanOptions()
    timings = timings or default_timings()
    names = hosts_to_upgrade(snapshot)
    servers_by_host = snapshot.servers_by_host
    slots: list[float] = []
    moved = 0.0
    for name in names:
        parts: dict[ActionKind, list[float]] = defaultdict(list)
        for server in servers_by_host.get(name, ()):
            kind, seconds, mib = _cheapest(snapshot, server, options, timings)
            parts[kind].append(seconds)
            moved += mib
        moves = parts[ActionKind.LIVE_MIGRATE] + parts[ActionKind.COLD_MIGRATE]
        slots.append(
            slot_s(parts[ActionKind.SWITCHOVER], moves, parts[ActionKind.STOP_START], timings)
        )
    at_once = max(1, min(options.hosts_per_wave, len(names)))
    bandwidth = sum(h.nic_bandwidth_mibps for h in snapshot.hosts) / 2
    if options.concurrent_migrations:
        fastest = max((h.nic_bandwidth_mibps for h in snapshot.hosts), default=0.0)
        bandwidth = min(bandwidth, options.concurrent_migrations * fastest)
    return LowerBound(
        transfer_s=moved / bandwidth if bandwidth else 0.0,
        longest_host_s=max(slots, default=0.0),
        slots_s=sum(slots) / at_once,
        hosts_at_once=at_once,
        must_move_mib=moved,
    )
