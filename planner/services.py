"""The plan workflow: create, simulate, submit, approve or reject, execute.

Every state change is a compare-and-set on the plan's row and is written to
its audit log in the same transaction. An approval is bound to the content
hash: any change of content afterwards sends the plan back to draft.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import transaction
from django.utils import timezone

from escalator_site import roles
from escalator_site.jobs import submit as submit_job
from inventory import models as inventory_models
from inventory.services import get_cloud, load_snapshot
from planner.choices import PlanState
from planner.errors import NoPlanError
from planner.export import plan_from_dict, plan_to_dict
from planner.lowerbound import lower_bound
from planner.models import Plan, PlanEvent, Simulation
from planner.options import PlanOptions
from planner.simulation import MAX_SEED
from planner.strategies import STRATEGIES, make_plan
from planner.validator import validate

# Background tasks by their registered names (planner.tasks imports this module).
PLAN_TASK = "planner.plan"
SIMULATE_TASK = "planner.simulate"


class WorkflowError(Exception):
    """A request the workflow refuses; the message says why, to the operator."""


class NotAllowed(WorkflowError):
    pass


def content_hash(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _audit(plan: Plan, user, action: str, old: str, new: str, comment: str = "") -> PlanEvent:
    return PlanEvent.objects.create(
        plan=plan, actor=user if user and user.is_authenticated else None, action=action,
        from_state=old, to_state=new, comment=comment, content_hash=plan.content_hash,
    )


_VERBS = {"submitted": "submit", "approved": "approve", "rejected": "reject",
          "execution started": "execute", "executed": "finish"}


def _transition(plan: Plan, user, action: str, allowed: set[str], new: str,
                comment: str = "", **changes: Any) -> Plan:
    """Move ``plan`` to ``new`` only if it is still in one of ``allowed`` (compare-and-set)."""
    with transaction.atomic():
        old = plan.state
        if old not in allowed:
            verb = _VERBS.get(action, action)
            raise WorkflowError(
                f"Cannot {verb} a plan that is {old}; it must be {' or '.join(sorted(allowed))}."
            )
        updated = Plan.objects.filter(pk=plan.pk, state=old, content_hash=plan.content_hash).update(
            state=new, updated=timezone.now(), **changes
        )
        if updated != 1:
            raise WorkflowError("The plan changed meanwhile; reload it and try again.")
        plan.refresh_from_db()
        _audit(plan, user, action, old, new, comment)
    return plan


def _require(allowed: bool, what: str) -> None:
    if not allowed:
        raise NotAllowed(f"Your role does not allow you to {what}.")


def create_plan(user, strategy: str, options: dict[str, Any] | None = None,
                name: str = "", cloud: str | None = None, background: bool = False) -> Plan:
    """Plan the stored inventory with a strategy, validate it and store it as a draft.

    Bad options or an unknown strategy are refused at once. With ``background``
    the plan is stored as ``planning`` and computed by a task (the optimized
    search takes seconds): pages and the API never plan inside the request.
    """
    _require(roles.can_plan(user), "create plans")
    if strategy not in STRATEGIES:
        strategy = strategy.replace("_", "-")  # the command-line habit
    if strategy not in STRATEGIES:
        raise WorkflowError(f"unknown strategy {strategy!r}; choose from {', '.join(STRATEGIES)}")
    try:
        plan_options = PlanOptions.from_dict(options or {})
    except (ValueError, TypeError) as exc:
        raise WorkflowError(f"Options: {exc}") from exc
    cloud_row = get_cloud(cloud)
    with transaction.atomic():
        plan = Plan.objects.create(
            cloud=cloud_row,
            name=name or f"{strategy} {timezone.now():%Y-%m-%d %H:%M}",
            strategy=strategy,
            options=plan_options.to_dict(),
            target_release=cloud_row.target_release,
            content={},
            content_hash="",
            state=PlanState.PLANNING,
            author=user,
        )
        _audit(plan, user, "requested", "", PlanState.PLANNING, strategy)
        if background:
            transaction.on_commit(lambda: submit_job(PLAN_TASK, plan.pk))
    if not background:
        compute_plan(plan.pk)
        plan.refresh_from_db()
        if plan.state == PlanState.FAILED:
            raise WorkflowError(plan.validation.get("error", "No plan is possible."))
    return plan


def compute_plan(plan_id: int) -> None:
    """Plan a ``planning`` row: a draft with its content, or failed with the reason."""
    plan = Plan.objects.select_related("cloud", "author").get(pk=plan_id)
    if plan.state != PlanState.PLANNING:
        return
    snapshot = load_snapshot(plan.cloud)
    options = PlanOptions.from_dict(plan.options)
    try:
        pure = make_plan(plan.strategy, snapshot, options)
    except NoPlanError as exc:
        error = f"No {plan.strategy} plan is possible: {exc}"
        _finish_planning(plan, PlanState.FAILED, {}, {"ok": False, "error": error}, None, error)
        return
    content = plan_to_dict(pure, snapshot)
    report = validate(snapshot, pure)
    bound = lower_bound(snapshot, options)
    _finish_planning(plan, PlanState.DRAFT, content, report.to_dict(), bound.value,
                     f"{plan.strategy}: {len(pure.waves)} waves, {report.migrations} migrations")


def _finish_planning(plan: Plan, state: str, content: dict, validation: dict,
                     bound: float | None, comment: str) -> None:
    with transaction.atomic():
        updated = Plan.objects.filter(pk=plan.pk, state=PlanState.PLANNING).update(
            state=state, content=content, content_hash=content_hash(content) if content else "",
            validation=validation, lower_bound_s=bound, updated=timezone.now(),
        )
        if updated == 1:
            plan.refresh_from_db()
            _audit(plan, plan.author, "created" if state == PlanState.DRAFT else "failed",
                   PlanState.PLANNING, state, comment)


def change_content(plan: Plan, user, content: dict[str, Any], comment: str = "") -> Plan:
    """Replace a plan's waves and actions; revalidate; any approval is void (back to draft)."""
    _require(roles.can_plan(user), "change plans")
    _check_changeable(plan)
    snapshot = load_snapshot(plan.cloud)
    try:
        pure = plan_from_dict(content)
    except (ValueError, KeyError, TypeError) as exc:
        raise WorkflowError(f"Plan content: {exc}") from exc
    new_hash = content_hash(content)
    if new_hash == plan.content_hash:
        return plan
    report = validate(snapshot, pure)
    with transaction.atomic():
        old = plan.state
        updated = Plan.objects.filter(pk=plan.pk, content_hash=plan.content_hash).update(
            content=content, content_hash=new_hash, validation=report.to_dict(),
            state=PlanState.DRAFT, approved_by=None, approved_hash="", updated=timezone.now(),
        )
        if updated != 1:
            raise WorkflowError("The plan changed meanwhile; reload it and try again.")
        plan.refresh_from_db()
        note = comment or "content changed"
        if old == PlanState.APPROVED:
            note += "; approval withdrawn"
        _audit(plan, user, "changed", old, PlanState.DRAFT, note)
    return plan


