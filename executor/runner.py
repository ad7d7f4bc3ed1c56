"""The worker's half: claim an execution, run its machine, store the outcome.

An execution is held through a lease (``Execution.runner``, ``lease_until``)
that a heartbeat thread renews. A worker killed at any moment (SIGKILL)
leaves its lease to run out; the next worker (a restarted process, or
Celery delivering the task again: tasks are acked late) waits for that,
takes the execution over and continues from the stored step records.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db import close_old_connections
from django.db.models import Q
from django.utils import timezone

from executor import alarms
from executor.actions import Policy
from executor.choices import ACTIVE_STATES, ExecutionState, Wanted
from executor.clouds import clouds_yaml
from executor.expected import expectations
from executor.holds import Holds
from executor.hook_config import resolve
from executor.hooks import make_upgrade_driver, make_vnf_manager
from executor.machine import Machine, Outcome, RunResult
from executor.models import Execution
from executor.steps import StepKind, StepSpec
from executor.store import DjangoStore, record_event
from executor.vnfm import VnfRules
from executor.vnfm_channel import exchange as vnfm_exchange
from executor.windows import WindowHold
from planner.options import PlanOptions

logger = logging.getLogger(__name__)


def lease_seconds() -> float:
    """How long a silent worker keeps an execution (env ESCALATOR_EXECUTION_LEASE_S)."""
    return float(os.environ.get("ESCALATOR_EXECUTION_LEASE_S", "15"))


def sandbox_control_url(cloud_name: str) -> str:
    """The sandbox's control endpoint, written in its clouds.yaml entry (if any)."""
    path = Path(clouds_yaml())
    if not path.exists():
        return ""
    entry = (yaml.safe_load(path.read_text()) or {}).get("clouds", {}).get(cloud_name, {})
    return entry.get("escalator_sandbox_control", "")


def connect(cloud_name: str) -> Any:
    """The cloud port for a clouds.yaml entry (the only place the adapter is built)."""
    from executor.openstack_adapter import OpenStackCloud

    clouds_yaml()
    return OpenStackCloud.from_cloud(cloud_name, timeout=60)


def _claim(execution_id: int, token: str) -> bool:
    now = timezone.now()
    free = Q(runner="") | Q(lease_until__lt=now) | Q(lease_until__isnull=True)
    return Execution.objects.filter(pk=execution_id, state__in=ACTIVE_STATES).filter(free).update(
        runner=token, lease_until=now + timedelta(seconds=lease_seconds())) == 1


def claim(execution_id: int, token: str, wait: bool = True) -> bool:
    """Take the execution; wait (at most two leases) for a dead worker's lease to end."""
    deadline = time.monotonic() + 2 * lease_seconds() + 1
    while True:
        if _claim(execution_id, token):
            return True
        row = Execution.objects.filter(pk=execution_id).values("state", "runner").first()
        if not wait or row is None or row["state"] not in ACTIVE_STATES:
            return False
        if time.monotonic() > deadline:
            return False
        time.sleep(0.25)


class _Heartbeat(threading.Thread):
    def __init__(self, execution_id: int, token: str) -> None:
        super().__init__(name=f"lease-{execution_id}", daemon=True)
        self.execution_id = execution_id
        self.token = token
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(lease_seconds() / 3):
                Execution.objects.filter(pk=self.execution_id, runner=self.token).update(
                    lease_until=timezone.now() + timedelta(seconds=lease_seconds()))
        finally:
            close_old_connections()


def _closing(fn):
    def run():
        try:
            return fn()
        finally:
            close_old_connections()
    return run


def specs_of(execution: Execution) -> list[StepSpec]:
    return [StepSpec(key=r.key, index=r.index, wave=r.wave, host=r.host, kind=StepKind(r.kind),
                     server=r.server, action=r.action, source=r.source, target=r.target or None,
                     vnf=r.vnf) for r in execution.steps.order_by("index")]


def plan_label(execution: Execution) -> str:
    return (f"plan '{execution.plan.name}' (execution {execution.pk}) to "
            f"{execution.plan.target_release or 'target'}")


def build_machine(execution: Execution, token: str, cloud: Any = None,
                  upgrade_driver: Any = None) -> Machine:
    """The machine of ``execution``; ``cloud``/``upgrade_driver`` replace the configured ones."""
    config = execution.config or {}
    specs = specs_of(execution)
    policy = Policy.from_dict(config.get("policy"))
    store = DjangoStore(execution.pk, token)
    # The approved plan's policy: windows, canary and soak (the approval covers them).
    options = PlanOptions.from_dict(execution.plan.options)
    vnf_manager = resolve("vnf_manager", config.get("vnf_manager"))
    vnfs = vnf_rules(execution)
    return Machine(
        specs, cloud or connect(execution.cloud_name),
        store,
        vnf_manager=make_vnf_manager(vnf_manager),
        upgrade_driver=upgrade_driver or make_upgrade_driver(
            resolve("upgrade_driver", config.get("upgrade_driver")),
            sandbox_control_url(execution.cloud_name)),
        policy=policy,
        plan_label=plan_label(execution),
        target_versions=execution.target_versions,
        thread_wrapper=_closing,
        expected_s=expectations(execution, specs),
        holds=holds_of(policy, options, store),
        soaks=soaks_of(options, 1 + max((s.wave for s in specs), default=0)),
        canary=options.canary,
        vnfm=(vnfm_exchange(execution, vnf_manager, options, store.emit, vnfs,
                            plan_label(execution))
              if (vnf_manager or {}).get("kind") == "fenix" else None),
        vnfs=vnfs,
    )


