"""Editing a plan by hand, kept valid: move a host to another wave.

The waves before the first one the move touches stay as they are; from
there on, every host's actions are planned again by the plan's strategy
rules (its servers go to hosts outside its new wave, upgraded ones first
where the strategy steers destinations), and the result is checked by the
validator. A move that leaves no valid plan is refused with the reasons:
never a plan with violations behind a success message. Pure: no Django.
"""

from __future__ import annotations

from dataclasses import replace

from domain.plan import Plan, Wave
from domain.snapshot import Snapshot
from planner.options import PlanOptions
from planner.strategies.engine import WaveBuilder, WaveRules
from planner.strategies.state import CloudState
from planner.validator import resolve_targets, validate


class EditRefused(ValueError):
    """The edit would break the plan; ``reasons`` say how."""

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def _rules(strategy: str, options: PlanOptions) -> WaveRules:
    if strategy == "optimized":
        return WaveRules(max_hosts=options.hosts_per_wave, vnf_first=True, one_group_member_per_wave=False)
    # The baselines' placement (and a hand-made plan's): Nova's scheduler, named.
    return WaveRules(max_hosts=options.hosts_per_wave, explicit_targets=False,
                     one_group_member_per_wave=False)


def move_host(snapshot: Snapshot, plan: Plan, host: str, wave: int) -> Plan:
    """``plan`` with ``host`` in wave ``wave`` (1-based; one past the last makes a new wave).

    Raises ``EditRefused`` naming what is wrong: an unknown host or wave, a
    host that cannot be drained in its new wave, or the validator's
    violations of the re-planned plan.
    """
    waves = [list(w.host_names) for w in plan.waves]
    old = next((i for i, names in enumerate(waves) if host in names), None)
    if old is None:
        raise EditRefused([f"host {host!r} is not in this plan"])
    if not 1 <= wave <= len(waves) + 1:
        raise EditRefused([f"wave {wave} does not exist (1 to {len(waves) + 1})"])
    new = wave - 1
    if new == old:
        return plan
    waves[old].remove(host)
    if new == len(waves):
        waves.append([])
    waves[new].append(host)
    first = min(old, new)
    kept = list(plan.waves[:first])
    planned = [names for names in waves[first:] if names]
    options = PlanOptions.from_dict(plan.options)
    builder = WaveBuilder(snapshot, options, _rules(plan.strategy, options))
    state = CloudState(snapshot)
    # The kept waves as the cloud will run them (scheduler choices named).
    for done in resolve_targets(snapshot, replace(plan, waves=tuple(kept))).waves:
        builder.replay(state, done)
    rebuilt: list[Wave] = []
    for i, names in enumerate(planned):
        later = [h for after in planned[i + 1:] for h in after]
        steps, failures = builder.drain_wave(state, names, later)
        if not steps:
            raise EditRefused(
                [f"moving {host} to wave {wave}: wave {first + i + 1} cannot be drained"]
                + list(dict.fromkeys(failures))[:10]
            )
        rebuilt.append(Wave(hosts=tuple(steps)))
    edited = replace(
        plan, waves=(*kept, *rebuilt),
        warnings=tuple(dict.fromkeys([*plan.warnings, *builder.warnings])),
    )
    report = validate(snapshot, edited)
    if not report.ok:
        raise EditRefused(
            [f"moving {host} to wave {wave} breaks the plan"] + [v.message for v in report.violations[:10]]
        )
    return edited
