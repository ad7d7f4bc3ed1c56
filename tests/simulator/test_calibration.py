"""Fitting the simulator's migration figures from real migrations, and applying them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.calibration import Calibration, apply, fit, load, main, save
from simulator.distributions import Fixed
from simulator.migration import main as migration_main
from simulator.params import SimParams


def records() -> list[dict]:
    """Three converged bench points and one that never converged."""
    return [
        # 64 of 64 MiB/s; 1 MiB left at 1000 MiB/s is 1 ms of the 3 ms: the fixed part is 2 ms.
        {"cap_mibps": 64, "achieved_mibps": 64, "switchover_mibps": 1000, "downtime_ms": 3,
         "left_mib": 1.0, "converged": True},
        # 0.5 MiB left: 0.5 ms of 4.5 ms, a fixed part of 4 ms.
        {"cap_mibps": 128, "achieved_mibps": 96, "switchover_mibps": 1200, "downtime_ms": 4.5,
         "left_mib": 0.6, "converged": True},
        # Mostly data (24 of 30 ms): says nothing about the fixed part.
        {"cap_mibps": 32, "achieved_mibps": 30.4, "switchover_mibps": 900, "downtime_ms": 30,
         "left_mib": 21.6, "converged": True},
        {"cap_mibps": 20, "achieved_mibps": 19, "converged": False},
    ]


def test_fit_takes_medians_of_what_was_measured() -> None:
    got = fit(records(), source="bench")
    # Bandwidth factors 1.0, 0.75, 0.95, 0.95: median 0.95.
    assert got.bandwidth_factor == 0.95
    # Stop-and-copy speeds of the converged points: 900, 1000, 1200.
    assert got.switchover_mibps == 1000.0
    # Fixed parts of the two nearly empty pauses: 2 and 4 ms.
    assert got.downtime_fixed_s == 0.003
    assert (got.points, got.source) == (4, "bench")


def test_a_calibration_file_round_trips_and_names_what_is_wrong(tmp_path: Path) -> None:
    path = tmp_path / "cal.json"
    save(fit(records()), str(path))
    assert load(str(path)) == fit(records())
    data = json.loads(path.read_text())
    for change, message in [
        ({"format_version": 9}, "format_version: 9, this version reads 1, 2"),
        ({"bandwidth_factor": 0}, "bandwidth_factor: must be positive"),
        ({"downtime_fixed_s": "soon"}, "downtime_fixed_s: a non-negative number"),
        ({"points": -1}, "points: a count"),
    ]:
        with pytest.raises(ValueError, match=message):
            Calibration.from_dict({**data, **change})
    del data["switchover_mibps"]
    with pytest.raises(ValueError, match="switchover_mibps: missing"):
        Calibration.from_dict(data)


def test_apply_sets_the_simulations_bandwidth_and_fixed_downtime() -> None:
    params = apply(SimParams(bandwidth_factor=2.0), fit(records()))
    assert params.bandwidth_factor == pytest.approx(1.9)
    assert params.resume_s == Fixed(0.003)


def test_the_migration_command_applies_a_calibration_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cal.json"
    save(Calibration(0.5, 2000.0, 0.004, 10, "bench"), str(path))
    # 4096 MiB at 1000 x 0.5 MiB/s, nothing dirtied: 8.192 s; paused with nothing left
    # (4096 MiB of the flavor's RAM are zero pages), so the downtime is the fitted fixed part.
    code = migration_main(["--memory-mib", "4096", "--dirty-rate-mibps", "0", "--bandwidth-mibps", "1000",
                           "--flavor-ram-mib", "8192", "--hypervisor", "qemu", "--calibration", str(path),
                           "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["total_s"] == pytest.approx(8.192)
    assert out["downtime_ms"] == pytest.approx(4.0)


def test_the_migration_command_refuses_a_broken_calibration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cal.json"
    path.write_text("{not json")
    with pytest.raises(SystemExit) as exc:
        migration_main(["--memory-mib", "1", "--dirty-rate-mibps", "0", "--bandwidth-mibps", "1",
                        "--calibration", str(path)])
    assert exc.value.code == 2
    assert f"--calibration {path}: not JSON" in capsys.readouterr().err


def test_fit_command_writes_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"points": records()}))
    out = tmp_path / "cal.json"
    assert main(["fit", str(results), "-o", str(out)]) == 0
    assert load(str(out)).switchover_mibps == 1000.0
    results.write_text(json.dumps({"points": []}))
    with pytest.raises(SystemExit):
        main(["fit", str(results), "-o", str(out)])
    assert "no record with a configured and an achieved bandwidth" in capsys.readouterr().err
