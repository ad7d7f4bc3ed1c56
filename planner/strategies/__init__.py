"""The registry of planning strategies and ``make_plan``.

Every strategy is ``fn(snapshot, options, **extras) -> Plan`` and raises
``planner.errors.NoPlanError`` with the reasons when no plan exists. Extras
are strategy-specific (``optimized`` takes ``scorer`` and ``timings``);
others ignore them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from domain.plan import Plan
from domain.snapshot import Snapshot
from planner.errors import UnknownStrategyError
from planner.options import PlanOptions
from planner.strategies.baseline import az_by_az, parallel, serial
from planner.strategies.optimized import optimized

Strategy = Callable[..., Plan]

STRATEGIES: Mapping[str, Strategy] = {
    "serial": serial,
    "az-by-az": az_by_az,
    "parallel": parallel,
    "optimized": optimized,
}


def make_plan(
    name: str,
    snapshot: Snapshot,
    options: PlanOptions | Mapping[str, Any] | None = None,
    **extras: Any,
) -> Plan:
    """Plan the upgrade of ``snapshot`` with the strategy called ``name``."""
    # Accept the underscore spelling too (command-line habits).
    strategy = STRATEGIES.get(name) or STRATEGIES.get(name.replace("_", "-"))
    if strategy is None:
        raise UnknownStrategyError(
            f"unknown strategy {name!r}; choose from {', '.join(STRATEGIES)}"
        )
    if not isinstance(options, PlanOptions):
        options = PlanOptions.from_dict(options)
    return strategy(snapshot, options, **extras)
