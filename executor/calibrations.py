"""A calibration file fitted from executions' step records (``manage.py calibrate``).

Each finished step of the executions gives a sample of the simulator
duration it stands for (``executor.report.CALIBRATES``); each planned live
migration that Nova completed at its first request gives its wall time
beside the copy time the migration model computes for that server on that
link from the plan's inventory version (memory in use, dirty rate, the
slower NIC of the two hosts). ``simulator.calibration_executions.fit`` does
the rest. The executor's upgrade step covers the upgrade and the reboot, so
a fitted ``upgrade_s`` comes with a ``reboot_s`` of 0.
"""

from __future__ import annotations

from collections.abc import Iterable

from domain.snapshot import Snapshot
from executor.models import Execution
from executor.report import CALIBRATES
from executor.reports import simulation_of
from inventory.services import version_snapshot
from simulator.calibration_executions import MigrationSample, fit
from simulator.calibration_file import Calibration
from simulator.migration import MigrationSpec, migrate
from simulator.params import SimParams


def copy_seconds(snapshot: Snapshot, server: str, source: str, target: str, params: SimParams) -> float | None:
    """The model's copy time of one live migration alone on its link (no overhead); None if unknown."""
    hosts = {h.name: h for h in snapshot.hosts}
    info = next((s for s in snapshot.servers if s.name == server), None)
    if info is None or source not in hosts:
        return None
    nics = [hosts[name].nic_bandwidth_mibps or params.default_nic_bandwidth_mibps
            for name in (source, target) if name in hosts]
    spec = MigrationSpec.for_nova(
        float(info.memory_used_mib or info.ram_mib), info.dirty_rate_mibps, float(info.working_set_mib),
        float(info.ram_mib), (), params.live_migration_downtime_ms, params.downtime_steps,
        params.downtime_delay_s, params.completion_timeout_s_per_gib,
        convergence=params.migration_convergence, check_interval_s=params.migration_check_interval_s,
    )
    result = migrate(spec, min(nics), params.resume_s.mean)
    return result.total_s if result.completed else None


def _params_of(execution: Execution) -> SimParams:
    """The Nova settings the plan was simulated with (the bandwidth as the inventory says)."""
    simulation = simulation_of(execution)
    data = dict((simulation.params or {}) if simulation is not None else {})
    data.pop("bandwidth_factor", None)
    try:
        return SimParams.from_dict(data)
    except ValueError:
        return SimParams()


def samples(executions: Iterable[Execution]) -> tuple[dict[str, list[float]], list[MigrationSample]]:
    durations: dict[str, list[float]] = {}
    migrations: list[MigrationSample] = []
    for execution in executions:
        snapshot = version_snapshot(execution.plan.inventory_version)
        params = _params_of(execution)
        for step in execution.steps.filter(state="done").order_by("index"):
            if step.started_at is None or step.finished_at is None:
                continue
            wall = step.finished_at - step.started_at
            action = step.action if step.kind in ("switchover", "move", "restore") else ""
            if (step.kind, action) == ("move", "live-migrate"):
                # A retried migration's time holds failed attempts and back-off: not a sample.
                if int((step.data or {}).get("requests", 0)) != 1:
                    continue
                dest = (step.observed or {}).get("host") or step.target
                copy = copy_seconds(snapshot, step.server, step.source or step.host, dest, params)
                if copy is not None:
                    migrations.append(MigrationSample(copy_s=copy, wall_s=wall))
                continue
            name = CALIBRATES.get((step.kind, action))
            if name:
                durations.setdefault(name, []).append(wall)
    if durations.get("upgrade_s"):
        durations["reboot_s"] = [0.0]
    return durations, migrations


def fit_executions(executions: list[Execution], base: Calibration | None = None) -> Calibration:
    """The calibration of these executions (ValueError if none has a finished step)."""
    durations, migrations = samples(executions)
    source = "executions " + ", ".join(str(e.pk) for e in executions)
    return fit(durations, migrations, source=source, base=base)
