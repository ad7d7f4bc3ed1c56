"""Expected durations: the planner's fast, deterministic view of time.

The simulator draws durations from distributions; the planner needs their
means to order hosts, to score candidate plans quickly and to compute the
lower bound. ``Timings`` holds those means; ``timings_from(params)`` reads
them from the simulator's parameters when it is given some.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from inventory.snapshot import Host, Server


@dataclass(frozen=True)
class Timings:
    """Mean durations (seconds) of a host's fixed steps and of migration."""

    disable_s: float = 5.0
    upgrade_s: float = 900.0
    reboot_s: float = 300.0
    verify_s: float = 60.0
    enable_s: float = 5.0
    # Nova's first allowed downtime (live_migration_downtime, 500 ms).
    downtime_s: float = 0.5
    resume_s: float = 0.1
    # Fixed cost of a migration (scheduling, claims, port binding).
    migration_overhead_s: float = 5.0
    cold_migration_overhead_s: float = 60.0
    # Disk copy bandwidth of a cold migration, MiB/s.
    cold_bandwidth_mibps: float = 400.0
    start_s: float = 30.0

    @property
    def host_fixed_s(self) -> float:
        """What every host costs once drained: upgrade, reboot, verify and the service toggles."""
        return self.disable_s + self.upgrade_s + self.reboot_s + self.verify_s + self.enable_s


def timings_from(params: Any) -> Timings:
    """Timings from any object with same-named attributes or ``*_mean`` attributes.

    The simulator's parameters name their distributions; for each field we
    take ``params.<name>`` if it is a number, else its ``mean`` if it has one.
    Anything missing keeps our default.
    """
    if params is None:
        return Timings()
    values: dict[str, float] = {}
    for f in fields(Timings):
        value = getattr(params, f.name, None)
        if value is None:
            value = getattr(params, f.name.removesuffix("_s") + "_mean_s", None)
        if value is not None and not isinstance(value, int | float):
            value = getattr(value, "mean", None)
            value = value() if callable(value) else value
        if isinstance(value, int | float):
            values[f.name] = float(value)
    return Timings(**values)


def memory_to_send_mib(server: Server) -> float:
    # An inventory that does not know the memory in use: assume all of it.
    return float(server.memory_used_mib or server.ram_mib)


@dataclass(frozen=True)
class MigrationEstimate:
    duration_s: float
    downtime_s: float
    sent_mib: float
    converges: bool


def estimate_live_migration(
    server: Server, bandwidth_mibps: float, timings: Timings = Timings()
) -> MigrationEstimate:
    """Pre-copy live migration at a constant bandwidth, as DESIGN.md describes it.

    Round 0 sends the memory in use; each later round sends what was dirtied
    during the previous one, at most the working set. It stops when the rest
    fits in the allowed downtime. Without convergence (dirty rate at or above
    the bandwidth) we assume Nova's downtime steps end it at the working set.
    """
    bandwidth = max(bandwidth_mibps, 1e-6)
    to_send = memory_to_send_mib(server)
    working_set = float(server.working_set_mib or to_send)
    sent = 0.0
    elapsed = timings.migration_overhead_s
    converges = server.dirty_rate_mibps < bandwidth
    for _ in range(30):
        round_s = to_send / bandwidth
        if round_s <= timings.downtime_s or not converges:
            break
        sent += to_send
        elapsed += round_s
        to_send = min(server.dirty_rate_mibps * round_s, working_set)
    # The last round runs with the server paused: that is the downtime.
    downtime = to_send / bandwidth + timings.resume_s
    return MigrationEstimate(
        duration_s=elapsed + to_send / bandwidth,
        downtime_s=downtime,
        sent_mib=sent + to_send,
        converges=converges,
    )


def estimate_cold_migration(server: Server, timings: Timings = Timings()) -> float:
    return (
        timings.cold_migration_overhead_s
        + server.disk_gib * 1024 / timings.cold_bandwidth_mibps
        + timings.start_s
    )


def migration_bandwidth(source: Host, target: Host | None) -> float:
    """A flow is limited by the slower NIC of its two ends."""
    if target is None:
        return source.nic_bandwidth_mibps
    return min(source.nic_bandwidth_mibps, target.nic_bandwidth_mibps)
