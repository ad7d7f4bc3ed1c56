"""A plan's windows, canary and soak: in its simulation and on the web what-if."""

from __future__ import annotations

import pytest

from planner import services

pytestmark = pytest.mark.django_db

EVERY_DAY = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


@pytest.fixture
def inline_tasks(settings):
    settings.TASK_BACKEND = "inline"


def test_the_soaks_are_simulated_and_the_what_if_says_how_many_windows_the_plan_needs(
        lab_cloud, role_users, inline_tasks, django_capture_on_commit_callbacks, client):
    planner = role_users["planner"]
    policy = {"hosts_per_wave": 1, "canary": True, "canary_soak_s": 900, "soak_s": 300,
              "maintenance_windows": [{"days": EVERY_DAY, "start": "22:00", "end": "22:01"}]}
    plan = services.create_plan(planner, "serial", policy)
    plan.refresh_from_db()
    assert plan.options["canary_soak_s"] == 900
    with django_capture_on_commit_callbacks(execute=True):
        first = services.request_simulation(plan, planner, runs=2, seed=1)
    with django_capture_on_commit_callbacks(execute=True):
        second = services.request_simulation(plan, planner, runs=2, seed=2)
    first.refresh_from_db()
    second.refresh_from_db()
    waves = len(plan.content["waves"])
    assert waves >= 3
    soaks = [round(e["end"] - e["time"]) for e in first.sample_run["events"]
             if e["kind"] == "soak"]
    assert soaks == [900] + [300] * (waves - 2)
    # The estimate is wall-clock: every wave waits for an evening of its own.
    assert first.sample_run["windows_used"] == waves
    assert first.sample_run["window_wait_s"] > (waves - 1) * 23 * 3600
    assert first.summary["duration_s"]["p50"] > first.sample_run["window_wait_s"]

    client.force_login(planner)
    page = client.get(f"/planning/whatif/?s={first.pk}&s={second.pk}").content.decode()
    assert "Maintenance windows (started when simulated)" in page
    # A one-minute window a day: every wave waits for an evening of its own.
    assert page.count(f"fits in {waves} windows") == 2
