"""Simulator figures fitted from executions: step durations and the live migrations' speed.

The executor records every step's measured start and end. The caller (the
executor's report, ``manage.py calibrate``) turns them into plain samples:
per ``SimParams`` duration name, the seconds each step of that kind took;
per live migration, the step's wall time beside the copy time the model
gives it at the inventory's bandwidth (``MigrationSample``). ``fit`` turns
them into a ``Calibration`` (``simulator.calibration_file``) that
``manage.py simulate --calibration`` applies.

Durations become a log-normal of the samples' median and spread (the
median and the MAD of the logs: one stalled step does not move them), a
fixed value for a single sample, and a uniform law over the middle half of
the samples where some are (near) zero. A live migration's wall time is modelled as
``overhead + copy / bandwidth_factor``: with copies of different sizes a
line through the samples (Theil-Sen: the median of pairwise slopes) gives
both; with copies all about one size the two cannot be told apart, so the
bandwidth is left as it was and everything beyond the copy is overhead.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from simulator.calibration_file import Calibration
from simulator.distributions import Fixed, LogNormal, Uniform

# Copies must differ at least this much in size (largest / smallest) for a
# line through the samples to say anything about the bandwidth.
SPREAD = 1.5
# A fitted factor outside this range says the line is noise, not bandwidth.
FACTOR_RANGE = (0.05, 20.0)
# MAD of a normal law = 0.6745 sigma.
_MAD_TO_SIGMA = 1.4826
# Beyond this spread (a factor e per sigma) a log-normal says more about zeros than durations.
MAX_SIGMA = 1.0


@dataclass(frozen=True)
class MigrationSample:
    """One live migration of an execution."""

    copy_s: float  # the model's copy time at the inventory's bandwidth (factor 1), overhead excluded
    wall_s: float  # the step's measured duration


def duration(samples: Sequence[float]) -> dict[str, Any]:
    """A distribution mapping for measured durations (see the module docstring)."""
    values = sorted(round(max(0.0, float(v)), 3) for v in samples)  # the records keep milliseconds
    if not values:
        raise ValueError("no sample")
    median = statistics.median(values)
    if len(values) == 1 or median <= 0 or values[0] == values[-1]:
        return Fixed(round(median, 3)).to_dict()
    if values[0] > 0:
        centre = math.log(median)
        sigma = _MAD_TO_SIGMA * statistics.median(abs(math.log(v) - centre) for v in values)
        if sigma <= MAX_SIGMA:
            return LogNormal(round(median, 3), round(sigma, 4), cap=round(2.0 * values[-1], 3)).to_dict()
    # Durations near zero (a residual overhead) have no meaningful log spread:
    # the middle half of the samples, uniformly.
    low, high = statistics.quantiles(values, n=4, method="inclusive")[0::2]
    return Uniform(round(low, 3), round(high, 3)).to_dict()


def migration_fit(samples: Sequence[MigrationSample]) -> tuple[float | None, list[float]]:
    """(bandwidth factor, or None if the samples cannot tell it; each sample's overhead)."""
    usable = [s for s in samples if s.wall_s > 0 and s.copy_s >= 0]
    if not usable:
        return None, []
    copies = [s.copy_s for s in usable]
    factor: float | None = None
    if len(usable) >= 3 and min(copies) > 0 and max(copies) / min(copies) >= SPREAD:
        slopes = [
            (b.wall_s - a.wall_s) / (b.copy_s - a.copy_s)
            for i, a in enumerate(usable) for b in usable[i + 1:]
            if abs(b.copy_s - a.copy_s) > 1e-9
        ]
        slope = statistics.median(slopes) if slopes else 0.0
        if slope > 0 and FACTOR_RANGE[0] <= 1.0 / slope <= FACTOR_RANGE[1]:
            factor = 1.0 / slope
    if factor is None and statistics.median(s.wall_s for s in usable) < statistics.median(copies):
        # The copies went faster than the model's bandwidth allows, overhead or not.
        factor = min(FACTOR_RANGE[1], statistics.median(copies) / statistics.median(s.wall_s for s in usable))
    scale = 1.0 / factor if factor else 1.0
    overheads = [max(0.0, s.wall_s - s.copy_s * scale) for s in usable]
    return factor, overheads


def fit(
    durations: Mapping[str, Sequence[float]],
    migrations: Sequence[MigrationSample] = (),
    source: str = "executions",
    base: Calibration | None = None,
) -> Calibration:
    """A calibration from an execution's samples, on top of ``base`` (a bench's fit) if given.

    ``durations``: ``SimParams`` duration name -> measured seconds. The live
    migrations' overheads go to ``migration_overhead_s``; their bandwidth
    factor (when the samples tell it) multiplies ``base``'s.
    """
    fitted = {name: duration(values) for name, values in sorted(durations.items()) if values}
    factor, overheads = migration_fit(migrations)
    if overheads:
        fitted["migration_overhead_s"] = duration(overheads)
    if not fitted:
        raise ValueError("no finished step to fit from")
    base_factor = base.bandwidth_factor if base else 1.0
    return Calibration(
        bandwidth_factor=round(base_factor * (factor or 1.0), 4),
        switchover_mibps=base.switchover_mibps if base else 0.0,
        downtime_fixed_s=base.downtime_fixed_s if base else 0.0,
        points=len(migrations) + sum(len(v) for v in durations.values()),
        source=source if base is None else f"{source} on {base.source}",
        durations=fitted,
    )
