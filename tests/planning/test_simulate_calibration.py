"""``manage.py simulate --calibration``: fitted figures applied to a stored simulation, and kept with it."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from planner.models import Simulation
from simulator.calibration import Calibration, save

pytestmark = pytest.mark.django_db

def _run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_a_calibrated_simulation_records_the_figures_it_ran_with(lab_cloud, role_users, tmp_path: Path):
    path = tmp_path / "calibration.json"
    save(Calibration(bandwidth_factor=0.8, switchover_mibps=1000.0, downtime_fixed_s=0.02, points=30,
                     source="bench/fidelity.py"), str(path))
    plan_id = json.loads(_run("plan", "--strategy", "serial", "--user", "planner-1", "--json"))["id"]
    result = json.loads(_run("simulate", str(plan_id), "--runs", "2", "--user", "planner-1",
                             "--params", '{"bandwidth_factor": 0.5}', "--calibration", str(path), "--json"))
    simulation = Simulation.objects.get(pk=result["simulation"])
    assert simulation.params["bandwidth_factor"] == pytest.approx(0.4)
    assert simulation.params["resume_s"] == {"kind": "fixed", "value": 0.02}
    assert result["summary"]["runs"] == 2


def test_a_broken_calibration_file_is_refused_by_name(lab_cloud, role_users, tmp_path: Path):
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps({"format_version": 9}))
    plan_id = json.loads(_run("plan", "--strategy", "serial", "--user", "planner-1", "--json"))["id"]
    before = Simulation.objects.count()
    with pytest.raises(CommandError, match=f"--calibration {path}: format_version: 9"):
        _run("simulate", str(plan_id), "--calibration", str(path), "--user", "planner-1")
    assert Simulation.objects.count() == before
