"""Every mutating endpoint of planning, for every role: the API enforces what the pages do."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from planner import services
from planner.models import Plan
from planner.tasks import run_simulation

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "viewer", "planner", "approver", "admin"]


@pytest.fixture
def plan_in(lab_cloud, role_users):
    def make(state: str) -> Plan:
        plan = services.create_plan(role_users["planner2"], "serial")
        # A real estimate: an approval pins the simulation the approver saw.
        simulation = services.request_simulation(plan, role_users["planner2"], runs=2, start=False)
        run_simulation(simulation.pk)
        Plan.objects.filter(pk=plan.pk).update(state=state)
        plan.refresh_from_db()
        return plan
    return make


def _client(role_users, role):
    client = APIClient()
    if role != "anonymous":
        client.force_authenticate(role_users[role])
    return client


def _moved(plan):
    content = plan.content
    waves = content["waves"]
    step = waves[-1]["hosts"].pop()
    waves[0]["hosts"].append(step)
    content["waves"] = [w for w in waves if w["hosts"]]
    return {"content": content, "comment": "tighter"}


CASES = {
    # endpoint: (state of the plan, expected status per role)
    "create": (None, {"viewer": 403, "planner": 202, "approver": 403, "admin": 202}),
    "content": ("draft", {"viewer": 403, "planner": 200, "approver": 403, "admin": 200}),
    "simulate": ("draft", {"viewer": 403, "planner": 202, "approver": 403, "admin": 202}),
    "submit": ("simulated", {"viewer": 403, "planner": 200, "approver": 403, "admin": 200}),
    "approve": ("submitted", {"viewer": 403, "planner": 403, "approver": 200, "admin": 200}),
    "reject": ("submitted", {"viewer": 403, "planner": 403, "approver": 200, "admin": 200}),
    "precheck": (None, {"viewer": 403, "planner": 201, "approver": 403, "admin": 201}),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", list(CASES))
def test_mutating_endpoint_by_role(endpoint, role, role_users, plan_in, settings):
    settings.TASK_BACKEND = "inline"
    state, expected = CASES[endpoint]
    client = _client(role_users, role)
    plan = plan_in(state) if state else None
    if endpoint == "create":
        response = client.post("/api/plans/", {"strategy": "parallel",
                                               "options": {"hosts_per_wave": 2}}, format="json")
    elif endpoint == "precheck":
        response = client.post("/api/prechecks/", {}, format="json")
    elif endpoint == "content":
        response = client.put(f"/api/plans/{plan.pk}/content/", _moved(plan), format="json")
    elif endpoint == "simulate":
        response = client.post(f"/api/plans/{plan.pk}/simulate/", {"runs": 2}, format="json")
    else:
        response = client.post(f"/api/plans/{plan.pk}/{endpoint}/", {"comment": "ok by me"},
                               format="json")
    want = 403 if role == "anonymous" else expected[role]
    assert response.status_code in ((401, 403) if role == "anonymous" else (want,)), response.content
    if plan is not None and want >= 400:
        before = plan.state
        plan.refresh_from_db()
        assert plan.state == before


def test_everyone_signed_in_reads_plans_and_exports(lab_cloud, role_users, plan_in):
    plan = plan_in("draft")
    client = _client(role_users, "viewer")
    assert client.get("/api/plans/").json()["count"] == 1
    events = client.get(f"/api/plans/{plan.pk}/").json()["events"]
    assert [e["action"] for e in events] == ["requested", "created", "simulation requested",
                                             "simulated"]
    csv = client.get(f"/api/plans/{plan.pk}/export/?as=csv")
    assert csv.status_code == 200
    assert csv.content.decode().splitlines()[0] == "wave,host,order,server,action,source,target"
    assert _client(role_users, "anonymous").get("/api/plans/").status_code in (401, 403)


def test_exported_plan_read_back_gets_the_same_verdict(lab_cloud, role_users, plan_in):
    import yaml

    from inventory.services import load_snapshot
    from planner.export import plan_from_dict
    from planner.validator import validate

    plan = plan_in("draft")
    client = _client(role_users, "viewer")
    for fmt in ("json", "yaml"):
        text = client.get(f"/api/plans/{plan.pk}/export/?as={fmt}").content.decode()
        document = yaml.safe_load(text)
        report = validate(load_snapshot(), plan_from_dict(document))
        assert report.to_dict() == _verdict(plan)

    # and a broken plan keeps its verdict through the export too
    content = plan.content
    content["waves"].append({"index": 9, "hosts": [content["waves"][0]["hosts"][0]]})
    services.change_content(plan, role_users["planner"], content)
    plan.refresh_from_db()
    assert plan.validation["ok"] is False
    document = yaml.safe_load(client.get(f"/api/plans/{plan.pk}/export/?as=yaml").content)
    assert validate(load_snapshot(), plan_from_dict(document)).to_dict() == _verdict(plan)


def _verdict(plan) -> dict:
    """The validator's part of what is stored (the lower bound is stored beside it)."""
    return {k: v for k, v in plan.validation.items() if k != "lower_bound"}
