"""The plan workflow: create, simulate, submit, approve or reject, execute.

Every state change is a compare-and-set on the plan's row and is written to
its audit log in the same transaction. A plan is made from one inventory
version; its policy (the options that bound it) is stored apart from its
editable content. An approval covers the content, the policy, the inventory
version and the estimate the approver saw (``approval_hash``): changing any of
them afterwards sends the plan back to draft, and nobody who shaped a plan
may approve it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from domain import drift
from escalator_site import roles
from escalator_site.jobs import submit as submit_job
from escalator_site.notifications import notify
from inventory.services import current_version, get_cloud, load_snapshot, version_snapshot
from planner import edit
from planner.choices import JobState, PlanState
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


class TooMany(WorkflowError):
    """A user's limit of background work queued or running reached (HTTP 429)."""


# Per user, at once: simulations queued or running, and plans being searched in
# the background (settings ESCALATOR_USER_MAX_SIMULATIONS / _SEARCHES).
USER_LIMITS = {"simulation": ("ESCALATOR_USER_MAX_SIMULATIONS", 8),
               "search": ("ESCALATOR_USER_MAX_SEARCHES", 2)}


def _check_user_limit(user, kind: str) -> None:
    """Refuse, naming the limit, more background work than one user may have at once:
    one planner's sweeps never take every worker from everybody else."""
    from django.conf import settings

    if user is None or not user.is_authenticated:
        return
    setting, default = USER_LIMITS[kind]
    limit = int(getattr(settings, setting, default))
    if kind == "simulation":
        busy = Simulation.objects.filter(requested_by=user,
                                         state__in=(JobState.QUEUED, JobState.RUNNING)).count()
        noun = "simulations"
    else:
        busy = Plan.objects.filter(author=user, state=PlanState.PLANNING).count()
        noun = "plan searches"
    if busy >= limit:
        raise TooMany(f"{user.get_username()} already has {busy} {noun} queued or running: "
                      f"the limit is {limit} per user ({setting}); wait for one to finish.")


