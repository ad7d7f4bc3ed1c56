"""Starting and steering executions: every change compare-and-set and audited.

Only admins act (``planner.roles.can_execute``); every signed-in user may
watch. Long work runs as a task (``executor.tasks``): these functions
return at once with the execution to watch.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from escalator_site import roles
from escalator_site.jobs import submit
from executor.actions import Policy
from executor.choices import ACTIVE_STATES, UNDER_WAY, ExecutionState, StepState, Wanted
from executor.hook_config import SECTIONS, check, resolve
from executor.hooks import make_upgrade_driver, make_vnf_manager
from executor.models import Execution, StepRecord
from executor.steps import build_steps
from executor.store import record_event
from planner import services as planning
from planner.choices import PlanState
from planner.models import Plan
from planner.services import WorkflowError

# Notes of a step that belong to one attempt: a retry starts them afresh.
ATTEMPT_NOTES = ("attempts", "last_error", "baseline", "requested", "refused", "no_host",
                 "no_host_since")


# The task that runs an execution, by its registered name (executor.tasks).
RUN_EXECUTION = "executor.run_execution"


class ExecutionError(Exception):
    """A request refused; the message says why, to the operator."""


class NotAllowed(ExecutionError):
    pass


class Busy(ExecutionError):
    """Refused because of another execution or a concurrent change (HTTP 409)."""


def under_way_on(cloud_name: str) -> Execution | None:
    return (Execution.objects.filter(cloud_name=cloud_name, state__in=UNDER_WAY)
            .select_related("plan").first())


def _busy_message(cloud_name: str) -> str:
    other = under_way_on(cloud_name)
    if other is None:
        return (f"Cloud {cloud_name!r} got another execution at the same moment: one "
                "execution per cloud at a time.")
    return (f"Cloud {cloud_name!r} already has execution {other.pk} of plan "
            f"{other.plan.name!r} ({other.state}): one execution per cloud at a time; "
            "let it finish or abort it first.")


def _require_admin(user) -> None:
    if not roles.can_execute(user):
        raise NotAllowed("Only an admin may start or steer an execution.")


def _dispatch(execution_id: int) -> None:
    transaction.on_commit(lambda: submit(RUN_EXECUTION, execution_id))


def _config(plan: Plan, config: dict[str, Any] | None) -> dict[str, Any]:
    config = dict(config or {})
    unknown = sorted(set(config) - {"vnf_manager", "upgrade_driver", "policy", "cloud"})
    if unknown:
        raise ExecutionError(f"Unknown execution settings: {', '.join(unknown)}.")
    policy = dict(config.get("policy") or {})
    limit = (plan.options or {}).get("concurrent_migrations")
    if limit and "concurrent_migrations" not in policy:
        policy["concurrent_migrations"] = int(limit)
    keep_az = (plan.options or {}).get("keep_az")
    if keep_az is not None and "keep_az" not in policy:
        policy["keep_az"] = bool(keep_az)
    # The alarm gate is the approved plan's policy: an execution cannot loosen it.
    for key in ("alarm_mode", "alarm_ignore"):
        if key in policy:
            raise ExecutionError(f"Execution settings: policy.{key} is the plan's policy "
                                 "(covered by its approval): change the plan instead.")
        if key in (plan.options or {}):
            policy[key] = plan.options[key]
    try:
        Policy.from_dict(policy)
        for field in SECTIONS:
            check(field, config.get(field))  # never a command line or URL from a user
        make_vnf_manager(resolve("vnf_manager", config.get("vnf_manager")))
        make_upgrade_driver(resolve("upgrade_driver", config.get("upgrade_driver")),
                            "http://checked-at-run-time")
    except (ValueError, TypeError, KeyError) as exc:
        raise ExecutionError(f"Execution settings: {exc}") from exc
    config["policy"] = policy
    return config


def hook_names(config: dict[str, Any]) -> dict[str, str]:
    """The name of each hook an execution's settings pick (a built-in given inline by its
    kind; none given: the built-in)."""
    names = {}
    for field, default in planning.DEFAULT_HOOKS.items():
        value = config.get(field)
        names[field] = (value if isinstance(value, str)
                        else str(value.get("kind", "")) if isinstance(value, dict) else default)
    return names


def _check_hooks_approved(plan: Plan, config: dict[str, Any]) -> None:
    """The hooks that run the plan are the ones its approval covers (approval_hash).

    An approval from before hooks were covered (none recorded) allows any
    configured hook, as it did then."""
    approved = plan.approved_hooks or {}
    if not approved:
        return
    asked = hook_names(config)
    wrong = [f"{field} {asked[field]!r} (approved: {approved.get(field)!r})"
             for field in planning.DEFAULT_HOOKS if asked[field] != approved.get(field)]
    if wrong:
        raise ExecutionError(
            "The approval covers other hooks than this start asks for: " + "; ".join(wrong)
            + ". Start it with the approved hooks, or have the plan approved with these.")


def start_execution(plan: Plan, user, config: dict[str, Any] | None = None) -> Execution:
    """Start an approved plan, exactly as approved; returns the queued execution."""
    _require_admin(user)
    if plan.state != PlanState.APPROVED or not plan.approved_hash:
        raise ExecutionError(f"Only an approved plan can run; this one is {plan.state}.")
    if not planning.is_approved_as_is(plan):
        raise ExecutionError("The plan changed since its approval: it must be approved again.")
    stale = planning.plan_drift(plan)
    if stale:
        raise ExecutionError("The plan is out of date with the cloud: " + "; ".join(stale[:5])
                             + (f" (and {len(stale) - 5} more)" if len(stale) > 5 else "")
                             + ". Re-plan it and have it approved again.")
    if Execution.objects.filter(plan=plan, state__in=UNDER_WAY).exists():
        raise Busy("This plan already has an execution under way.")
    config = _config(plan, config)
    _check_hooks_approved(plan, config)
    pure = planning.pure_plan(plan)
    snapshot = planning.plan_snapshot(plan)
    vnf_of = {server: vnf.name for server, vnf in snapshot.vnf_of_server.items()}
    target = dict((plan.content.get("target_release") or {}).get("components") or {})
    if not target:
        target = dict(snapshot.target.versions)
    cloud_name = config.pop("cloud", "") or plan.cloud.openstack_cloud or plan.cloud.name
    if under_way_on(cloud_name) is not None:
        raise Busy(_busy_message(cloud_name))
    try:
        return _create(plan, user, config, pure, vnf_of, target, cloud_name)
    except IntegrityError as exc:  # the database's one-per-cloud rule: another start won
        raise Busy(_busy_message(cloud_name)) from exc
    except WorkflowError as exc:  # the same plan started at the same instant elsewhere
        raise Busy(f"The plan is no longer approved as it was ({exc}); another start may "
                   "have won: reload.") from exc


def _create(plan: Plan, user, config: dict[str, Any], pure, vnf_of, target,
            cloud_name: str) -> Execution:
    with transaction.atomic():
        execution = Execution.objects.create(
            plan=plan, plan_hash=plan.approved_hash, cloud_name=cloud_name, config=config,
            target_versions=target, started_by=user)
        StepRecord.objects.bulk_create([
            StepRecord(execution=execution, index=s.index, key=s.key, wave=s.wave, host=s.host,
                       kind=str(s.kind), server=s.server, action=s.action, source=s.source,
                       target=s.target or "", vnf=s.vnf)
            for s in build_steps(pure, vnf_of)])
        planning.mark_executing(plan, user)
        record_event(execution.pk, "execution", f"started by {user.username} "
                     f"({execution.steps.count()} steps on cloud {cloud_name})",
                     actor=user, state=ExecutionState.QUEUED)
        _dispatch(execution.pk)
    return execution


def _steer(execution: Execution, user, action: str, allowed: tuple[str, ...], new_state: str,
           wanted: str, comment: str = "", dispatch: bool = False) -> Execution:
    _require_admin(user)
    with transaction.atomic():
        old = Execution.objects.values_list("state", flat=True).get(pk=execution.pk)
        if old not in allowed:
            raise ExecutionError(f"Cannot {action} an execution that is {old}.")
        if Execution.objects.filter(pk=execution.pk, state=old).update(
                state=new_state, wanted=wanted) != 1:
            raise ExecutionError("The execution changed meanwhile; reload and try again.")
        record_event(execution.pk, "control", f"{action} by {user.username}"
                     + (f": {comment}" if comment else ""), actor=user, action=action,
                     from_state=old, state=new_state)
        if dispatch:
            _dispatch(execution.pk)
    execution.refresh_from_db()
    return execution


def held(execution: Execution) -> bool:
    """Paused by an alarm or a window while its worker keeps it and watches (it runs
    again by itself when the hold clears): a live lease on a paused execution."""
    return Execution.objects.filter(pk=execution.pk, state=ExecutionState.PAUSED,
                                    lease_until__gt=timezone.now()).exclude(runner="").exists()


def pause(execution: Execution, user) -> Execution:
    """Pause after the steps in flight; paused by a hold, stay paused once it clears."""
    allowed: tuple[str, ...] = (ExecutionState.QUEUED, ExecutionState.RUNNING)
    if held(execution):
        allowed += (ExecutionState.PAUSED,)
    return _steer(execution, user, "pause", allowed, ExecutionState.PAUSING, Wanted.PAUSE)


def resume(execution: Execution, user) -> Execution:
    # Not while pausing: the worker still holds it; resume once it is paused.
    if held(execution):
        execution.refresh_from_db(fields=["cause"])
        raise Busy(f"The execution is paused by a hold ({execution.cause}); it runs again by "
                   "itself when the hold clears (an alert resolved or silenced in "
                   "Alertmanager, the next maintenance window). Pause keeps it paused after "
                   "the hold; Abort ends it.")
    return _steer(execution, user, "resume", (ExecutionState.PAUSED, ExecutionState.BLOCKED),
                  ExecutionState.QUEUED, Wanted.RUN, dispatch=True)


def abort(execution: Execution, user, reason: str = "") -> Execution:
    """Start nothing new; hosts not yet upgraded go back in service, others are marked."""
    # A held execution's worker is alive: it does the abort's clean-up itself.
    idle = execution.state in (ExecutionState.PAUSED, ExecutionState.BLOCKED) and not held(
        execution)
    return _steer(execution, user, "abort",
                  (ExecutionState.QUEUED, ExecutionState.RUNNING, ExecutionState.PAUSING,
                   ExecutionState.PAUSED, ExecutionState.BLOCKED),
                  ExecutionState.QUEUED if idle else ExecutionState.ABORTING, Wanted.ABORT,
                  reason, dispatch=idle)


def _step(execution: Execution, key: str) -> StepRecord:
    step = execution.steps.filter(key=key).first()
    if step is None:
        raise ExecutionError(f"No step {key!r} in this execution.")
    return step


def retry_step(execution: Execution, user, key: str) -> Execution:
    """Run a failed step again (with fresh attempts) and continue the execution."""
    _require_admin(user)
    step = _step(execution, key)
    with transaction.atomic():
        data = {k: v for k, v in step.data.items() if k not in ATTEMPT_NOTES}
        if "moves" in data:  # a drain's moves: their attempts start afresh too
            data["moves"] = {sid: {k: v for k, v in move.items() if k not in ATTEMPT_NOTES}
                             for sid, move in data["moves"].items()}
        if StepRecord.objects.filter(pk=step.pk, state=StepState.FAILED).update(
                state=StepState.PENDING, error="", data=data, observed={}) != 1:
            raise ExecutionError(f"Step {key} is {step.state}: only a failed step is retried.")
        record_event(execution.pk, "control", f"retry {key} by {user.username}", step=key,
                     host=step.host, actor=user, action="retry")
    if execution.state in (ExecutionState.BLOCKED, ExecutionState.PAUSED):
        return resume(execution, user)
    return execution


def skip_step(execution: Execution, user, key: str, reason: str) -> Execution:
    """Mark a failed or pending step skipped (the operator did it, or it is moot)."""
    _require_admin(user)
    if not reason.strip():
        raise ExecutionError("Say why the step is skipped (a reason is required).")
    step = _step(execution, key)
    with transaction.atomic():
        if StepRecord.objects.filter(pk=step.pk, state__in=[StepState.FAILED, StepState.PENDING]
                                     ).update(state=StepState.SKIPPED, skip_reason=reason) != 1:
            raise ExecutionError(f"Step {key} is {step.state}: it cannot be skipped.")
        record_event(execution.pk, "control", f"skip {key} by {user.username}: {reason}",
                     step=key, host=step.host, actor=user, action="skip", reason=reason)
    if execution.state in (ExecutionState.BLOCKED, ExecutionState.PAUSED):
        return resume(execution, user)
    return execution


def resume_interrupted() -> list[int]:
    """Hand back to a worker every execution that one should be running.

    Called when the web process starts in embedded mode: an execution whose
    worker thread died with the previous process resumes where it stopped.
    The runner's lease keeps this safe: a worker still alive elsewhere keeps
    its execution, and a new one waits for a dead one's lease to run out.
    """
    ids = list(
        Execution.objects.filter(state__in=ACTIVE_STATES).order_by("pk").values_list("pk", flat=True)
    )
    for execution_id in ids:
        submit(RUN_EXECUTION, execution_id)
    return ids
