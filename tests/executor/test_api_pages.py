"""Starting and steering executions over REST and in pages; reports; who may do what.

The worker runs here on an in-memory cloud (tests/executor/fakes.py): the
real cloud is exercised by the sandbox tests.
"""

from __future__ import annotations

import csv
import io

import pytest
from rest_framework.test import APIClient

from executor.models import Execution
from executor.runner import run_execution
from planner import services as plan_services
from tests.executor.fakes import FakeCloud, FakeUpgrade
from tests.executor.helpers import TARGET_VERSIONS


def sandbox_like_cloud() -> FakeCloud:
    return FakeCloud({"cmp1": [("fw-a", "ACTIVE"), ("lb-1", "ACTIVE")],
                      "cmp2": [("fw-b", "ACTIVE"), ("batch-1", "SHUTOFF")],
                      "cmp3": [("lb-2", "ACTIVE")], "cmp4": [("lb-3", "ACTIVE")]})


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def run_fake(execution_id: int) -> tuple[str, FakeCloud]:
    cloud = sandbox_like_cloud()
    state = run_execution(execution_id, cloud=cloud,
                          upgrade_driver=FakeUpgrade(cloud, versions=TARGET_VERSIONS))
    return state, cloud


def test_only_an_admin_starts_and_only_an_approved_plan_as_approved(kit):
    plan = kit.approved()
    refused = api(kit.approver).post("/api/executions/start/", {"plan": plan.pk}, format="json")
    assert (refused.status_code, refused.json()) == (
        403, {"detail": "Only an admin may start or steer an execution."})

    draft = kit.approved(state="submitted")
    answer = api(kit.admin).post("/api/executions/start/", {"plan": draft.pk}, format="json")
    assert (answer.status_code, answer.json()) == (
        400, {"detail": "Only an approved plan can run; this one is submitted."})

    plan.content_hash = "0" * 64
    plan.save(update_fields=["content_hash"])
    answer = api(kit.admin).post("/api/executions/start/", {"plan": plan.pk}, format="json")
    assert answer.json() == {
        "detail": "The plan changed since its approval: it must be approved again."}
    assert Execution.objects.count() == 0


def test_an_admin_starts_over_rest_and_everyone_reads_the_report(kit):
    plan = kit.approved()
    answer = api(kit.admin).post("/api/executions/start/", {"plan": plan.pk}, format="json")
    assert answer.status_code == 202
    body = answer.json()
    assert (body["state"], body["plan_hash"], body["events_ws"]) == (
        "queued", plan.approved_hash, f"/ws/executions/{body['id']}/")
    assert kit.dispatched == [body["id"]]
    plan.refresh_from_db()
    assert plan.state == "executing"
    assert list(plan.events.values_list("action", flat=True))[-1] == "execution started"

    state, cloud = run_fake(body["id"])
    assert state == "done"
    plan.refresh_from_db()
    assert plan.state == "executed"

    detail = api(kit.viewer).get(f"/api/executions/{body['id']}/").json()
    assert detail["state"] == "done"
    assert [s["kind"] for s in detail["steps"] if s["host"] == "cmp1"] == [
        "precheck", "disable", "switchover", "move", "drain", "upgrade", "verify", "enable",
        "restore"]
    report = api(kit.viewer).get(f"/api/executions/{body['id']}/report/").json()
    assert len(report["steps"]) == len(detail["steps"])
    assert {v["vnf"]: (v["switchovers"], v["migrations"]) for v in report["vnfs"]} == {
        "firewall": (1, 2), "loadbalancer": (0, 3)}
    assert set(report["calibration"]["suggested_params"]) == {
        "cold_migration_overhead_s", "disable_s", "enable_s", "migration_overhead_s",
        "start_s", "stop_s", "switchover_s", "upgrade_s", "verify_s"}
    from simulator.params import SimParams

    SimParams.from_dict(report["calibration"]["suggested_params"])  # usable as is
    text = api(kit.viewer).get(f"/api/executions/{body['id']}/report/?as=csv").content.decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["key", "wave", "host", "kind"]
    assert len(rows) == len(detail["steps"]) + 1
    events = api(kit.viewer).get(f"/api/executions/{body['id']}/events/?after=2").json()
    assert events[0]["seq"] == 3