def _check_changeable(plan: Plan) -> None:
    if plan.state not in (PlanState.DRAFT, PlanState.SIMULATED, PlanState.SUBMITTED,
                          PlanState.APPROVED, PlanState.REJECTED):
        raise WorkflowError(f"A plan that is {plan.state} cannot change.")


def move_host(plan: Plan, user, host: str, wave: int) -> Plan:
    """Move one host to another wave (1-based; one past the last makes a new wave)."""
    _require(roles.can_plan(user), "change plans")
    _check_changeable(plan)
    content = json.loads(json.dumps(plan.content))
    waves = content["waves"]
    step = None
    for w in waves:
        for candidate in w["hosts"]:
            if candidate["host"] == host:
                step = candidate
                w["hosts"].remove(candidate)
    if step is None:
        raise WorkflowError(f"Host {host!r} is not in this plan.")
    if not 1 <= wave <= len(waves) + 1:
        raise WorkflowError(f"Wave {wave} does not exist (1 to {len(waves) + 1}).")
    if wave == len(waves) + 1:
        waves.append({"hosts": []})
    waves[wave - 1]["hosts"].append(step)
    content["waves"] = [w for w in waves if w["hosts"]]
    return change_content(plan, user, content, f"moved {host} to wave {wave}")


def request_simulation(plan: Plan, user, runs: int = 20, seed: int = 0,
                       params: dict[str, Any] | None = None, start: bool = True) -> Simulation:
    """Queue a Monte Carlo simulation; it runs in the background and reports progress.

    ``start=False`` only records it, for a caller that runs it itself (the command line).
    """
    _require(roles.can_plan(user), "simulate plans")
    if not 1 <= runs <= 1000:
        raise WorkflowError("runs: between 1 and 1000.")
    if not 0 <= seed <= MAX_SEED:
        raise WorkflowError(f"seed: between 0 and {MAX_SEED}.")
    from simulator.params import SimParams

    try:
        SimParams.from_dict(params or {})
    except (ValueError, TypeError, KeyError) as exc:
        raise WorkflowError(f"Simulation parameters: {exc}") from exc
    simulation = Simulation.objects.create(
        plan=plan, runs=runs, seed=seed, params=params or {}, content_hash=plan.content_hash,
        requested_by=user,
    )
    if start:
        transaction.on_commit(lambda: submit_job(SIMULATE_TASK, simulation.pk))
    return simulation