def content_hash(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def approval_hash(plan: Plan, simulation_id: int | None,
                  hooks: Mapping[str, str] | None = None) -> str:
    """What an approval covers: content, policy, inventory version, the estimate seen and
    the named hooks that will run it (``hooks``, default the plan's approved ones)."""
    version = plan.inventory_version
    covered: dict[str, Any] = {
        "content": plan.content_hash,
        "policy": plan.options,
        "inventory": version.fingerprint if version is not None else "",
        "inventory_version": version.number if version is not None else 0,
        "simulation": simulation_id,
    }
    hooks = plan.approved_hooks if hooks is None else hooks
    if hooks:  # an approval from before hooks were covered keeps its hash
        covered["hooks"] = dict(hooks)
    return content_hash(covered)


# The hooks an approval covers when the approver names none: the built-ins.
DEFAULT_HOOKS = {"upgrade_driver": "sandbox", "vnf_manager": "none"}


def approval_hooks(hooks: Mapping[str, Any] | None) -> dict[str, str]:
    """The hook names an approval covers (the built-ins where none is named)."""
    if hooks is not None and not isinstance(hooks, Mapping):
        raise WorkflowError("hooks: an object of hook names, e.g. "
                            '{"upgrade_driver": "ansible", "vnf_manager": "vnfm"}.')
    out = dict(DEFAULT_HOOKS)
    for key, name in (hooks or {}).items():
        if key not in DEFAULT_HOOKS:
            raise WorkflowError(f"hooks: unknown hook {key!r} (upgrade_driver, vnf_manager).")
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            raise WorkflowError(f"hooks.{key}: the name of a configured hook.")
        out[key] = name
    return out


# Audit actions by which a user shapes a plan: such a user may not approve it.
SHAPING_ACTIONS = ("requested", "created", "changed", "policy changed", "replanned")


def shapers(plan: Plan) -> set[int]:
    """Everyone who created or changed the plan's content or policy."""
    ids = set(plan.events.filter(action__in=SHAPING_ACTIONS, actor__isnull=False)
              .values_list("actor_id", flat=True))
    return ids | {plan.author_id}


def awaiting_approval_by(user) -> list[Plan]:
    """The approver's inbox: submitted plans this user may approve (not one they shaped)."""
    if not roles.can_approve(user):
        return []
    from django.db.models import Exists, OuterRef

    shaped = PlanEvent.objects.filter(plan=OuterRef("pk"), actor=user, action__in=SHAPING_ACTIONS)
    return list(Plan.objects.filter(state=PlanState.SUBMITTED).exclude(author=user)
                .exclude(Exists(shaped)).select_related("author").order_by("updated"))


def plan_snapshot(plan: Plan):
    """The inventory the plan was made from (its version), as a Snapshot."""
    if plan.inventory_version_id is None:
        return load_snapshot(plan.cloud)
    return version_snapshot(plan.inventory_version)


def pure_plan(plan: Plan):
    """The plan as the cores read it: its content, bounded by its stored policy."""
    return dataclasses.replace(plan_from_dict(plan.content), options=dict(plan.options))


def plan_drift(plan: Plan) -> list[str]:
    """Why the plan no longer fits the cloud's current inventory (empty: it does)."""
    if plan.inventory_version_id is None or not plan.content:
        return []
    current = current_version(plan.cloud)
    if current.pk == plan.inventory_version_id or current.fingerprint == plan.inventory_version.fingerprint:
        return []
    return drift.plan_drift(pure_plan(plan), plan_snapshot(plan), version_snapshot(current))


def _audit(plan: Plan, user, action: str, old: str, new: str, comment: str = "") -> PlanEvent:
    event = PlanEvent.objects.create(
        plan=plan, actor=user if user and user.is_authenticated else None, action=action,
        from_state=old, to_state=new, comment=comment, content_hash=plan.content_hash,
    )
    if action in ("submitted", "approved"):  # the on-call team's webhooks
        notify(f"plan.{action}", {
            "plan": {"id": plan.pk, "name": plan.name, "state": new,
                     "url": plan.get_absolute_url()},
            "actor": event.actor.username if event.actor else "", "comment": comment})
    return event


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
        if background:
            _check_user_limit(user, "search")
        plan = Plan.objects.create(
            cloud=cloud_row,
            inventory_version=current_version(cloud_row),
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
    plan = Plan.objects.select_related("cloud", "author", "inventory_version").get(pk=plan_id)
    if plan.state != PlanState.PLANNING:
        return
    snapshot = plan_snapshot(plan)
    options = PlanOptions.from_dict(plan.options)
    try:
        pure = make_plan(plan.strategy, snapshot, options)
    except NoPlanError as exc:
        error = f"No {plan.strategy} plan is possible: {exc}"
        _finish_planning(plan, PlanState.FAILED, {}, {"ok": False, "error": error}, None, error)
        return
    except Exception as exc:
        # Whatever broke, the plan must not stay ``planning`` for ever.
        error = f"Planning failed: {type(exc).__name__}: {exc}"[:2000]
        _finish_planning(plan, PlanState.FAILED, {}, {"ok": False, "error": error}, None, error)
        raise
    content = plan_to_dict(pure, snapshot)
    report = validate(snapshot, pure)
    bound = lower_bound(snapshot, options)
    # The bound's terms travel with the verdict: the plan page shows which binds.
    validation = {**report.to_dict(), "lower_bound": bound.to_dict()}
    _finish_planning(plan, PlanState.DRAFT, content, validation, bound.value,
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
    """Replace a plan's waves and actions; revalidate; any approval is void (back to draft).

    The content cannot carry other options than the plan's policy: those are
    changed with ``change_policy``, which the approver sees.
    """
    _require(roles.can_plan(user), "change plans")
    _check_changeable(plan)
    content = dict(content)
    given = content.get("options")
    if given is not None and _canonical(given) != _canonical(plan.options):
        raise WorkflowError(
            "Plan content: options are the plan's policy and cannot change with its content; "
            "change them through the policy (PUT /api/plans/<id>/policy/)."
        )
    content["options"] = dict(plan.options)
    try:
        pure = dataclasses.replace(plan_from_dict(content), options=dict(plan.options))
    except (ValueError, KeyError, TypeError) as exc:
        raise WorkflowError(f"Plan content: {exc}") from exc
    new_hash = content_hash(content)
    if new_hash == plan.content_hash:
        return plan
    report = validate(plan_snapshot(plan), pure)
    note = comment or "content changed"
    validation = report.to_dict()
    if "lower_bound" in plan.validation:  # the same inventory and options: the same bound
        validation["lower_bound"] = plan.validation["lower_bound"]
    return _reshape(plan, user, "changed", note, content=content, content_hash=new_hash,
                    validation=validation)


def change_policy(plan: Plan, user, options: dict[str, Any], comment: str = "") -> Plan:
    """Change the options that bound the plan: revalidated under them, back to draft."""
    _require(roles.can_plan(user), "change plans")
    _check_changeable(plan)
    try:
        policy = PlanOptions.from_dict(options).to_dict()
    except (ValueError, TypeError) as exc:
        raise WorkflowError(f"Policy: {exc}") from exc
    if _canonical(policy) == _canonical(plan.options):
        return plan
    changed = sorted(k for k in policy.keys() | plan.options.keys()
                     if plan.options.get(k) != policy.get(k))
    content = {**plan.content, "options": policy} if plan.content else plan.content
    pure = dataclasses.replace(plan_from_dict(content), options=policy) if content else None
    snapshot = plan_snapshot(plan)
    report = validate(snapshot, pure).to_dict() if pure is not None else dict(plan.validation)
    # The bound depends on the policy too (waves, shares): recomputed with it.
    bound = lower_bound(snapshot, PlanOptions.from_dict(policy))
    report["lower_bound"] = bound.to_dict()
    note = comment or "policy changed: " + ", ".join(
        f"{k} {plan.options.get(k)!r} -> {policy.get(k)!r}" for k in changed)
    return _reshape(plan, user, "policy changed", note, options=policy, content=content,
                    content_hash=content_hash(content) if content else "", validation=report,
                    lower_bound_s=bound.value)


def _reshape(plan: Plan, user, action: str, note: str, **changes: Any) -> Plan:
    """Store a change of content or policy by compare-and-set: never on a plan that moved on."""
    with transaction.atomic():
        old = plan.state
        updated = Plan.objects.filter(
            pk=plan.pk, content_hash=plan.content_hash, state=old, state__in=_CHANGEABLE
        ).update(state=PlanState.DRAFT, approved_by=None, approved_hash="",
                 approved_simulation=None, approved_hooks={}, updated=timezone.now(),
                 **changes)
        if updated != 1:
            raise WorkflowError("The plan changed meanwhile (or started); reload it and try again.")
        plan.refresh_from_db()
        if old == PlanState.APPROVED:
            note += "; approval withdrawn"
        _audit(plan, user, action, old, PlanState.DRAFT, note)
    return plan


def _canonical(options: Any) -> str:
    try:
        return json.dumps(PlanOptions.from_dict(options).to_dict(), sort_keys=True)
    except (ValueError, TypeError, AttributeError):
        return json.dumps(options, sort_keys=True, default=str)


_CHANGEABLE = (PlanState.DRAFT, PlanState.SIMULATED, PlanState.SUBMITTED, PlanState.APPROVED,
               PlanState.REJECTED)


def replan(plan: Plan, user, comment: str = "") -> Plan:
    """Plan again against the cloud's current inventory version: its remaining hosts only
    (hosts already at the target are not planned), same strategy and policy; back to draft."""
    _require(roles.can_plan(user), "change plans")
    if plan.state not in (*_CHANGEABLE, PlanState.FAILED):
        raise WorkflowError(f"A plan that is {plan.state} cannot be re-planned; create a new one.")
    version = current_version(plan.cloud)
    with transaction.atomic():
        old = plan.state
        updated = Plan.objects.filter(pk=plan.pk, state=old, content_hash=plan.content_hash).update(
            state=PlanState.PLANNING, inventory_version=version, approved_by=None,
            approved_hash="", approved_simulation=None, approved_hooks={},
            updated=timezone.now())
        if updated != 1:
            raise WorkflowError("The plan changed meanwhile (or started); reload it and try again.")
        plan.refresh_from_db()
        _audit(plan, user, "replanned", old, PlanState.PLANNING,
               comment or f"against inventory {version.label}")
    compute_plan(plan.pk)
    plan.refresh_from_db()
    return plan


def _check_changeable(plan: Plan) -> None:
    if plan.state not in _CHANGEABLE:
        raise WorkflowError(f"A plan that is {plan.state} cannot change.")


def move_host(plan: Plan, user, host: str, wave: int) -> Plan:
    """Move one host to another wave (1-based; one past the last makes a new wave)."""
    _require(roles.can_plan(user), "change plans")
    _check_changeable(plan)
    snapshot = plan_snapshot(plan)
    # The host's actions and those it affects are planned again (planner.edit):
    # a move that leaves no valid plan is refused, never saved with violations.
    try:
        edited = edit.move_host(snapshot, plan_from_dict(plan.content), host, wave)
    except edit.EditRefused as exc:
        raise WorkflowError(f"Cannot move {host} to wave {wave}: " + "; ".join(exc.reasons)) from exc
    content = {**plan.content, **plan_to_dict(edited, snapshot)}
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
    if start:
        _check_user_limit(user, "simulation")
    simulation = Simulation.objects.create(
        plan=plan, runs=runs, seed=seed, params=params or {}, content_hash=plan.content_hash,
        requested_by=user, inventory_version_id=plan.inventory_version_id,
    )
    what = "what-if variant " + ", ".join(f"{k}={v}" for k, v in sorted((params or {}).items())) \
        if params else "baseline"
    PlanEvent.objects.create(
        plan=plan, actor=user if user and user.is_authenticated else None,
        action="simulation requested", from_state=plan.state, to_state=plan.state,
        comment=f"simulation {simulation.pk}: {what}, {runs} runs, seed {seed}",
        content_hash=plan.content_hash,
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


def approve_plan(plan: Plan, user, comment: str = "", simulation: int | None = None,
                 hooks: Mapping[str, Any] | None = None) -> Plan:
    """Approve what the approver saw: content, policy, inventory version, one estimate and
    the named hooks that will run it (``hooks``, the built-ins by default).

    ``simulation`` is the estimate shown to the approver (default: the latest
    baseline simulation of this content); it is pinned with the approval.
    """
    _require(roles.can_approve(user), "approve plans")
    if user.pk in shapers(plan):
        raise NotAllowed("You created or changed this plan: another approver must approve it.")
    estimate = _estimate_for(plan, simulation)
    covered = approval_hooks(hooks)
    reasons = plan_drift(plan)
    if reasons:
        raise WorkflowError("The plan is out of date with the cloud (" + "; ".join(reasons[:5])
                            + "): re-plan it first.")
    return _transition(plan, user, "approved", {PlanState.SUBMITTED}, PlanState.APPROVED,
                       comment or f"estimate: simulation {estimate.pk}", approved_by=user,
                       approved_hash=approval_hash(plan, estimate.pk, covered),
                       approved_simulation=estimate, approved_hooks=covered)


def _estimate_for(plan: Plan, simulation: int | None) -> Simulation:
    done = plan.simulations.filter(state=JobState.DONE, content_hash=plan.content_hash)
    if simulation is not None:
        chosen = done.filter(pk=simulation).first()
        if chosen is None:
            raise WorkflowError(f"Simulation {simulation} is not a finished simulation of this "
                                "plan's current content.")
        return chosen
    chosen = done.filter(params={}).order_by("-finished").first() or done.order_by("-finished").first()
    if chosen is None:
        raise WorkflowError("Simulate the plan before approving it: the approval pins an estimate.")
    return chosen


def reject_plan(plan: Plan, user, comment: str) -> Plan:
    _require(roles.can_approve(user), "reject plans")
    if not comment.strip():
        raise WorkflowError("Say why the plan is rejected (a comment is required).")
    if user.pk in shapers(plan):
        raise NotAllowed("You created or changed this plan: another approver must review it.")
    return _transition(plan, user, "rejected", {PlanState.SUBMITTED}, PlanState.REJECTED, comment)


def is_approved_as_is(plan: Plan) -> bool:
    return (plan.state in (PlanState.APPROVED, PlanState.EXECUTING)
            and bool(plan.approved_hash)
            and plan.approved_hash == approval_hash(plan, plan.approved_simulation_id,
                                                    plan.approved_hooks))


def mark_executing(plan: Plan, user) -> Plan:
    if plan.state != PlanState.APPROVED or not is_approved_as_is(plan):
        raise WorkflowError("Only an approved plan, unchanged since its approval, can run.")
    reasons = plan_drift(plan)
    if reasons:
        raise WorkflowError("The plan is out of date with the cloud (" + "; ".join(reasons[:5])
                            + "): re-plan it and have it approved again.")
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




def run_precheck(user, cloud: str | None = None):
    """Run the pre-check on the stored inventory and keep the result."""
    from planner.models import PrecheckRun
    from planner.precheck import PrecheckResult
    from planner.precheck import run_precheck as check

    cloud_row = get_cloud(cloud)
    version = current_version(cloud_row)
    snapshot = version_snapshot(version)
    result = PrecheckResult(tuple(check(snapshot)))
    return PrecheckRun.objects.create(
        cloud=cloud_row,
        inventory_version=version,
        run_by=user if user and user.is_authenticated else None,
        ok=result.ok,
        counts=result.counts(),
        items=[item.to_dict() for item in result.items],
    )
