"""The calibration file: fitted figures and where they came from (``simulator.calibration``).

Apart from the fit so that ``python -m simulator.migration --calibration`` can
read a file without importing the simulation's parameters (which import the
migration model: no cycle).

Format 2 adds ``durations``: step durations fitted from executions (the
names and ``{"kind": ...}`` mappings of ``SimParams``), empty for a bench's
fit. Format 1 files (no ``durations``) are still read.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from simulator.distributions import dist_from_dict

FORMAT_VERSION = 2
READS = (1, 2)
# The distributions of SimParams (not imported: the parameters import the
# migration model, whose command line reads this file; a test keeps them equal).
DURATIONS = frozenset({
    "cold_migration_overhead_s", "disable_s", "enable_s", "migration_overhead_s", "reboot_s",
    "resume_s", "rollback_s", "start_s", "stop_s", "switchover_s", "switchover_scale", "upgrade_s",
    "verify_s", "vnfm_reply_s",
})


@dataclass(frozen=True)
class Calibration:
    """Fitted figures and where they came from."""

    bandwidth_factor: float
    switchover_mibps: float
    downtime_fixed_s: float
    points: int  # migrations the fit used
    source: str  # what produced the records (a bench, an execution)
    # SimParams duration name -> distribution mapping, fitted from executions.
    durations: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"format_version": FORMAT_VERSION, **dataclasses.asdict(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Calibration:
        """Raises ValueError naming the field that is missing or wrong."""
        if not isinstance(data, Mapping):
            raise ValueError("a calibration is a JSON object")
        version = data.get("format_version")
        if version not in READS or isinstance(version, bool):
            raise ValueError(f"format_version: {version!r}, this version reads {', '.join(map(str, READS))}")
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name == "durations":
                values[f.name] = _durations(data.get("durations", {}) if version >= 2 else {})
                continue
            if f.name not in data:
                raise ValueError(f"{f.name}: missing")
            value = data[f.name]
            if f.name == "source":
                if not isinstance(value, str):
                    raise ValueError("source: a string")
            elif f.name == "points":
                if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                    raise ValueError("points: a count")
            else:
                if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                    raise ValueError(f"{f.name}: a non-negative number")
                value = float(value)
            values[f.name] = value
        if values["bandwidth_factor"] <= 0:
            raise ValueError("bandwidth_factor: must be positive")
        return cls(**values)


def _durations(data: Any) -> dict[str, dict[str, Any]]:
    """Each entry checked as ``SimParams`` would take it; ValueError naming the entry."""
    if not isinstance(data, Mapping):
        raise ValueError("durations: a mapping of duration names to distributions")
    out: dict[str, dict[str, Any]] = {}
    for name, value in data.items():
        if name not in DURATIONS:
            raise ValueError(f"durations.{name}: not a duration of the simulation")
        try:
            out[name] = dist_from_dict(value).to_dict()
        except ValueError as exc:
            raise ValueError(f"durations.{name}: {exc}") from exc
    return out


def load(path: str) -> Calibration:
    with open(path, encoding="utf-8") as fh:
        try:
            data = json.load(fh)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not JSON: {exc}") from exc
    return Calibration.from_dict(data)


def save(calibration: Calibration, path: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(calibration.to_dict(), fh, indent=2)
        fh.write("\n")