def submit_plan(plan: Plan, user, comment: str = "") -> Plan:
    _require(roles.can_plan(user), "submit plans")
    if not plan.is_valid:
        raise WorkflowError("The validator found violations: fix them before submitting.")
    return _transition(plan, user, "submitted", {PlanState.SIMULATED}, PlanState.SUBMITTED,
                       comment)


def approve_plan(plan: Plan, user, comment: str = "") -> Plan:
    _require(roles.can_approve(user), "approve plans")
    if plan.author_id == user.pk:
        raise NotAllowed("The author of a plan cannot approve it: another approver must.")
    return _transition(plan, user, "approved", {PlanState.SUBMITTED}, PlanState.APPROVED,
                       comment, approved_by=user, approved_hash=plan.content_hash)


def reject_plan(plan: Plan, user, comment: str) -> Plan:
    _require(roles.can_approve(user), "reject plans")
    if not comment.strip():
        raise WorkflowError("Say why the plan is rejected (a comment is required).")
    if plan.author_id == user.pk:
        raise NotAllowed("The author of a plan cannot review it: another approver must.")
    return _transition(plan, user, "rejected", {PlanState.SUBMITTED}, PlanState.REJECTED, comment)


def is_approved_as_is(plan: Plan) -> bool:
    return plan.state == PlanState.APPROVED and plan.approved_hash == plan.content_hash


def mark_executing(plan: Plan, user) -> Plan:
    if not is_approved_as_is(plan):
        raise WorkflowError("Only an approved plan, unchanged since its approval, can run.")
    return _transition(plan, user, "execution started", {PlanState.APPROVED}, PlanState.EXECUTING)


def mark_executed(plan: Plan, user, comment: str = "") -> Plan:
    return _transition(plan, user, "executed", {PlanState.EXECUTING}, PlanState.EXECUTED, comment)


def mark_aborted(plan: Plan, user, comment: str = "") -> Plan:
    """An aborted execution hands the plan back, still approved as it was.

    Its steps look at the cloud before acting, so running it again passes
    over what is already done; changing it instead sends it back to draft.
    """
    return _transition(plan, user, "execution aborted", {PlanState.EXECUTING},
                       PlanState.APPROVED, comment)


def pure_plan(plan: Plan):
    return plan_from_dict(plan.content)



def run_precheck(user, cloud: str | None = None):
    """Run the pre-check on the stored inventory and keep the result."""
    from planner.models import PrecheckRun
    from planner.precheck import PrecheckResult
    from planner.precheck import run_precheck as check

    snapshot = load_snapshot(cloud)
    result = PrecheckResult(tuple(check(snapshot)))
    return PrecheckRun.objects.create(
        cloud=inventory_models.Cloud.objects.get(name=snapshot.cloud),
        run_by=user if user and user.is_authenticated else None,
        ok=result.ok,
        counts=result.counts(),
        items=[item.to_dict() for item in result.items],
    )
