"""An alert in a real Alertmanager pauses the execution between hosts; it runs again by itself
when the alert is resolved, and the on-call team hears each pause and resume (a real HTTP
receiver). The cloud is the in-memory one (the sandbox tests do the same on real Nova).
"""

from __future__ import annotations

import re
import threading
import time

import pytest

from executor import services
from executor.models import Execution
from tests.executor.test_api_pages import api, run_fake
from tests.executor.test_notifications import inbox  # noqa: F401  (fixture)

HELD = "held by alarm: HostDiskFull on cmp9 (critical)"
# Wave 1 is cmp1 and cmp2 together: whichever asks first is named.
WHERE = ("before cmp1", "before cmp2")
RESUMED = re.compile(r"running: before cmp[12]: alarm clear, going on")


def wait_until(condition, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def state_of(execution: Execution) -> tuple[str, str]:
    execution.refresh_from_db()
    return execution.state, execution.cause


def started(kit, alertmanager, settings):
    settings.ESCALATOR_ALERTMANAGER_URL = alertmanager.url
    alertmanager.fire("HostDiskFull", severity="critical", instance="cmp9")
    execution = services.start_execution(kit.approved(), kit.admin,
                                         {"policy": {"hold_poll_s": 0.2}})
    outcome: list[str] = []
    worker = threading.Thread(target=lambda: outcome.append(run_fake(execution.pk)[0]))
    worker.start()
    wait_until(lambda: state_of(execution)[0] == "paused", "the alarm's pause")
    where, _ = execution.cause.split(": ", 1)
    assert where in WHERE and execution.cause == f"{where}: {HELD}"
    return execution, worker, outcome, where


def test_an_alert_pauses_between_hosts_and_its_resolution_resumes_by_itself(
        kit, alertmanager, settings, inbox):  # noqa: F811
    execution, worker, outcome, where = started(kit, alertmanager, settings)
    cause = f"{where}: {HELD}"
    try:
        assert state_of(execution) == ("paused", cause)
        assert set(execution.steps.values_list("state", flat=True)) == {"pending"}
        # Resume is not the way out of a hold: the alert is (resolve or silence it).
        refused = api(kit.admin).post(f"/api/executions/{execution.pk}/resume/")
        assert refused.status_code == 409
        assert refused.json()["detail"].startswith(f"The execution is paused by a hold ({cause});"
                                                   " it runs again by itself when the hold clears")
        time.sleep(1)
        assert state_of(execution) == ("paused", cause)
        alertmanager.resolve("HostDiskFull", severity="critical", instance="cmp9")
        worker.join(60)
    finally:
        alertmanager.resolve("HostDiskFull", severity="critical", instance="cmp9")
        worker.join(60)
    assert outcome == ["done"]
    states = list(execution.events.filter(kind="execution").values_list("message", flat=True))
    assert states[1:3] + states[4:] == ["running", f"paused: {cause}", "done"], states
    assert RESUMED.fullmatch(states[3])
    got = inbox.wait_for(4)
    assert [(b["event"], b["execution"]["state"]) for b in got] == [
        ("execution.started", "queued"), ("execution.paused", "paused"),
        ("execution.resumed", "running"), ("execution.finished", "done")]
    assert got[1]["execution"]["cause"] == cause
    assert got[1]["message"] == f"paused: {cause}"
    assert RESUMED.fullmatch(got[2]["message"])


def test_the_operator_may_keep_a_held_execution_paused_after_the_alert(
        kit, alertmanager, settings, inbox):  # noqa: F811
    execution, worker, outcome, where = started(kit, alertmanager, settings)
    cause = f"{where}: {HELD}"
    try:
        paused = api(kit.admin).post(f"/api/executions/{execution.pk}/pause/")
        assert paused.status_code == 200, paused.json()
        alertmanager.resolve("HostDiskFull", severity="critical", instance="cmp9")
        worker.join(60)
    finally:
        alertmanager.resolve("HostDiskFull", severity="critical", instance="cmp9")
        worker.join(60)
    assert outcome == ["paused"]
    assert state_of(execution) == ("paused", "paused by the operator")
    assert set(execution.steps.values_list("state", flat=True)) == {"pending"}
    # Now Resume is the operator's: it runs to the end, and is told as resumed.
    services.resume(execution, kit.admin)
    assert run_fake(execution.pk)[0] == "done"
    got = inbox.wait_for(5)
    assert [b["event"] for b in got] == ["execution.started", "execution.paused",
                                         "execution.paused", "execution.resumed",
                                         "execution.finished"]
    assert [b["execution"]["cause"] for b in got[1:3]] == [cause, "paused by the operator"]
