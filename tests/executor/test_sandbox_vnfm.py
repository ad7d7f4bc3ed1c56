"""The VNF manager asked, not told, on the real Nova sandbox (docs/vnfm.md).

The reference VNF manager (sandbox/vnfm.py) runs as its own process and
answers on the reply URL of the real site (daphne, its own process too) as
each test configures it: promptly, late, never, with an error, with a
refusal, or with OWN_ACTION (then it live-migrates its instance itself
through the sandbox's compute API). The worker runs here.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest

from domain.plan import ActionKind, HostStep, ServerAction, Wave
from domain.plan import Plan as PurePlan
from executor import services
from executor.models import ExecutionEvent, VnfmSession
from executor.runner import run_execution
from inventory.services import replace_inventory
from planner.options import PlanOptions
from planner.services import approval_hash
from sandbox.seed import small_cloud
from tests.executor.helpers import (
    PATIENT,
    migrations_since,
    newest_migration_id,
    one_host_plan,
    run_to_end,
    sandbox_config,
    two_wave_plan,
)
from tests.executor.vnfm_helpers import VnfmProcess, fenix_hooks
from tests.livesite import LiveSite

pytestmark = [pytest.mark.sandbox]


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker):
    from django.db import connection

    with django_db_blocker.unblock():
        live = LiveSite(connection.settings_dict)
    yield live
    live.stop()


@pytest.fixture
def vnfm_of(sandbox):
    started: list[VnfmProcess] = []

    def start(mode: str, *args: str) -> VnfmProcess:
        started.append(VnfmProcess(mode, *args))
        return started[-1]

    yield start
    for process in started:
        process.stop()


def start(kit, settings, site, vnfm, pure=None, **options):
    """An approved plan under ``options`` (covered by the approval), started with the VNFM."""
    settings.ESCALATOR_HOOKS = fenix_hooks(vnfm, site.url)
    plan = kit.approved(pure or one_host_plan())
    plan.options = PlanOptions.from_dict({**plan.options, **options}).to_dict()
    plan.approved_hash = approval_hash(plan, None)
    plan.save(update_fields=["options", "approved_hash"])
    return services.start_execution(plan, kit.admin,
                                     {**sandbox_config(**PATIENT), "vnf_manager": "vnfm"})


def log(execution, *kinds: str) -> list[ExecutionEvent]:
    return list(ExecutionEvent.objects.filter(execution=execution, kind__in=kinds)
                .order_by("seq"))


def first(events, starting: str) -> ExecutionEvent:
    return next(e for e in events if e.message.startswith(starting))


def moves(cloud, baseline: int) -> dict[str, list[tuple[str, str]]]:
    """Server name -> its migrations since ``baseline``: (Nova's kind, destination)."""
    names = {s.id: s.name for s in cloud.servers()}
    out: dict[str, list[tuple[str, str]]] = {}
    for m in migrations_since(cloud, baseline):
        out.setdefault(names[m.server_id], []).append((m.kind, m.dest_host))
    return out


def test_a_prompt_reply_is_honoured_and_the_vnfm_hears_the_host_go_and_come_back(
        sandbox, kit, settings, site, vnfm_of):
    vnfm = vnfm_of("prompt", "--action", "MIGRATE")  # the plan live-migrates: the VNFM wants cold
    execution = start(kit, settings, site, vnfm, vnfm_reply_s=30)
    cloud = sandbox.cloud()
    baseline = newest_migration_id(cloud)

    assert run_to_end(execution) == "done"
    assert moves(cloud, baseline) == {"fw-a": [("migration", "cmp3")],
                                      "lb-1": [("migration", "cmp4")]}
    heard = [e["state"] for e in vnfm.log() if e["event"] == "received"]
    assert heard == ["PREPARE_MAINTENANCE", "IN_MAINTENANCE", "MAINTENANCE_COMPLETE"]
    project = cloud.servers()[0].project_id
    said = [e.message for e in log(execution, "vnfm")]
    assert [m.split(";")[0] for m in said] == [
        f"vnfm: maintenance notification for cmp1 sent to project {project} (fw-a, lb-1)",
        f"vnfm: reply from project {project} for cmp1: fw-a MIGRATE, lb-1 MIGRATE",
        f"vnfm: project {project} chose for cmp1: fw-a MIGRATE, lb-1 MIGRATE",
        f"vnfm: cmp1 in maintenance (IN_MAINTENANCE) told to project(s) {project}",
        f"vnfm: cmp1 back in service (MAINTENANCE_COMPLETE) told to project(s) {project}"]
    assert first(log(execution, "vnfm"), "vnfm: project").data["actions"] == {
        "fw-a": "MIGRATE", "lb-1": "MIGRATE"}


def test_a_late_reply_within_the_deadline_is_waited_for_and_honoured(
        sandbox, kit, settings, site, vnfm_of):
    # fw-a is switched over (the VNFM's only choice: OWN_ACTION, its reply is the
    # switchover), lb-1 live-migrated.
    pure = PurePlan("custom", "2026.2", (Wave((HostStep("cmp1", (
        ServerAction("fw-a", ActionKind.SWITCHOVER, "cmp1"),
        ServerAction("lb-1", ActionKind.LIVE_MIGRATE, "cmp1", "cmp4"))),)),))
    vnfm = vnfm_of("late", "--delay", "3", "--action", "LIVE_MIGRATE")
    execution = start(kit, settings, site, vnfm, pure, vnfm_reply_s=30)
    cloud = sandbox.cloud()
    baseline = newest_migration_id(cloud)

    assert run_to_end(execution) == "done"
    events = log(execution, "vnfm", "log")
    sent = first(events, "vnfm: maintenance notification")
    replied = first(events, "vnfm: reply from")
    moved = first(events, "live-migrate ")
    assert (replied.at - sent.at).total_seconds() >= 3
    assert replied.message.endswith("cmp1: fw-a OWN_ACTION, lb-1 LIVE_MIGRATE")
    assert moved.seq > replied.seq  # nothing moved before the reply
    assert moves(cloud, baseline) == {"lb-1": [("live-migration", "cmp4")]}
    switched = execution.steps.get(key__endswith="switchover.fw-a")
    assert switched.data["vnfm_action"] == "OWN_ACTION"
    fw_a = next(s for s in cloud.servers() if s.name == "fw-a")
    assert (fw_a.status, fw_a.host) == ("ACTIVE", "cmp1")  # stopped in place, restored


def test_a_silent_vnfm_hits_the_deadline_and_the_plan_proceeds(
        sandbox, kit, settings, site, vnfm_of):
    vnfm = vnfm_of("never")
    execution = start(kit, settings, site, vnfm, vnfm_reply_s=3, vnfm_timeout="proceed")

    assert run_to_end(execution) == "done"
    events = log(execution, "vnfm", "log")
    sent = first(events, "vnfm: maintenance notification")
    gave_up = first(events, "vnfm: no reply from project")
    assert "the plan's policy proceeds with its own actions (fw-a, lb-1)" in gave_up.message
    assert (first(events, "live-migrate ").at - sent.at).total_seconds() >= 3
    assert VnfmSession.objects.get(execution=execution).state == "expired"
    assert [e["state"] for e in vnfm.log()] == [
        "PREPARE_MAINTENANCE", "IN_MAINTENANCE", "MAINTENANCE_COMPLETE"]


def test_a_silent_vnfm_pauses_the_execution_when_the_plan_says_so(
        sandbox, kit, settings, site, vnfm_of):
    vnfm = vnfm_of("never")
    execution = start(kit, settings, site, vnfm, vnfm_reply_s=2, vnfm_timeout="pause")
    cloud = sandbox.cloud()
    baseline = newest_migration_id(cloud)

    outcome = run_to_end(execution)
    assert outcome.startswith("paused: paused: vnfm: no reply from project ")
    assert outcome.endswith("for cmp1 by " + outcome.split(" by ")[1].split(";")[0]
                            + "; the plan's policy pauses the execution")
    assert moves(cloud, baseline) == {}
    assert {s.name: s.host for s in cloud.servers()}["fw-a"] == "cmp1"
    assert execution.steps.get(key__endswith="move.fw-a").state == "pending"


def test_a_refusal_pauses_the_execution_with_the_vnfms_reason(
        sandbox, kit, settings, site, vnfm_of):
    vnfm = vnfm_of("nack", "--reason", "firewall rule sync in progress")
    execution = start(kit, settings, site, vnfm, vnfm_reply_s=30)

    outcome = run_to_end(execution)
    assert outcome.startswith("paused: paused: vnfm: project ")
    assert outcome.endswith("refused the maintenance of cmp1: firewall rule sync in progress")
    assert vnfm.wait_for("replied")[0]["status"] == 200


def test_an_abort_ends_the_wait_for_a_reply_at_once(sandbox, kit, settings, site, vnfm_of):
    vnfm = vnfm_of("never")
    execution = start(kit, settings, site, vnfm, vnfm_reply_s=300)
    outcome: list[str] = []
    worker = threading.Thread(target=lambda: outcome.append(run_execution(execution.pk)))
    worker.start()
    vnfm.wait_for("received")
    asked = time.monotonic()
    services.abort(execution, kit.admin, "no answer from the VNFM")
    worker.join(60)
    assert outcome == ["aborted"]
    assert time.monotonic() - asked < 15  # not the 300 s deadline
    assert sandbox.cloud().compute_service("cmp1").status == "enabled"


def test_an_error_reply_is_refused_and_changes_nothing_then_the_deadline_decides(
        sandbox, kit, settings, site, vnfm_of):
    vnfm = vnfm_of("error")
    execution = start(kit, settings, site, vnfm, vnfm_reply_s=4, vnfm_timeout="proceed")
    cloud = sandbox.cloud()
    baseline = newest_migration_id(cloud)

    assert run_to_end(execution) == "done"
    (answer,) = vnfm.wait_for("replied")
    assert answer["status"] == 400
    assert "'REBOOT' is not allowed (allowed: LIVE_MIGRATE, MIGRATE, OWN_ACTION)" in (
        answer["answer"]["detail"])
    session = VnfmSession.objects.get(execution=execution)
    assert (session.state, session.reply, session.replied) == ("expired", {}, None)
    assert moves(cloud, baseline) == {"fw-a": [("live-migration", "cmp3")],
                                      "lb-1": [("live-migration", "cmp4")]}


def test_own_action_the_vnfm_moves_its_instance_itself_and_the_executor_waits(
        sandbox, kit, settings, site, vnfm_of):
    # The plan sends fw-a to cmp3; the VNFM takes it to cmp4 itself.
    vnfm = vnfm_of("own_action", "--own-vnf", "firewall", "--to-host", "cmp4",
                   "--cloud", "sandbox")
    execution = start(kit, settings, site, vnfm, vnfm_reply_s=30)
    cloud = sandbox.cloud()
    baseline = newest_migration_id(cloud)

    assert run_to_end(execution) == "done"
    assert vnfm.wait_for("own_action_done")[0]["host"] == "cmp4"
    assert moves(cloud, baseline) == {"fw-a": [("live-migration", "cmp4")],
                                      "lb-1": [("live-migration", "cmp4")]}
    messages = [e.message for e in log(execution, "log")]
    assert not any(m.startswith("live-migrate fw-a") for m in messages)
    assert any(m.startswith("fw-a: the VNF manager takes it off cmp1 itself") for m in messages)
    assert any(m.startswith("fw-a: the VNF manager's own action is done: ACTIVE on cmp4")
               for m in messages)
    move = execution.steps.get(key__endswith="move.fw-a")
    assert (move.data["vnfm_action"], move.observed["moved"]) == ("OWN_ACTION", False)


def test_recovery_time_spaces_the_members_of_a_vnf(sandbox, kit):
    # loadbalancer: 20 s after lb-1 is back (its migration done) before lb-2 goes; the
    # upgrade of cmp1 between them takes less than that.
    seed = small_cloud()
    vnfs = tuple(replace(v, recovery_time_s=20.0) if v.name == "loadbalancer" else v
                 for v in seed.vnfs)
    replace_inventory(replace(seed, vnfs=vnfs))
    pure = two_wave_plan()
    execution = services.start_execution(kit.approved(pure), kit.admin, sandbox_config(**PATIENT))

    assert run_to_end(execution) == "done"
    events = log(execution, "log", "step", "recovery")
    back = first(events, "live-migrate lb-1 cmp1 -> cmp4: done")
    waited = first(events, "recovery_time: lb-2 waits")
    gone = first(events, "live-migrate lb-2 cmp3 -> cmp1, attempt")
    assert "lb-1 of loadbalancer came back" in waited.message
    assert (gone.at - back.at).total_seconds() >= 20.0
    assert waited.data["until"] - waited.data["back_at"] == 20.0