def vnf_rules(execution: Execution) -> dict[str, VnfRules]:
    """Each VNF's maintenance constraints, from the inventory the plan was made from."""
    from planner.services import plan_snapshot

    return {v.name: VnfRules(v.recovery_time_s, v.lead_time_s, str(v.migration_type))
            for v in plan_snapshot(execution.plan).vnfs}


def holds_of(policy: Policy, options: PlanOptions, store: DjangoStore) -> Holds | None:
    """What may hold the next host: the Alertmanager's alerts (settings
    ESCALATOR_ALERTMANAGER_URL) under the plan's alarm policy, and the plan's
    maintenance windows."""
    holds: list[Any] = [h for h in (alarms.gate(settings.ESCALATOR_ALERTMANAGER_URL,
                                                policy.alarm_mode, policy.alarm_ignore),)
                        if h is not None]
    schedule = options.schedule()
    if not schedule.always:
        holds.append(WindowHold(schedule))
    return (Holds(holds, say=store.emit, poll_s=policy.hold_poll_s, pause=store.pause_held,
                  resume=store.resume_held) if holds else None)


def soaks_of(options: PlanOptions, waves: int) -> dict[int, float]:
    return {w: options.soak_before(w) for w in range(1, waves)}


FINAL_OF = {
    Outcome.DONE: ExecutionState.DONE,
    Outcome.PAUSED: ExecutionState.PAUSED,
    Outcome.ABORTED: ExecutionState.ABORTED,
    Outcome.BLOCKED: ExecutionState.BLOCKED,
}


def run_execution(execution_id: int, cloud: Any = None, upgrade_driver: Any = None) -> str:
    """Run (or continue) an execution until it ends, pauses or blocks; returns its state."""
    token = uuid.uuid4().hex
    if not claim(execution_id, token):
        return "not claimed"
    heartbeat = _Heartbeat(execution_id, token)
    heartbeat.start()
    try:
        # Started before: this run resumes it (the on-call team hears "resumed").
        resumed = Execution.objects.filter(pk=execution_id, started__isnull=False,
                                           wanted=Wanted.RUN).exists()
        Execution.objects.filter(pk=execution_id, runner=token, started__isnull=True).update(
            started=timezone.now())
        if Execution.objects.filter(pk=execution_id, runner=token,
                                    state=ExecutionState.QUEUED).update(
                state=ExecutionState.RUNNING) == 1:
            record_event(execution_id, "execution", "running", state=ExecutionState.RUNNING,
                         **({"resumed": True} if resumed else {}))
        execution = Execution.objects.select_related("plan").get(pk=execution_id)
        try:
            result = build_machine(execution, token, cloud, upgrade_driver).run()
        except Exception as exc:  # the cloud unreachable, a bad config, a bug: show it
            logger.exception("execution %s stopped", execution_id)
            result = RunResult(Outcome.BLOCKED, f"{type(exc).__name__}: {exc}")
        # An injected port (a test's fake cloud) is not the cloud the inventory reads.
        return _finish(execution, token, result, refresh=cloud is None)
    finally:
        heartbeat.stopped.set()
        heartbeat.join(timeout=5)
        Execution.objects.filter(pk=execution_id, runner=token).update(runner="",
                                                                       lease_until=None)


def _finish(execution: Execution, token: str, result: RunResult, refresh: bool = True) -> str:
    if result.outcome is Outcome.LOST:
        return "lost"
    state = FINAL_OF[result.outcome]
    final = state in (ExecutionState.DONE, ExecutionState.ABORTED)
    updated = Execution.objects.filter(pk=execution.pk, runner=token).update(
        state=state, cause=result.cause, finished=timezone.now() if final else None)
    if updated != 1:
        return "lost"
    record_event(execution.pk, "execution", f"{state}" + (f": {result.cause}" if result.cause
                                                          else ""),
                 state=str(state), cause=result.cause, step=result.failed_step)
    if final:
        from executor.plan_state import plan_finished
        from executor.refresh import refresh_after_execution

        plan_finished(execution, state)
        # The cloud has changed under the execution: the inventory shows it now.
        refreshed = (refresh_after_execution(execution.plan.cloud.name, execution.cloud_name)
                     if refresh else None)
        if refreshed is not None:
            record_event(execution.pk, "execution",
                         f"inventory refreshed from the cloud: version {refreshed.version}, "
                         f"{len(refreshed.changes)} changes", version=refreshed.version)
    return str(state)
