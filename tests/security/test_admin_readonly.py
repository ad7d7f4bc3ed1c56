"""The Django admin shows audit logs and execution state but cannot rewrite them."""

from __future__ import annotations

import pytest

from executor.models import Execution, ExecutionEvent
from executor.store import record_event
from planner import services as planning
from planner.models import PlanEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def execution(lab_cloud, admin_user):
    plan = planning.create_plan(admin_user, "serial", {})
    execution = Execution.objects.create(plan=plan, plan_hash=plan.content_hash,
                                         cloud_name="lab", started_by=admin_user,
                                         state="running",
                                         config={"webhook": "https://user:s3cret@hooks.example"})
    record_event(execution.pk, "execution", "started", state="running")
    return execution


def test_execution_state_is_read_only(admin_client, execution):
    url = f"/admin/executor/execution/{execution.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert 'name="state"' not in text and "s3cret" not in text
    assert admin_client.post(url, {"state": "done"}).status_code == 403
    assert admin_client.post(f"/admin/executor/execution/{execution.pk}/delete/",
                             {"post": "yes"}).status_code == 403
    execution.refresh_from_db()
    assert execution.state == "running"


def test_audit_events_cannot_be_changed_or_deleted(admin_client, execution):
    event = ExecutionEvent.objects.get(execution=execution)
    base = f"/admin/executor/executionevent/{event.pk}"
    assert admin_client.post(f"{base}/change/", {"message": "nothing happened"}).status_code == 403
    assert admin_client.post(f"{base}/delete/", {"post": "yes"}).status_code == 403
    assert admin_client.get("/admin/executor/executionevent/add/").status_code == 403
    plan_event = PlanEvent.objects.first()
    assert admin_client.get("/admin/planner/planevent/").status_code == 200
    assert admin_client.post(f"/admin/planner/planevent/{plan_event.pk}/delete/",
                             {"post": "yes"}).status_code == 403
    bulk = admin_client.post("/admin/planner/planevent/", {
        "action": "delete_selected", "_selected_action": [plan_event.pk], "post": "yes"})
    assert bulk.status_code in (200, 302)
    assert PlanEvent.objects.filter(pk=plan_event.pk).exists()
    assert ExecutionEvent.objects.filter(pk=event.pk).exists()
