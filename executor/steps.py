"""The steps of an execution, derived from a Plan (pure: no Django, no openstacksdk).

An execution is a flat, ordered list of ``StepSpec``: per wave, per host,
in the order the seed document gives (see DESIGN.md "Per host"):

    precheck -> disable -> switchover* -> move* -> drain -> upgrade -> verify
             -> enable -> restore*

``move`` carries out a server's planned action (live or cold migration, or
a stop for ``stop-start``); ``drain`` moves whatever else runs on the host
when its turn comes (servers Nova placed there since planning); ``switchover`` asks the VNF manager to take a
member out of service and stops it in place; ``restore`` starts what was
stopped and gives it back to its VNF. ``stay`` servers get no step.

Each key is stable for a given plan, so a stored execution can be matched
with its steps again after a restart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from domain.plan import ActionKind, Plan


class StepKind(StrEnum):
    PRECHECK = "precheck"
    DISABLE = "disable"
    SWITCHOVER = "switchover"
    MOVE = "move"
    DRAIN = "drain"
    UPGRADE = "upgrade"
    VERIFY = "verify"
    ENABLE = "enable"
    RESTORE = "restore"


# What undoing each kind of step means (STYLE #6), shown to the operator.
UNDO = {
    StepKind.PRECHECK: "nothing: it only reads the cloud",
    StepKind.DISABLE: "enable the host's nova-compute service again",
    StepKind.SWITCHOVER: "start the server and ask the VNF manager to restore it",
    StepKind.MOVE: "migrate the server back to its source host (or start it again)",
    StepKind.DRAIN: "migrate the servers it moved back to the host",
    StepKind.UPGRADE: "roll the host's software back with the upgrade driver (by hand)",
    StepKind.VERIFY: "nothing: it only reads the cloud",
    StepKind.ENABLE: "disable the host's nova-compute service again",
    StepKind.RESTORE: "stop the server and take it out of its VNF again",
}

RESTORED_ACTIONS = frozenset({ActionKind.SWITCHOVER, ActionKind.STOP_START})
MOVED_ACTIONS = frozenset({ActionKind.LIVE_MIGRATE, ActionKind.COLD_MIGRATE,
                           ActionKind.STOP_START})


@dataclass(frozen=True)
class StepSpec:
    """One step of an execution: what to do, to which host (and server)."""

    key: str
    index: int
    wave: int  # 0-based
    host: str
    kind: StepKind
    server: str = ""
    action: str = ""  # the planned ActionKind for switchover/move/restore
    source: str = ""
    target: str | None = None
    vnf: str = ""

    @property
    def label(self) -> str:
        """A short human description, e.g. 'move fw-a: live-migrate cmp1 -> cmp3'."""
        if self.kind is StepKind.MOVE:
            if self.action == ActionKind.STOP_START:
                return f"stop {self.server} on {self.host}"
            return f"{self.action} {self.server} {self.source} -> {self.target or 'a host the rule picks'}"
        if self.kind is StepKind.SWITCHOVER:
            return f"switch over {self.server}" + (f" ({self.vnf})" if self.vnf else "")
        if self.kind is StepKind.RESTORE:
            return f"restore {self.server}" + (f" ({self.vnf})" if self.vnf else "")
        if self.kind is StepKind.DRAIN:
            return f"drain {self.host} (what runs there now)"
        return f"{self.kind} {self.host}"

    @property
    def undo(self) -> str:
        return UNDO[self.kind]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["kind"] = str(self.kind)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StepSpec:
        return cls(**{**data, "kind": StepKind(data["kind"])})


def build_steps(plan: Plan, vnf_of: Mapping[str, str] | None = None) -> list[StepSpec]:
    """Every step of ``plan`` in execution order; ``vnf_of`` names each server's VNF."""
    vnf_of = vnf_of or {}
    steps: list[StepSpec] = []

    def add(wave: int, host: str, kind: StepKind, action: Any = None) -> None:
        server = action.server if action else ""
        suffix = f".{server}" if server else ""
        steps.append(StepSpec(
            key=f"w{wave + 1}.{host}.{len(steps):04d}.{kind}{suffix}",
            index=len(steps), wave=wave, host=host, kind=kind, server=server,
            action=str(action.kind) if action else "",
            source=action.source if action else "",
            target=action.target if action else None,
            vnf=vnf_of.get(server, "") if server else ""))

    for wave_index, wave in enumerate(plan.waves):
        for host_step in wave.hosts:
            host = host_step.host
            add(wave_index, host, StepKind.PRECHECK)
            add(wave_index, host, StepKind.DISABLE)
            for action in host_step.actions:
                if action.kind is ActionKind.SWITCHOVER:
                    add(wave_index, host, StepKind.SWITCHOVER, action)
            for action in host_step.actions:
                if action.kind in MOVED_ACTIONS:
                    add(wave_index, host, StepKind.MOVE, action)
            add(wave_index, host, StepKind.DRAIN)
            add(wave_index, host, StepKind.UPGRADE)
            add(wave_index, host, StepKind.VERIFY)
            add(wave_index, host, StepKind.ENABLE)
            for action in host_step.actions:
                if action.kind in RESTORED_ACTIONS:
                    add(wave_index, host, StepKind.RESTORE, action)
    return steps


def steps_by_host(steps: list[StepSpec]) -> dict[int, dict[str, list[StepSpec]]]:
    """wave -> host -> that host's steps in order."""
    out: dict[int, dict[str, list[StepSpec]]] = {}
    for step in steps:
        out.setdefault(step.wave, {}).setdefault(step.host, []).append(step)
    return out
