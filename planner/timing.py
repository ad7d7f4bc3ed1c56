"""Expected durations: the planner's fast, deterministic view of time.

The simulator draws durations from distributions; the planner needs their
means to order hosts, to score candidate plans quickly and to compute the
lower bound. Live migration uses the simulator's own closed-form pre-copy
model (``simulator.migration``, pure like this module). ``Timings`` holds those means; ``timings_from(params)`` reads
them from the simulator's parameters when it is given some.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any

from domain import nova
from domain.snapshot import Host, Server
from simulator.migration import MigrationSpec, migrate


@dataclass(frozen=True)
class Timings:
    """Mean durations (seconds) of a host's fixed steps and of migration."""

    disable_s: float = 5.0
    upgrade_s: float = 900.0
    reboot_s: float = 300.0
    verify_s: float = 60.0
    enable_s: float = 5.0
    # Nova's first allowed downtime (live_migration_downtime).
    downtime_s: float = nova.LIVE_MIGRATION_DOWNTIME_MS / 1000.0
    resume_s: float = 0.1
    # Fixed cost of a migration (scheduling, claims, port binding).
    migration_overhead_s: float = 5.0
    cold_migration_overhead_s: float = 60.0
    # Disk copy bandwidth of a cold migration, MiB/s.
    cold_bandwidth_mibps: float = 400.0
    start_s: float = 30.0
    stop_s: float = 10.0
    # Nova's [libvirt] live-migration knobs (as the simulator's parameters name them).
    downtime_steps: float = nova.LIVE_MIGRATION_DOWNTIME_STEPS
    downtime_delay_s: float = nova.LIVE_MIGRATION_DOWNTIME_DELAY_S
    completion_timeout_s_per_gib: float = nova.LIVE_MIGRATION_COMPLETION_TIMEOUT_S_PER_GIB
    # A VNF switchover or drain that the VNF does not time itself.
    switchover_s: float = 2.0

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
        if isinstance(value, int | float) and not isinstance(value, bool):
            values[f.name] = float(value)
    downtime_ms = getattr(params, "live_migration_downtime_ms", None)
    if isinstance(downtime_ms, int | float):
        values["downtime_s"] = downtime_ms / 1000.0
    return Timings(**values)


@lru_cache(maxsize=1)
def default_timings() -> Timings:
    """The means of the simulator's default parameters: plans and figures agree by default."""
    from simulator.params import SimParams

    return timings_from(SimParams())


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
    """Pre-copy live migration alone on a link of constant bandwidth.

    The closed-form model of ``simulator.migration`` (Nova's downtime steps
    and completion timeout included), so that the planner's ranking and the
    simulator agree. A migration that does not complete is charged its time
    to the timeout plus a cold migration (the simulator's default fallback),
    and the cold migration's time as downtime.
    """
    key = (
        server.ram_mib,
        server.memory_used_mib,
        server.dirty_rate_mibps,
        server.working_set_mib,
        bandwidth_mibps,
        timings,
    )
    cached = _LIVE_CACHE.get(key)
    if cached is not None:
        return cached
    spec = MigrationSpec.for_nova(
        memory_to_send_mib(server),
        server.dirty_rate_mibps,
        float(server.working_set_mib),
        float(server.ram_mib),
        (),
        int(timings.downtime_s * 1000),
        int(timings.downtime_steps),
        int(timings.downtime_delay_s),
        int(timings.completion_timeout_s_per_gib),
    )
    result = migrate(spec, max(bandwidth_mibps, 1e-6), timings.resume_s)
    if result.completed and math.isfinite(result.total_s):
        estimate = MigrationEstimate(
            duration_s=timings.migration_overhead_s + result.total_s,
            downtime_s=result.downtime_s,
            sent_mib=result.sent_mib,
            converges=True,
        )
    else:
        cold = estimate_cold_migration(server, timings)
        spent = result.total_s if math.isfinite(result.total_s) else spec.timeout_s
        estimate = MigrationEstimate(
            duration_s=timings.migration_overhead_s + spent + cold,
            downtime_s=cold,
            sent_mib=result.sent_mib + server.disk_gib * 1024.0,
            converges=False,
        )
    if len(_LIVE_CACHE) > 100_000:
        _LIVE_CACHE.clear()
    _LIVE_CACHE[key] = estimate
    return estimate


_LIVE_CACHE: dict[tuple, MigrationEstimate] = {}


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
