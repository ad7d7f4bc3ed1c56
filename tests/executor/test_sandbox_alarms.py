"""An alert fired in a real Alertmanager pauses a real-Nova execution between hosts.

cmp1 goes first; while it upgrades, a critical alert fires in Alertmanager:
cmp3 does not start (its nova-compute stays enabled, its steps pending), the
execution is paused with the alert named as its cause, and the on-call
receiver hears "execution.paused"; once the alert is resolved the execution
runs again by itself ("execution.resumed") and ends done. An ignored alert
never holds.
"""

from __future__ import annotations

import threading
import time

import pytest

from executor import services
from executor.runner import run_execution
from planner.services import approval_hash
from tests.executor.helpers import PATIENT, sandbox_config, two_wave_plan
from tests.executor.test_notifications import inbox  # noqa: F401  (fixture)

pytestmark = [pytest.mark.sandbox]


def wait_until(condition, timeout: float = 90.0, what: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def test_an_alert_pauses_before_the_next_host_and_resolving_it_resumes_the_execution(
        sandbox, kit, alertmanager, settings, inbox):  # noqa: F811
    settings.ESCALATOR_ALERTMANAGER_URL = alertmanager.url
    cloud = sandbox.cloud()
    plan = kit.approved(two_wave_plan())
    plan.options = {**plan.options, "alarm_mode": "strict", "alarm_ignore": ["Watchdog"]}
    plan.approved_hash = approval_hash(plan, None)
    plan.save(update_fields=["options", "approved_hash"])
    alertmanager.fire("Watchdog", severity="none")  # always firing, ignored by the plan

    execution = services.start_execution(plan, kit.admin,
                                         sandbox_config(hold_poll_s=0.3, **PATIENT))
    assert execution.config["policy"]["alarm_ignore"] == ["Watchdog"]
    outcome: list[str] = []
    worker = threading.Thread(target=lambda: outcome.append(run_execution(execution.pk)))
    worker.start()
    try:
        wait_until(lambda: execution.steps.filter(host="cmp1", kind="upgrade",
                                                  state="done").exists(),
                   what="cmp1's upgrade")
        alertmanager.fire("NovaComputeDown", severity="critical", instance="cmp4",
                          summary="nova-compute on cmp4 is down")
        held = wait_until(lambda: execution.events.filter(kind="alarm",
                                                          data__holding=True).first(),
                          what="the alarm hold")
        assert held.message == ("before cmp3: held by alarm: NovaComputeDown on cmp4 "
                                "(critical, nova-compute on cmp4 is down)")
        assert held.data["reasons"] == ["NovaComputeDown on cmp4 (critical, nova-compute on "
                                        "cmp4 is down)"]
        time.sleep(2)  # held, not just late: nothing of cmp3 starts meanwhile
        execution.refresh_from_db()
        assert (execution.state, execution.cause) == ("paused", held.message)
        assert set(execution.steps.filter(host="cmp3").values_list("state", flat=True)) == {
            "pending"}
        assert set(execution.steps.filter(host="cmp1").values_list("state", flat=True)) == {
            "done"}
        assert cloud.compute_service("cmp3").status == "enabled"

        alertmanager.resolve("NovaComputeDown", severity="critical", instance="cmp4")
        worker.join(180)
    finally:
        alertmanager.resolve("NovaComputeDown", severity="critical", instance="cmp4")
        worker.join(180)

    assert outcome == ["done"]
    execution.refresh_from_db()
    assert execution.cause == ""
    alarm_events = list(execution.events.filter(kind="alarm").values_list("seq", "message"))
    assert [m for _, m in alarm_events] == [held.message, "before cmp3: alarm clear, going on"]
    first_cmp3 = execution.events.filter(host="cmp3", kind="step").order_by("seq").first()
    assert first_cmp3.seq > alarm_events[-1][0]
    assert cloud.compute_service("cmp3").status == "enabled"
    states = [(m, d.get("state")) for m, d in execution.events.filter(kind="execution")
              .order_by("seq").values_list("message", "data")]
    assert states[1:5] == [("running", "running"), (f"paused: {held.message}", "paused"),
                           ("running: before cmp3: alarm clear, going on", "running"),
                           ("done", "done")]
    got = inbox.wait_for(4)
    assert [(b["event"], b["execution"]["state"]) for b in got] == [
        ("execution.started", "queued"), ("execution.paused", "paused"),
        ("execution.resumed", "running"), ("execution.finished", "done")]
    assert got[1]["execution"]["cause"] == held.message
