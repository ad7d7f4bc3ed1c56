"""Figures fitted from real migrations, in a file that later simulations apply.

The fidelity bench (``bench/fidelity.py``) runs real QEMU migrations and
records, per point, the bandwidth it configured, the bandwidth it achieved,
the speed of the stop-and-copy and the downtime QEMU measured. ``fit`` turns
those records into three figures:

- ``bandwidth_factor``: achieved / configured pre-copy bandwidth (median),
  what a loaded machine or a real NIC delivers of its nominal speed;
- ``switchover_mibps``: the speed of the stop-and-copy (median);
- ``downtime_fixed_s``: device state and resume, the downtime of the points
  that had (almost) nothing left to copy when the guest paused (median).

Medians, not means: one disturbed point on a shared machine must not move
the fit. The file is JSON with a ``format_version``; ``apply`` sets the
matching fields of ``SimParams`` (``bandwidth_factor``, ``resume_s``),
``manage.py simulate PLAN --calibration FILE`` runs a stored simulation with
them (recorded in its parameters), and ``python -m simulator.migration
--calibration FILE`` uses it too.

``python -m simulator.calibration fit RESULTS.json -o calibration.json``
fits from a bench's ``--output`` file.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from simulator.calibration_file import FORMAT_VERSION, Calibration, load, save

__all__ = ["FORMAT_VERSION", "Calibration", "apply", "fit", "load", "main", "overrides", "save"]
from simulator.distributions import Fixed, dist_from_dict
from simulator.params import SimParams

# A point counts for the fixed part when the data left at the pause would take
# at most this share of its downtime at the switchover speed.
_FIXED_SHARE = 0.5


def fit(points: Iterable[Mapping[str, Any]], source: str = "bench/fidelity.py") -> Calibration:
    """Fit from bench records (see the module docstring for the fields read).

    Each record: ``cap_mibps``, ``achieved_mibps``, ``switchover_mibps``,
    ``downtime_ms`` and ``left_mib`` (data QEMU had left when it paused),
    ``converged``. Records of migrations that did not converge count only
    for the bandwidth.
    """
    factors: list[float] = []
    speeds: list[float] = []
    fixed: list[float] = []
    used = 0
    for p in points:
        used += 1
        if p.get("cap_mibps") and p.get("achieved_mibps"):
            factors.append(float(p["achieved_mibps"]) / float(p["cap_mibps"]))
        if not p.get("converged"):
            continue
        speed = p.get("stopcopy_mibps") or p.get("switchover_mibps")
        if speed:
            speeds.append(float(speed))
        downtime_s = float(p.get("downtime_ms") or 0.0) / 1000.0
        left = float(p.get("left_mib") or 0.0)
        if speed and downtime_s > 0 and left / float(speed) <= _FIXED_SHARE * downtime_s:
            fixed.append(max(0.0, downtime_s - left / float(speed)))
    if not factors:
        raise ValueError("no record with a configured and an achieved bandwidth")
    return Calibration(
        bandwidth_factor=round(statistics.median(factors), 4),
        switchover_mibps=round(statistics.median(speeds), 1) if speeds else 0.0,
        downtime_fixed_s=round(statistics.median(fixed), 4) if fixed else 0.0,
        points=used,
        source=source,
    )


def _measured_downtime(calibration: Calibration) -> bool:
    # A fit from executions alone measures no downtime (the API cannot see a
    # pause of milliseconds): it leaves the simulation's resume time alone.
    return calibration.downtime_fixed_s > 0 or calibration.switchover_mibps > 0


def apply(params: SimParams, calibration: Calibration) -> SimParams:
    """The parameters with the fitted figures in place of the defaults."""
    changes: dict[str, Any] = {"bandwidth_factor": params.bandwidth_factor * calibration.bandwidth_factor}
    if _measured_downtime(calibration):
        changes["resume_s"] = Fixed(calibration.downtime_fixed_s)
    changes.update({name: dist_from_dict(value) for name, value in calibration.durations.items()})
    return dataclasses.replace(params, **changes)


def overrides(calibration: Calibration, params: Mapping[str, Any]) -> dict[str, Any]:
    """A parameters mapping (as a form or ``--params`` gives it) with the fitted figures applied.

    What a stored simulation records, so the figures it ran with stay visible.
    """
    out = dict(params)
    out["bandwidth_factor"] = float(params.get("bandwidth_factor", 1.0)) * calibration.bandwidth_factor
    if _measured_downtime(calibration):
        out["resume_s"] = Fixed(calibration.downtime_fixed_s).to_dict()
    out.update(calibration.durations)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m simulator.calibration",
        description="Fit the simulator's migration figures from the fidelity bench's records.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    fitting = sub.add_parser("fit", help="fit from a bench results file (bench/fidelity.py --output)")
    fitting.add_argument("results", help="JSON file with a 'points' list")
    fitting.add_argument("-o", "--output", required=True, help="calibration file to write")
    args = parser.parse_args(argv)
    try:
        with open(args.results, encoding="utf-8") as fh:
            data = json.load(fh)
        points = data.get("points") if isinstance(data, dict) else None
        if not isinstance(points, list):
            raise ValueError("no 'points' list")
        calibration = fit(points, source=args.results)
    except (OSError, ValueError) as exc:
        parser.error(f"{args.results}: {exc}")
    save(calibration, args.output)
    print(json.dumps(calibration.to_dict()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
