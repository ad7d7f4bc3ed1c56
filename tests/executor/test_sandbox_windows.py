"""Maintenance windows, canary and soak on the real Nova sandbox.

- a window that ends while cmp1 is upgraded: cmp1 is finished (a host in
  progress is not cut), the execution is paused before cmp3 with the window
  as its cause (the on-call receiver hears it) and runs again by itself when
  the next window opens;
- a canary whose host breaks during its soak: the health check at the soak's
  end blocks the execution before wave 2 starts.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from executor import services
from executor.runner import run_execution
from planner.options import PlanOptions
from planner.services import approval_hash
from tests.executor.helpers import PATIENT, sandbox_config, two_wave_plan
from tests.executor.test_notifications import inbox  # noqa: F401  (fixture)

pytestmark = [pytest.mark.sandbox]

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def window(start: datetime, end: datetime) -> dict:
    return {"days": [DAYS[start.weekday()]], "start": start.strftime("%H:%M:%S"),
            "end": end.strftime("%H:%M:%S")}


def with_policy(kit, **options):
    plan = kit.approved(two_wave_plan())
    plan.options = PlanOptions.from_dict({**plan.options, **options}).to_dict()
    plan.approved_hash = approval_hash(plan, None)
    plan.save(update_fields=["options", "approved_hash"])
    return plan


def test_a_window_that_ends_mid_host_pauses_between_hosts_and_the_next_window_resumes(
        sandbox, kit, inbox):  # noqa: F811
    now = datetime.now(UTC).replace(microsecond=0)
    first_end = now + timedelta(seconds=6)
    second = (now + timedelta(seconds=45), now + timedelta(seconds=600))
    plan = with_policy(kit, maintenance_windows=[window(now - timedelta(seconds=60), first_end),
                                                 window(*second)])
    execution = services.start_execution(plan, kit.admin,
                                         sandbox_config(hold_poll_s=0.3, **PATIENT))
    outcome: list[str] = []
    worker = threading.Thread(target=lambda: outcome.append(run_execution(execution.pk)))
    worker.start()
    deadline = time.monotonic() + 120
    while not execution.events.filter(kind="window", data__holding=True).exists():
        assert time.monotonic() < deadline and worker.is_alive(), "never held by the window"
        time.sleep(0.2)
    execution.refresh_from_db()
    paused = (execution.state, execution.cause)
    worker.join(300)

    assert outcome == ["done"]
    assert paused[0] == "paused"
    assert paused[1].startswith("before cmp3: held by window: outside the maintenance windows")
    got = inbox.wait_for(4)
    assert [b["event"] for b in got] == ["execution.started", "execution.paused",
                                         "execution.resumed", "execution.finished"]
    assert got[1]["execution"]["cause"] == paused[1]
    assert got[2]["message"] == "running: before cmp3: window clear, going on"
    execution.refresh_from_db()
    cmp1 = list(execution.steps.filter(host="cmp1").order_by("index"))
    cmp3 = list(execution.steps.filter(host="cmp3").order_by("index"))
    # cmp1 began inside the first window and was finished past its end.
    assert cmp1[0].started_at < first_end.timestamp() < cmp1[-1].finished_at
    # cmp3 waited for the second window.
    assert cmp3[0].started_at >= second[0].timestamp()
    held = [(e.message, e.data["holding"]) for e in execution.events.filter(kind="window")]
    opens = second[0].strftime("%a %Y-%m-%d %H:%M:%S UTC")
    assert held[0][0].startswith("before cmp3: held by window: outside the maintenance windows (")
    assert held[0][0].endswith(f"the next opens {opens}")
    assert held == [(held[0][0], True), ("before cmp3: window clear, going on", False)]
    assert execution.cause == ""


def test_a_canary_that_breaks_during_its_soak_stops_before_wave_2(sandbox, kit):
    cloud = sandbox.cloud()
    plan = with_policy(kit, canary=True, canary_soak_s=15)
    execution = services.start_execution(plan, kit.admin, sandbox_config(**PATIENT))
    outcome: list[str] = []
    worker = threading.Thread(target=lambda: outcome.append(run_execution(execution.pk)))
    worker.start()
    try:
        deadline = time.monotonic() + 120
        while not execution.events.filter(kind="soak").exists():
            assert time.monotonic() < deadline, "the canary soak never began"
            time.sleep(0.2)
        sandbox.control("POST", "/hosts/cmp1/stop")  # the canary's compute dies
        execution.refresh_from_db()
        assert (execution.state, execution.cause) == ("running",
                                                      "canary soak after wave 1: 15 s")
        worker.join(120)
    finally:
        sandbox.control("POST", "/hosts/cmp1/start")
    assert outcome == ["blocked"]
    execution.refresh_from_db()
    assert execution.cause == ("canary soak after wave 1: health check failed: "
                               "cmp1: nova-compute down/enabled")
    assert list(execution.events.filter(kind="soak").values_list("message", flat=True)) == [
        "canary soak after wave 1: 15 s"]
    assert set(execution.steps.filter(host="cmp1").values_list("state", flat=True)) == {"done"}
    assert set(execution.steps.filter(host="cmp3").values_list("state", flat=True)) == {
        "pending"}
    assert cloud.compute_service("cmp3").status == "enabled"
