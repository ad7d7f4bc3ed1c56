"""The calibration file: fitted figures and where they came from (``simulator.calibration``).

Apart from the fit so that ``python -m simulator.migration --calibration`` can
read a file without importing the simulation's parameters (which import the
migration model: no cycle).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

FORMAT_VERSION = 1


@dataclass(frozen=True)
class Calibration:
    """Fitted figures and where they came from."""

    bandwidth_factor: float
    switchover_mibps: float
    downtime_fixed_s: float
    points: int  # migrations the fit used
    source: str  # what produced the records (a bench, an execution)

    def to_dict(self) -> dict[str, Any]:
        return {"format_version": FORMAT_VERSION, **dataclasses.asdict(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Calibration:
        """Raises ValueError naming the field that is missing or wrong."""
        if not isinstance(data, Mapping):
            raise ValueError("a calibration is a JSON object")
        version = data.get("format_version")
        if version != FORMAT_VERSION:
            raise ValueError(f"format_version: {version!r}, this version reads {FORMAT_VERSION}")
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
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