def test_steering_is_audited_and_compare_and_set(kit):
    execution = api(kit.admin).post("/api/executions/start/", {"plan": kit.approved().pk},
                                    format="json").json()
    url = f"/api/executions/{execution['id']}"
    assert api(kit.viewer).post(f"{url}/pause/").status_code == 403
    assert api(kit.admin).post(f"{url}/pause/").json()["state"] == "pausing"
    again = api(kit.admin).post(f"{url}/pause/")
    assert (again.status_code, again.json()) == (
        400, {"detail": "Cannot pause an execution that is pausing."})

    state, cloud = run_fake(execution["id"])
    assert state == "paused" and cloud.calls == []
    assert api(kit.admin).post(f"{url}/resume/").json()["state"] == "queued"
    skip = api(kit.admin).post(f"{url}/skip/", {"step": "nope", "reason": ""}, format="json")
    assert skip.status_code == 400
    aborted = api(kit.admin).post(f"{url}/abort/", {"reason": "change window closed"},
                                  format="json").json()
    assert aborted["state"] == "aborting"
    state, cloud = run_fake(execution["id"])
    assert state == "aborted" and cloud.calls == []
    controls = list(Execution.objects.get(pk=execution["id"]).events.filter(kind="control")
                    .values_list("message", flat=True))
    assert controls == ["pause by admin", "resume by admin",
                        "abort by admin: change window closed"]


def test_an_aborted_execution_hands_the_plan_back_approved_to_run_again(kit):
    plan = kit.approved()
    first = api(kit.admin).post("/api/executions/start/", {"plan": plan.pk},
                                format="json").json()
    api(kit.admin).post(f"/api/executions/{first['id']}/abort/", {"reason": "window closed"},
                        format="json")
    assert run_fake(first["id"])[0] == "aborted"

    plan.refresh_from_db()
    assert plan.state == "approved" and plan_services.is_approved_as_is(plan)
    assert list(plan.events.values_list("action", "from_state", "to_state"))[-2:] == [
        ("execution started", "approved", "executing"),
        ("execution aborted", "executing", "approved")]
    again = api(kit.admin).post("/api/executions/start/", {"plan": plan.pk}, format="json")
    assert again.status_code == 202, again.json()
    assert run_fake(again.json()["id"])[0] == "done"
    plan.refresh_from_db()
    assert plan.state == "executed"


@pytest.mark.parametrize("who, buttons", [("viewer", 0), ("admin", 1)])
def test_the_pages_show_controls_to_admins_only(kit, client, who, buttons):
    execution = api(kit.admin).post("/api/executions/start/", {"plan": kit.approved().pk},
                                    format="json").json()
    client.force_login(getattr(kit, who))
    # Under way: the admin may pause it, a viewer only watches.
    page = client.get(f"/executions/{execution['id']}/").content.decode()
    assert page.count('id="pause-button"') == buttons

    run_fake(execution["id"])
    listing = client.get("/executions/").content.decode()
    assert f'data-execution="{execution["id"]}"' in listing
    page = client.get(f"/executions/{execution['id']}/").content.decode()
    assert page.count('id="pause-button"') == 0  # finished: nothing left to steer
    assert 'id="gantt-svg"' in page and 'id="log"' in page
    assert client.get(f"/executions/{execution['id']}/report.csv").status_code == 200


def test_a_restarted_web_process_hands_interrupted_executions_back_to_a_worker(kit):
    from executor.services import resume_interrupted, start_execution

    finished = start_execution(kit.approved(), kit.admin)
    Execution.objects.filter(pk=finished.pk).update(state="done")
    running = start_execution(kit.approved(), kit.admin)
    Execution.objects.filter(pk=running.pk).update(state="running")
    kit.dispatched.clear()
    assert resume_interrupted() == [running.pk]
    assert kit.dispatched == [running.pk]
