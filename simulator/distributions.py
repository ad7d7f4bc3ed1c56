"""Duration distributions: small frozen dataclasses sampled from one ``random.Random``.

Every random draw of a run goes through the ``rng`` given to ``sample`` so
that one seed reproduces a run exactly (never the global ``random`` state).
Each distribution knows its ``mean`` (the planner's deterministic view of
time reads it) and round-trips through ``to_dict`` / ``dist_from_dict``.
"""

from __future__ import annotations

import math
import random
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Fixed:
    """Always the same value."""

    value: float

    def sample(self, rng: random.Random) -> float:
        return self.value

    @property
    def mean(self) -> float:
        return self.value

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "fixed", **asdict(self)}


@dataclass(frozen=True)
class Uniform:
    low: float
    high: float

    def sample(self, rng: random.Random) -> float:
        return self.low + (self.high - self.low) * rng.random()

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "uniform", **asdict(self)}


@dataclass(frozen=True)
class Triangular:
    """Operators' favourite estimate: best case, most likely, worst case."""

    low: float
    mode: float
    high: float

    def sample(self, rng: random.Random) -> float:
        return rng.triangular(self.low, self.high, self.mode)

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "triangular", **asdict(self)}


@dataclass(frozen=True)
class LogNormal:
    """Long-tailed durations (a reboot that sometimes takes much longer).

    Given by its median and the sigma of the underlying normal, which is how
    one reads a measured distribution of durations; ``cap`` bounds the tail.
    """

    median: float
    sigma: float
    cap: float = math.inf

    def sample(self, rng: random.Random) -> float:
        return min(self.cap, self.median * math.exp(self.sigma * rng.gauss(0.0, 1.0)))

    @property
    def mean(self) -> float:
        # Mean of the uncapped law; the cap only trims a rare tail.
        return min(self.cap, self.median * math.exp(self.sigma**2 / 2))

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": "lognormal", "median": self.median, "sigma": self.sigma}
        if math.isfinite(self.cap):
            data["cap"] = self.cap
        return data


Distribution = Fixed | Uniform | Triangular | LogNormal

_KINDS: dict[str, type] = {
    "fixed": Fixed,
    "uniform": Uniform,
    "triangular": Triangular,
    "lognormal": LogNormal,
}


def dist_from_dict(data: Any) -> Distribution:
    """Build a distribution from ``{"kind": ..., <fields>}`` or a bare number (fixed)."""
    if isinstance(data, int | float):
        return Fixed(float(data))
    if isinstance(data, Fixed | Uniform | Triangular | LogNormal):
        return data
    if not isinstance(data, dict) or "kind" not in data:
        raise ValueError(f"a distribution is a number or a mapping with a 'kind': {data!r}")
    fields = dict(data)
    kind = fields.pop("kind")
    cls = _KINDS.get(kind)
    if cls is None:
        raise ValueError(f"unknown distribution kind {kind!r}; one of {sorted(_KINDS)}")
    try:
        dist = cls(**{k: float(v) for k, v in fields.items()})
    except TypeError as exc:
        raise ValueError(f"bad fields for a {kind} distribution: {sorted(fields)}") from exc
    _check(dist)
    return dist


def _check(dist: Distribution) -> None:
    if isinstance(dist, Fixed) and dist.value < 0:
        raise ValueError("a duration cannot be negative")
    if isinstance(dist, Uniform) and not 0 <= dist.low <= dist.high:
        raise ValueError("uniform needs 0 <= low <= high")
    if isinstance(dist, Triangular) and not 0 <= dist.low <= dist.mode <= dist.high:
        raise ValueError("triangular needs 0 <= low <= mode <= high")
    if isinstance(dist, LogNormal) and (dist.median <= 0 or dist.sigma < 0):
        raise ValueError("lognormal needs median > 0 and sigma >= 0")
