"""Per-user limits on background work: one planner cannot queue simulations or plan searches
without end and take every worker from everybody else; the refusal (HTTP 429) names the limit."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from planner import services
from planner.models import Plan, Simulation

# Not transactional: nothing queued ever runs (on_commit never fires), so it stays queued.
pytestmark = pytest.mark.django_db


def client_of(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_users_simulations_queued_or_running_are_limited(lab_cloud, role_users, settings):
    settings.ESCALATOR_USER_MAX_SIMULATIONS = 2
    planner, other = role_users["planner"], role_users["planner2"]
    plan = services.create_plan(planner, "serial", {"hosts_per_wave": 1})
    client = client_of(planner)
    url = f"/api/plans/{plan.pk}/simulate/"
    assert [client.post(url, {"runs": 5}, format="json").status_code
            for _ in range(2)] == [202, 202]

    refused = client.post(url, {"runs": 5}, format="json")
    assert refused.status_code == 429
    assert refused.json()["detail"] == (
        "planner-1 already has 2 simulations queued or running: the limit is 2 per user "
        "(ESCALATOR_USER_MAX_SIMULATIONS); wait for one to finish.")
    assert Simulation.objects.filter(requested_by=planner).count() == 2
    # Another user is not held back by the first one's queue.
    assert client_of(other).post(url, {"runs": 5}, format="json").status_code == 202
    # Once one has finished, the first user may queue again.
    first = Simulation.objects.filter(requested_by=planner).order_by("pk").first()
    Simulation.objects.filter(pk=first.pk).update(state="done")
    assert client.post(url, {"runs": 5}, format="json").status_code == 202


def test_a_users_background_plan_searches_are_limited(lab_cloud, role_users, settings):
    settings.ESCALATOR_USER_MAX_SEARCHES = 1
    planner = role_users["planner"]
    client = client_of(planner)
    body = {"strategy": "optimized", "options": {"time_budget_s": 30}}
    assert client.post("/api/plans/", body, format="json").status_code == 202

    refused = client.post("/api/plans/", body, format="json")
    assert refused.status_code == 429
    assert refused.json()["detail"] == (
        "planner-1 already has 1 plan searches queued or running: the limit is 1 per user "
        "(ESCALATOR_USER_MAX_SEARCHES); wait for one to finish.")
    assert Plan.objects.filter(author=planner).count() == 1
    assert client_of(role_users["planner2"]).post(
        "/api/plans/", body, format="json").status_code == 202
