"""Fitting step durations and the migrations' bandwidth from executions, and the file that carries them."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from simulator.calibration import apply, overrides
from simulator.calibration_executions import MigrationSample, duration, fit, migration_fit
from simulator.calibration_file import Calibration, load, save
from simulator.distributions import Fixed, LogNormal, Uniform
from simulator.params import SimParams


def test_one_sample_is_fixed_and_several_a_lognormal_that_one_stall_does_not_move() -> None:
    assert duration([12.5]) == {"kind": "fixed", "value": 12.5}
    got = duration([10.0, 10.0, 20.0, 10.0, 300.0])
    # Median 10 s; the logs' deviations from it are 0, 0, ln 2, 0, ln 30: MAD 0.
    assert got == {"kind": "lognormal", "median": 10.0, "sigma": 0.0, "cap": 600.0}
    spread = duration([8.0, 10.0, 12.5])
    assert spread["median"] == 10.0
    assert spread["sigma"] == pytest.approx(1.4826 * math.log(1.25), abs=1e-4)


def test_copies_of_different_sizes_give_the_bandwidth_and_the_overhead() -> None:
    # Wall = 2 s of overhead + the copy at half the model's bandwidth.
    samples = [MigrationSample(copy, 2.0 + copy / 0.5) for copy in (1.0, 2.0, 4.0, 8.0)]
    factor, overheads = migration_fit(samples)
    assert factor == pytest.approx(0.5)
    assert overheads == pytest.approx([2.0, 2.0, 2.0, 2.0])


def test_copies_of_one_size_leave_the_bandwidth_alone() -> None:
    samples = [MigrationSample(1.0, wall) for wall in (3.0, 3.5, 4.0)]
    factor, overheads = migration_fit(samples)
    assert factor is None
    assert overheads == [2.0, 2.5, 3.0]
    # Faster than the model's bandwidth allows, overhead or not: the bandwidth was higher.
    factor, overheads = migration_fit([MigrationSample(4.0, 1.0), MigrationSample(4.0, 1.0)])
    assert (factor, overheads) == (4.0, [0.0, 0.0])


def test_a_fit_from_executions_keeps_a_benchs_downtime_figures() -> None:
    bench = Calibration(0.9, 800.0, 0.004, 30, "bench/fidelity.py")
    got = fit({"upgrade_s": [100.0], "verify_s": [4.0, 6.0]},
              [MigrationSample(c, 1.0 + c) for c in (1.0, 2.0, 4.0)], source="executions 7", base=bench)
    assert (got.bandwidth_factor, got.switchover_mibps, got.downtime_fixed_s) == (0.9, 800.0, 0.004)
    assert got.source == "executions 7 on bench/fidelity.py"
    assert got.durations["upgrade_s"] == {"kind": "fixed", "value": 100.0}
    assert got.durations["migration_overhead_s"] == {"kind": "fixed", "value": 1.0}
    assert got.points == 6
    with pytest.raises(ValueError, match="no finished step"):
        fit({}, [])


def test_applying_it_sets_the_durations_and_leaves_the_unmeasured_resume_time() -> None:
    calibration = fit({"upgrade_s": [100.0], "reboot_s": [0.0]},
                      [MigrationSample(c, 2.0 + 2 * c) for c in (1.0, 2.0, 4.0)])
    params = apply(SimParams(bandwidth_factor=2.0), calibration)
    assert params.upgrade_s == Fixed(100.0)
    assert params.reboot_s == Fixed(0.0)
    assert params.migration_overhead_s == Fixed(2.0)
    assert params.bandwidth_factor == pytest.approx(1.0)
    assert params.resume_s == SimParams().resume_s  # executions see no downtime
    recorded = overrides(calibration, {"verify_s": 3})
    assert recorded["upgrade_s"] == {"kind": "fixed", "value": 100.0}
    assert recorded["verify_s"] == 3 and "resume_s" not in recorded
    assert SimParams.from_dict(recorded).upgrade_s == Fixed(100.0)


def test_the_file_carries_durations_and_a_format_1_file_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "cal.json"
    calibration = fit({"upgrade_s": [90.0, 110.0]}, [])
    save(calibration, str(path))
    data = json.loads(path.read_text())
    assert data["format_version"] == 2
    assert load(str(path)) == calibration
    assert isinstance(apply(SimParams(), load(str(path))).upgrade_s, LogNormal)
    old = {"format_version": 1, "bandwidth_factor": 0.9, "switchover_mibps": 500.0,
           "downtime_fixed_s": 0.01, "points": 3, "source": "bench"}
    assert Calibration.from_dict(old).durations == {}
    for change, message in [
        ({"durations": {"boot_s": 3}}, "durations.boot_s: not a duration of the simulation"),
        ({"durations": {"bandwidth_factor": 3}}, "durations.bandwidth_factor: not a duration"),
        ({"durations": {"upgrade_s": {"kind": "uniform", "low": 5, "high": 1}}},
         "durations.upgrade_s: uniform needs 0 <= low <= high"),
        ({"durations": [1, 2]}, "durations: a mapping"),
        ({"format_version": 3}, "format_version: 3, this version reads 1, 2"),
    ]:
        with pytest.raises(ValueError, match=message):
            Calibration.from_dict({**data, **change})
    assert Calibration.from_dict({**data, "durations": {"verify_s": {"kind": "uniform", "low": 1, "high": 2}}}
                                 ).durations == {"verify_s": Uniform(1.0, 2.0).to_dict()}


def test_durations_near_zero_become_the_middle_half_of_the_samples() -> None:
    # Residual overheads of a few ms beside 0: no log spread worth the name.
    got = duration([0.0, 0.001, 0.002, 0.004, 0.3])
    assert got == {"kind": "uniform", "low": 0.001, "high": 0.004}


def test_the_file_knows_every_duration_of_the_simulation() -> None:
    from simulator.calibration_file import DURATIONS

    assert DURATIONS == {name for name, value in SimParams().to_dict().items() if isinstance(value, dict)}
