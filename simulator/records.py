"""Flat records of one run, and the run's result (cf. Ciw's data_record.py).

Every record is a named tuple: cheap to create by the tens of thousands,
ready for a table, a CSV or a Gantt chart (``time``..``end`` per host step,
per server migration with its ``downtime_s``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

# Event kinds.
WAVE = "wave"
SOAK = "soak"  # the plan's wait (and health check) before a wave
WINDOW_WAIT = "window-wait"  # a host waits for the next maintenance window to open
VNFM_WAIT = "vnfm-wait"  # a host waits for its VNF managers' replies (or their deadline)
RECOVERY_WAIT = "recovery-wait"  # a host waits out a VNF's recovery_time_s
DISABLE = "disable"
SWITCHOVER = "switchover"  # an active member handed over to its standby (VNF outage)
DRAIN = "drain"  # a standby or pool member taken out of service (no outage)
FAILOVER = "failover"  # an active member lost without a planned switchover
LIVE_MIGRATE = "live-migrate"
COLD_MIGRATE = "cold-migrate"
MIGRATION_FAILED = "migration-failed"
STOP = "stop"
UPGRADE = "upgrade"
UPGRADE_FAILED = "upgrade-failed"
ROLLBACK = "rollback"
REBOOT = "reboot"
VERIFY = "verify"
ENABLE = "enable"
START = "start"  # a stopped or parked server started again
VNF_OUTAGE = "vnf-outage"


class Event(NamedTuple):
    """Something that happened from ``time`` to ``end`` (equal for an instant)."""

    time: float
    end: float
    host: str
    server: str
    vnf: str
    kind: str
    detail: str = ""
    downtime_s: float = 0.0


class Failure(NamedTuple):
    """What failed and what the policy did about it."""

    time: float
    host: str
    server: str
    kind: str  # live-migration, cold-migration, upgrade
    reason: str
    action: str  # retry, cold-migrate, stop, rollback-host, rollback, halt


class SlaViolation(NamedTuple):
    """One outage event of a VNF longer than its budget."""

    vnf: str
    time: float
    outage_s: float
    budget_s: float


class Headroom(NamedTuple):
    """Free share of the whole cloud's capacity on hosts in service, from ``time`` on."""

    time: float
    ram_free_share: float
    vcpu_free_share: float


@dataclass
class RunResult:
    """Everything one simulated execution of a plan produced."""

    seed: int
    duration_s: float
    events: list[Event]
    server_downtime_s: dict[str, float]
    vnf_outage_s: dict[str, float]
    vnf_degraded_s: dict[str, float]
    vnf_worst_event_outage_s: dict[str, float]
    sla_violations: list[SlaViolation]
    capacity_headroom: list[Headroom]
    failures: list[Failure]
    migrations: int  # completed, live and cold
    live_migrations: int
    cold_migrations: int
    migrated_mib: float  # everything the links carried, retries included
    servers_moved_twice: list[str]
    # Servers found running on a host at its upgrade with no action for them in
    # the plan (they went there after the plan was made, e.g. a fallback put
    # them there): down for the whole upgrade, as the executor would leave them.
    servers_caught_by_upgrade: list[str] = field(default_factory=list)
    # Plan actions for servers that were no longer on that host when its turn came.
    actions_skipped: list[str] = field(default_factory=list)
    halted: bool = False  # the policy stopped the plan before its last wave
    hosts_upgraded: int = 0
    hosts_rolled_back: list[str] = field(default_factory=list)
    # Most live and cold migrations in flight at once across the cloud.
    most_moves_in_flight: int = 0
    # Maintenance windows (SimParams.windows): how many distinct windows hosts
    # started in, the wall-clock time spent waiting between them, and the most
    # a host ran past the end of the window it started in.
    windows_used: int = 0
    window_wait_s: float = 0.0
    window_overrun_s: float = 0.0
    # Time hosts waited for VNF managers' replies and for VNFs' recovery (summed over hosts).
    vnfm_wait_s: float = 0.0
    recovery_wait_s: float = 0.0

    @property
    def total_vnf_outage_s(self) -> float:
        return sum(self.vnf_outage_s.values())

    @property
    def worst_vnf_outage_s(self) -> float:
        return max(self.vnf_worst_event_outage_s.values(), default=0.0)

    @property
    def min_ram_headroom(self) -> float:
        return min((h.ram_free_share for h in self.capacity_headroom), default=1.0)

    def figures(self) -> dict[str, Any]:
        """The numbers a Monte Carlo summary aggregates (small: no events)."""
        return {
            "duration_s": self.duration_s,
            "total_vnf_outage_s": self.total_vnf_outage_s,
            "worst_vnf_outage_s": self.worst_vnf_outage_s,
            "total_server_downtime_s": sum(self.server_downtime_s.values()),
            "sla_violations": len(self.sla_violations),
            "failures": len(self.failures),
            "migrations": self.migrations,
            "servers_moved_twice": len(self.servers_moved_twice),
            "servers_caught_by_upgrade": len(self.servers_caught_by_upgrade),
            "min_ram_headroom": self.min_ram_headroom,
            "vnf_outage_s": self.vnf_outage_s,
            "vnf_degraded_s": self.vnf_degraded_s,
            "halted": self.halted,
            "windows_used": self.windows_used,
            "window_wait_s": self.window_wait_s,
            "vnfm_wait_s": self.vnfm_wait_s,
            "recovery_wait_s": self.recovery_wait_s,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "duration_s": self.duration_s,
            "events": [e._asdict() for e in self.events],
            "server_downtime_s": self.server_downtime_s,
            "vnf_outage_s": self.vnf_outage_s,
            "vnf_degraded_s": self.vnf_degraded_s,
            "vnf_worst_event_outage_s": self.vnf_worst_event_outage_s,
            "total_vnf_outage_s": self.total_vnf_outage_s,
            "worst_vnf_outage_s": self.worst_vnf_outage_s,
            "sla_violations": [v._asdict() for v in self.sla_violations],
            "capacity_headroom": [h._asdict() for h in self.capacity_headroom],
            "failures": [f._asdict() for f in self.failures],
            "migrations": self.migrations,
            "live_migrations": self.live_migrations,
            "cold_migrations": self.cold_migrations,
            "migrated_mib": self.migrated_mib,
            "servers_moved_twice": self.servers_moved_twice,
            "servers_caught_by_upgrade": self.servers_caught_by_upgrade,
            "actions_skipped": self.actions_skipped,
            "halted": self.halted,
            "hosts_upgraded": self.hosts_upgraded,
            "hosts_rolled_back": self.hosts_rolled_back,
            "most_moves_in_flight": self.most_moves_in_flight,
            "windows_used": self.windows_used,
            "window_wait_s": self.window_wait_s,
            "window_overrun_s": self.window_overrun_s,
            "vnfm_wait_s": self.vnfm_wait_s,
            "recovery_wait_s": self.recovery_wait_s,
        }
