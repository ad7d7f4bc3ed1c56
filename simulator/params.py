"""Every parameter of a simulation, in one frozen object.

The live-migration knobs mirror Nova's ``[libvirt]`` options (names and
defaults from nova/conf/libvirt.py and ``[DEFAULT] max_concurrent_live_migrations``),
so an operator can copy them from nova.conf. Durations are distributions
(``simulator.distributions``); the planner reads their ``mean`` through
``planner.timing.timings_from``, hence the ``*_s`` names it looks for.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from domain import nova
from simulator.distributions import (
    Distribution,
    Fixed,
    LogNormal,
    Triangular,
    Uniform,
    dist_from_dict,
)
from simulator.migration import (
    CHECK_INTERVAL_S,
    CONTINUOUS,
    CONVERGENCE_CHECKS,
    POSTCOPY_NOVA,
    POSTCOPY_SWITCHES,
)

TIMEOUT_ACTIONS = nova.TIMEOUT_ACTIONS
# What to do with a server whose live migration failed for good.
MIGRATION_FALLBACKS = ("cold-migrate", "stop", "rollback-host")
# What to do with a host whose upgrade failed for good.
UPGRADE_FAILURE_ACTIONS = ("rollback", "halt")


@dataclass(frozen=True)
class SimParams:
    """Parameters of a run: Nova's migration settings, network, durations, failures, policy."""

    # --- Nova [libvirt] live-migration settings (nova/conf/libvirt.py defaults).
    live_migration_downtime_ms: int = nova.LIVE_MIGRATION_DOWNTIME_MS
    downtime_steps: int = nova.LIVE_MIGRATION_DOWNTIME_STEPS
    downtime_delay_s: int = nova.LIVE_MIGRATION_DOWNTIME_DELAY_S
    # 0 disables the timeout, as in Nova.
    completion_timeout_s_per_gib: int = nova.LIVE_MIGRATION_COMPLETION_TIMEOUT_S_PER_GIB
    timeout_action: str = "abort"  # live_migration_timeout_action
    permit_post_copy: bool = False
    # When a permitted post-copy starts: as Nova's monitor does ("nova"), or
    # only at the completion timeout with force_complete ("timeout").
    post_copy_switch: str = POSTCOPY_NOVA
    permit_auto_converge: bool = False
    max_concurrent_live_migrations: int = nova.MAX_CONCURRENT_LIVE_MIGRATIONS  # outgoing, per host
    # Nova's live_migration_bandwidth: a per-migration cap, MiB/s (0: none).
    migration_bandwidth_cap_mibps: float = 0.0
    # True when servers have local disks that a live migration must copy too.
    block_migration: bool = False
    # When the hypervisor decides to pause the guest: as QEMU does, looking as
    # data goes (every migration_check_interval_s, its rate-limit window), so
    # a round's unsent tail goes into the stop-and-copy; or "round-end", the
    # textbook model (docs/simulator.md).
    migration_convergence: str = CONTINUOUS
    migration_check_interval_s: float = CHECK_INTERVAL_S

    # --- Network.
    # Aggregate bandwidth of the fabric shared by every migration (None: the
    # fabric is never the bottleneck, only the hosts' NICs are).
    fabric_bandwidth_mibps: float | None = None
    # Multiplies every NIC's migration bandwidth (what-if: "with 25 GbE").
    bandwidth_factor: float = 1.0
    # Disk-bound copy rate of a cold migration, MiB/s.
    cold_bandwidth_mibps: float = 400.0
    # For hosts whose inventory gives no NIC bandwidth (0): 10 GbE.
    default_nic_bandwidth_mibps: float = 1192.0

    # --- Durations, seconds.
    disable_s: Distribution = field(default_factory=lambda: Fixed(5.0))
    upgrade_s: Distribution = field(default_factory=lambda: Triangular(600.0, 850.0, 1250.0))
    reboot_s: Distribution = field(default_factory=lambda: LogNormal(280.0, 0.2, cap=1200.0))
    verify_s: Distribution = field(default_factory=lambda: Uniform(40.0, 80.0))
    enable_s: Distribution = field(default_factory=lambda: Fixed(5.0))
    # A VNF switchover lasts vnf.switchover_s times this factor; for a VNF
    # that does not say (switchover_s == 0), switchover_s below is used.
    switchover_scale: Distribution = field(default_factory=lambda: Fixed(1.0))
    switchover_s: Distribution = field(default_factory=lambda: Uniform(1.0, 3.0))
    # Scheduling, claims and port binding before a migration's copy starts.
    migration_overhead_s: Distribution = field(default_factory=lambda: Uniform(3.0, 7.0))
    cold_migration_overhead_s: Distribution = field(default_factory=lambda: Uniform(40.0, 80.0))
    # Guest resume on the destination, added to a live migration's downtime.
    resume_s: Distribution = field(default_factory=lambda: Uniform(0.05, 0.15))
    stop_s: Distribution = field(default_factory=lambda: Uniform(5.0, 15.0))
    start_s: Distribution = field(default_factory=lambda: Uniform(20.0, 40.0))
    rollback_s: Distribution = field(default_factory=lambda: Triangular(300.0, 600.0, 1200.0))

    # --- Failures (probabilities per attempt).
    live_migration_failure_p: float = 0.0
    cold_migration_failure_p: float = 0.0
    upgrade_failure_p: float = 0.0

    # --- Failure policy.
    migration_retries: int = 1  # further live attempts after a failed one
    migration_fallback: str = "cold-migrate"
    upgrade_retries: int = 0
    upgrade_failure_action: str = "rollback"  # roll the host back, or also halt the plan
    # A migration that can never finish (timeout disabled, never converges)
    # is given up after this long, as an operator would.
    stuck_migration_limit_s: float = 6 * 3600.0
    # The plan's soaks (planner.options.PlanOptions.soak_before): the wait
    # before the second wave (after a canary) and before each later one.
    canary_soak_s: float = 0.0
    soak_s: float = 0.0

    # --- The VNF managers (docs/vnfm.md). Before a host holding members of a
    # VNF that has one, the executor notifies it and goes on at its reply or at
    # the deadline, whichever comes first: the VNF's ``lead_time_s`` when it
    # has one, else ``vnfm_reply_deadline_s`` (the policy's). A VNF with a
    # ``lead_time_s`` has a VNF manager; ``vnfm`` says every VNF has one (an
    # execution configured with a VNF manager asks it about every VNF).
    vnfm: bool = False
    vnfm_reply_s: Distribution = field(default_factory=lambda: Uniform(5.0, 30.0))
    vnfm_reply_deadline_s: float = 300.0

    # --- Maintenance windows: the times a host may start, as open intervals
    # ``(start, end)`` in seconds from the run's start, in order (from
    # ``planner.windows.Schedule.intervals``); empty: any time. A host starts
    # only inside one and is finished past its end, as the executor does.
    windows: tuple[tuple[float, float], ...] = ()

    def __post_init__(self) -> None:
        if self.live_migration_downtime_ms < nova.MIN_DOWNTIME_MS:
            raise ValueError(f"live_migration_downtime_ms: Nova's minimum is {nova.MIN_DOWNTIME_MS}")
        if self.downtime_steps < nova.MIN_DOWNTIME_STEPS:
            raise ValueError(f"downtime_steps: Nova's minimum is {nova.MIN_DOWNTIME_STEPS}")
        if self.downtime_delay_s < nova.MIN_DOWNTIME_DELAY_S:
            raise ValueError(f"downtime_delay_s: Nova's minimum is {nova.MIN_DOWNTIME_DELAY_S}")
        if self.completion_timeout_s_per_gib < 0:
            raise ValueError("completion_timeout_s_per_gib cannot be negative")
        if self.timeout_action not in TIMEOUT_ACTIONS:
            raise ValueError(f"timeout_action: one of {TIMEOUT_ACTIONS}")
        if self.post_copy_switch not in POSTCOPY_SWITCHES:
            raise ValueError(f"post_copy_switch: one of {POSTCOPY_SWITCHES}")
        if self.migration_convergence not in CONVERGENCE_CHECKS:
            raise ValueError(f"migration_convergence: one of {CONVERGENCE_CHECKS}")
        if not 0.0 <= self.migration_check_interval_s <= 10.0:
            raise ValueError("migration_check_interval_s: 0 to 10 seconds")
        if self.max_concurrent_live_migrations < 1:
            raise ValueError("max_concurrent_live_migrations must be at least 1")
        if self.bandwidth_factor <= 0 or self.cold_bandwidth_mibps <= 0 or self.default_nic_bandwidth_mibps <= 0:
            raise ValueError("bandwidths must be positive")
        if self.fabric_bandwidth_mibps is not None and self.fabric_bandwidth_mibps <= 0:
            raise ValueError("fabric_bandwidth_mibps must be positive (or None)")
        for name in ("live_migration_failure_p", "cold_migration_failure_p", "upgrade_failure_p"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} is a probability: 0..1")
        if self.migration_retries < 0 or self.upgrade_retries < 0:
            raise ValueError("retry counts cannot be negative")
        if self.migration_fallback not in MIGRATION_FALLBACKS:
            raise ValueError(f"migration_fallback: one of {MIGRATION_FALLBACKS}")
        if self.upgrade_failure_action not in UPGRADE_FAILURE_ACTIONS:
            raise ValueError(f"upgrade_failure_action: one of {UPGRADE_FAILURE_ACTIONS}")
        if self.canary_soak_s < 0 or self.soak_s < 0:
            raise ValueError("soaks cannot be negative")
        if self.vnfm_reply_deadline_s < 0:
            raise ValueError("vnfm_reply_deadline_s cannot be negative")
        windows = tuple((float(a), float(b)) for a, b in self.windows)
        if any(not a < b for a, b in windows) or any(
                b1 > a2 for (_, b1), (a2, _) in zip(windows, windows[1:], strict=False)):
            raise ValueError("windows: (start, end) pairs with start < end, in order, "
                             "not overlapping")
        object.__setattr__(self, "windows", windows)

    @property
    def downtime_s(self) -> float:
        """Nova's maximum allowed downtime in seconds (what planner.timing reads)."""
        return self.live_migration_downtime_ms / 1000.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: distributions become ``{"kind": ..., ...}`` mappings."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = value.to_dict() if hasattr(value, "to_dict") else value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SimParams:
        """Build from a (partial) mapping, e.g. a web form or JSON; missing keys keep defaults.

        Raises ValueError naming the offending key, so a form can show it.
        """
        known = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ValueError(f"unknown simulation parameters: {', '.join(unknown)}")
        defaults = cls()
        kwargs: dict[str, Any] = {}
        for name, value in data.items():
            default = getattr(defaults, name)
            try:
                kwargs[name] = _coerce(default, value, name)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{name}: {exc}") from exc
        return cls(**kwargs)


def _coerce(default: Any, value: Any, name: str) -> Any:
    if isinstance(default, Fixed | Uniform | Triangular | LogNormal):
        return dist_from_dict(value)
    if name == "windows":
        if isinstance(value, str) or not all(len(pair) == 2 for pair in value):
            raise ValueError("a list of [start, end] pairs in seconds")
        return tuple((float(a), float(b)) for a, b in value)
    if name == "fabric_bandwidth_mibps":
        return None if value in (None, "", 0) else float(value)
    if isinstance(default, bool):
        if isinstance(value, str):
            if value.lower() in ("1", "true", "yes", "on"):
                return True
            if value.lower() in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(f"not a boolean: {value!r}")
        return bool(value)
    if isinstance(default, int):
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(f"not an integer: {value!r}")
        return int(value)
    if isinstance(default, float):
        return float(value)
    return str(value)
