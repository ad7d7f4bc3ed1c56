"""Errors of the planner's pure core."""

from __future__ import annotations

from collections.abc import Iterable


class NoPlanError(ValueError):
    """No plan satisfies the constraints; ``reasons`` says why, in the operator's words.

    Example reason: ``"capacity: 2 more hosts' worth of RAM needed in az2"``.
    """

    def __init__(self, reasons: Iterable[str]):
        self.reasons = list(reasons)
        super().__init__("; ".join(self.reasons) or "no plan is possible")


class UnknownStrategyError(KeyError):
    """A strategy name that is not in the registry."""
