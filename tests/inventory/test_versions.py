"""The inventory over time: every import a version, nothing of the history lost."""

from __future__ import annotations

import copy

import pytest
from rest_framework.test import APIClient

from inventory import services
from inventory.files import parse_inventory
from inventory.models import Cloud, InventoryVersion
from planner import services as planning
from planner.models import Plan, PlanEvent, Simulation
from planner.tasks import run_simulation

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _simulated_plan(user) -> Plan:
    plan = planning.create_plan(user, "serial")
    simulation = planning.request_simulation(plan, user, runs=2, start=False)
    run_simulation(simulation.pk)
    plan.refresh_from_db()
    return plan


def test_a_replacing_import_keeps_the_cloud_its_plans_and_their_history(lab_cloud, cloud_doc,
                                                                         role_users):
    cloud = Cloud.objects.get(name="lab")
    plan = _simulated_plan(role_users["planner"])
    events = PlanEvent.objects.filter(plan=plan).count()

    changed = copy.deepcopy(cloud_doc)
    changed["hosts"][3]["service_state"] = "down"
    changed["servers"][4]["host"] = "cmp2"  # lb-3 moved
    counts = services.replace_inventory(parse_inventory(changed), source="file lab-v2.yaml",
                                        user=role_users["admin"])

    assert counts["version"] == 2
    assert Cloud.objects.get(name="lab").pk == cloud.pk
    assert Plan.objects.filter(pk=plan.pk).exists()
    assert Simulation.objects.filter(plan=plan).count() == 1
    assert PlanEvent.objects.filter(plan=plan).count() == events
    latest = services.version_history(cloud, limit=1)[0]
    assert (latest["number"], latest["kind"], latest["source"], latest["created_by"]) == (
        2, "import", "file lab-v2.yaml", "admin-1")
    assert latest["changes"] == ["host cmp4 service_state: up -> down",
                                 "server lb-3 host: cmp4 -> cmp2"]
    # The plan still names the version it was made from, and says why it is out of date.
    assert plan.inventory_version.number == 1
    assert planning.plan_drift(plan) == [
        "host cmp4 of the plan is down",
        "server lb-3 moved from cmp4 to cmp2",
    ]


def test_versions_are_immutable_records_read_back_as_the_snapshot_they_hold(lab_cloud):
    cloud = Cloud.objects.get(name="lab")
    first = services.current_version(cloud)
    assert first.number == 1 and first.kind == "import"
    assert services.version_snapshot(first).fingerprint() == services.load_snapshot(
        cloud).fingerprint() == first.fingerprint
    services.replace_inventory(services.load_snapshot(cloud))
    assert InventoryVersion.objects.filter(cloud=cloud).count() == 2
    assert services.version_history(cloud, limit=1)[0]["changes"] == []


def test_the_api_shows_the_current_version_and_the_history(lab_cloud, role_users, cloud_doc):
    changed = copy.deepcopy(cloud_doc)
    changed["hosts"][0]["components"]["nova-compute"] = "31.0.0"
    services.replace_inventory(parse_inventory(changed))

    body = _api(role_users["viewer"]).get("/api/clouds/lab/").json()
    assert body["version"]["number"] == 2
    assert body["version"]["changes"] == ["host cmp1 nova-compute: 30.1.0 -> 31.0.0"]
    history = _api(role_users["viewer"]).get("/api/clouds/lab/versions/").json()
    assert [v["number"] for v in history] == [2, 1]


def test_an_api_edit_of_a_host_is_a_version_too(lab_cloud, role_users):
    hosts = _api(role_users["admin"]).get("/api/hosts/").json()["results"]
    host = next(h for h in hosts if h["name"] == "cmp2")
    answer = _api(role_users["admin"]).patch(host["url"], {"cpu_allocation_ratio": 4.0},
                                             format="json")
    assert answer.status_code == 200, answer.content
    latest = services.version_history(Cloud.objects.get(name="lab"), limit=1)[0]
    assert (latest["kind"], latest["source"]) == ("edit", "API edit of host cmp2")
    assert latest["changes"] == ["host cmp2 cpu_allocation_ratio: 2.0 -> 4.0"]


def test_only_an_admin_asks_for_a_refresh(lab_cloud, role_users):
    for role in ("viewer", "planner", "approver"):
        assert _api(role_users[role]).post("/api/clouds/lab/refresh/").status_code == 403
    client = APIClient()
    client.force_login(role_users["planner"])
    assert client.post("/inventory/clouds/lab/refresh/").status_code == 403
    assert Cloud.objects.get(name="lab").refresh_requested is None


def test_a_refresh_of_a_cloud_that_cannot_be_read_says_why_and_changes_nothing(
        lab_cloud, role_users, settings, tmp_path, monkeypatch,
        django_capture_on_commit_callbacks):
    settings.TASK_BACKEND = "inline"
    empty = tmp_path / "clouds.yaml"
    empty.write_text("clouds: {}\n")
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(empty))
    client = APIClient()
    client.force_login(role_users["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post("/inventory/clouds/lab/refresh/", HTTP_REFERER="/inventory/hosts/")
    assert answer.status_code == 302
    cloud = Cloud.objects.get(name="lab")
    assert "cannot read cloud 'lab'" in cloud.refresh_error
    assert cloud.versions.count() == 1
    page = client.get("/inventory/hosts/")
    assert "The last refresh failed: cannot read cloud" in page.content.decode()
