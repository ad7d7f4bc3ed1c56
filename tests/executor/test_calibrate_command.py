"""``manage.py calibrate``: an execution's step records become a calibration file a simulation applies."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from executor import services
from executor.calibrations import _params_of, copy_seconds
from inventory.services import version_snapshot
from simulator.calibration import apply, load, save
from simulator.calibration_file import Calibration
from simulator.params import SimParams

# Measured seconds per step kind (the moves: see below).
TOOK = {"precheck": 0.5, "disable": 1.0, "switchover": 3.0, "drain": 0.2, "upgrade": 30.0,
        "verify": 5.0, "enable": 1.0, "restore": 7.0}


def finish_as_measured(execution, retried: str = "") -> None:
    """Every step done, one after the other, live migrations at half the model's bandwidth plus 2 s."""
    snapshot = version_snapshot(execution.plan.inventory_version)
    params = _params_of(execution)
    clock = 1000.0
    for step in execution.steps.order_by("index"):
        took = TOOK.get(step.kind, 0.5)
        data = dict(step.data or {})
        if step.kind == "move" and step.action == "live-migrate":
            took = 2.0 + copy_seconds(snapshot, step.server, step.source, step.target, params) / 0.5
            data["requests"] = 2 if step.key == retried else 1
            if step.key == retried:
                took += 60.0  # a failed attempt and its back-off
        elif step.kind == "move":
            took = 50.0
        step.state, step.started_at, step.finished_at, step.data = "done", clock, clock + took, data
        step.observed = {"host": step.target} if step.target else {}
        step.save()
        clock += took + 0.1


def calibrate(*args: str) -> str:
    out = io.StringIO()
    call_command("calibrate", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_an_executions_steps_become_the_simulations_durations(kit, tmp_path: Path):
    execution = services.start_execution(kit.approved(), kit.admin)
    moves = list(execution.steps.filter(kind="move", action="live-migrate").order_by("index"))
    finish_as_measured(execution, retried=moves[-1].key)
    path = tmp_path / "cal.json"
    text = calibrate(str(execution.pk), "-o", str(path))
    assert f"Calibration from executions {execution.pk}" in text
    got = load(str(path))
    # Three first-time live migrations of 900 and 1500 MiB guests: half the bandwidth, 2 s each
    # beyond the copy; the retried one is no sample.
    assert got.bandwidth_factor == pytest.approx(0.5, rel=1e-3)
    assert got.durations["migration_overhead_s"]["kind"] == "fixed"
    assert got.durations["migration_overhead_s"]["value"] == pytest.approx(2.0, abs=0.01)
    assert got.durations["upgrade_s"] == {"kind": "fixed", "value": 30.0}
    assert got.durations["reboot_s"] == {"kind": "fixed", "value": 0.0}  # in the upgrade step
    assert got.durations["verify_s"] == {"kind": "fixed", "value": 5.0}
    assert got.durations["cold_migration_overhead_s"] == {"kind": "fixed", "value": 50.0}
    assert (got.switchover_mibps, got.downtime_fixed_s) == (0.0, 0.0)
    params = apply(SimParams(), got)
    assert params.upgrade_s.mean == 30.0 and params.resume_s == SimParams().resume_s


def test_a_bench_base_keeps_its_downtime_figures_and_bad_input_is_refused(kit, tmp_path: Path):
    execution = services.start_execution(kit.approved(), kit.admin)
    finish_as_measured(execution)
    base = tmp_path / "bench.json"
    save(Calibration(0.8, 900.0, 0.003, 20, "bench/fidelity.py"), str(base))
    out = json.loads(calibrate(str(execution.pk), "-o", str(tmp_path / "c.json"), "--base", str(base),
                               "--json"))
    assert (out["format_version"], out["switchover_mibps"], out["downtime_fixed_s"]) == (2, 900.0, 0.003)
    assert out["bandwidth_factor"] == pytest.approx(0.4, rel=1e-3)
    assert out["source"] == f"executions {execution.pk} on bench/fidelity.py"

    with pytest.raises(CommandError, match="No execution 9999."):
        calibrate("9999", "-o", str(tmp_path / "x.json"))
    base.write_text("{}")
    with pytest.raises(CommandError, match=f"--base {base}: format_version: None"):
        calibrate(str(execution.pk), "-o", str(tmp_path / "x.json"), "--base", str(base))
    assert not (tmp_path / "x.json").exists()


def test_an_execution_with_nothing_finished_is_refused(kit, tmp_path: Path):
    execution = services.start_execution(kit.approved(), kit.admin)
    with pytest.raises(CommandError, match=f"Executions {execution.pk}: no finished step to fit from"):
        calibrate(str(execution.pk), "-o", str(tmp_path / "x.json"))
    assert not (tmp_path / "x.json").exists()
