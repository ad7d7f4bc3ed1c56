"""An upgrade plan as immutable plain dataclasses (pure: no Django).

A plan is an ordered list of waves; the hosts of one wave are upgraded in
parallel. Each host step lists, for every server on that host, what happens to
it before the host goes down. Strategies produce plans, the validator replays
them, the simulator times them and the executor carries them out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

PLAN_FORMAT_VERSION = 1


class ActionKind(StrEnum):
    # The VNF's own HA takes the member out of service (switch an active over
    # to its standby, drain a pool member); the server is stopped in place
    # and restored into the VNF once its host is back.
    SWITCHOVER = "switchover"
    LIVE_MIGRATE = "live-migrate"
    COLD_MIGRATE = "cold-migrate"
    # Stopped in place for the upgrade and started again afterwards.
    STOP_START = "stop-start"
    # Nothing is done: only valid for a server that is already shut off.
    STAY = "stay"


MOVING_ACTIONS = frozenset({ActionKind.LIVE_MIGRATE, ActionKind.COLD_MIGRATE})


@dataclass(frozen=True)
class ServerAction:
    """What happens to one server before its host is upgraded.

    ``target`` is the destination host of a migration, or ``None`` to leave
    the choice to Nova's scheduler.
    """

    server: str
    kind: ActionKind
    source: str
    target: str | None = None


@dataclass(frozen=True)
class HostStep:
    """One host's upgrade: its servers' actions, then upgrade, reboot, verify."""

    host: str
    actions: tuple[ServerAction, ...] = ()


@dataclass(frozen=True)
class Wave:
    """Hosts upgraded together; ``why`` says what kept the next host out of it."""

    hosts: tuple[HostStep, ...]
    why: str = ""

    @property
    def host_names(self) -> tuple[str, ...]:
        return tuple(step.host for step in self.hosts)


@dataclass(frozen=True)
class Plan:
    """An ordered upgrade of every host to ``target_release``."""

    strategy: str
    target_release: str
    waves: tuple[Wave, ...]
    options: Mapping[str, Any] = field(default_factory=dict)
    # What the approver must know: risks the strategy could not avoid, and
    # whether the search was cut short by its time cap.
    warnings: tuple[str, ...] = ()
    # How the plan was searched (optimized: evaluations used of the budget).
    search: Mapping[str, Any] = field(default_factory=dict)

    def host_steps(self) -> Iterator[tuple[int, HostStep]]:
        for index, wave in enumerate(self.waves):
            for step in wave.hosts:
                yield index, step

    def actions(self) -> Iterator[tuple[int, HostStep, ServerAction]]:
        for index, step in self.host_steps():
            for action in step.actions:
                yield index, step, action
