"""The execution page says live that an alarm holds the next host, and when it clears;
the window, canary/soak and alarm lines follow a real execution.

The execution runs in the web process against the real Nova sandbox; the
alert is fired in a real Alertmanager that the web process reads, after the
page has loaded, so what the page shows came over the websocket.
"""

from __future__ import annotations

import json
import os
import re

import pytest
from playwright.sync_api import expect

from executor.models import Execution
from tests.executor.helpers import (
    PATIENT,
    ExecutionKit,
    sandbox_config,
    two_wave_plan,
    wait_settled,
)
from tests.livesite import LiveSite

pytestmark = [pytest.mark.browser, pytest.mark.sandbox]


@pytest.fixture
def alarm_site(sandbox, alertmanager, django_db_setup, django_db_blocker):
    from django.db import connection

    with django_db_blocker.unblock():
        site = LiveSite(connection.settings_dict,
                        {"OS_CLIENT_CONFIG_FILE": os.environ["OS_CLIENT_CONFIG_FILE"],
                         "ESCALATOR_ALERTMANAGER_URL": alertmanager.url})
    yield site
    site.stop()


def test_the_page_shows_the_alarm_that_holds_the_next_host_until_it_clears(
        page, alarm_site, alertmanager, sandbox, transactional_db, django_user_model,
        monkeypatch):
    wait_settled(sandbox)
    kit = ExecutionKit.create(django_user_model, monkeypatch)
    plan = kit.approved(two_wave_plan())
    page.goto(alarm_site.url + "/accounts/login/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "pw-admin-123")
    page.click("button[type=submit]")
    page.wait_for_url(alarm_site.url + "/")
    page.goto(alarm_site.url + "/executions/")
    page.select_option("#start-form select[name=plan]", str(plan.pk))
    page.fill("#start-form input[name=config]",
              json.dumps(sandbox_config(down_s=4, hold_poll_s=0.3, verify_settle_s=0,
                                        **PATIENT)))
    page.click("#start-button")
    page.wait_for_url("**/executions/*/")
    page.wait_for_selector("#ws-state.ok", timeout=15_000)
    cause = page.locator("#cause")
    # The alert fires now: the next host to start (cmp1, or cmp3 if the worker was
    # quicker) waits, and the page says so live (data-hold is set by the page's script).
    alertmanager.fire("NovaComputeDown", severity="critical", instance="cmp4")
    expect(cause).to_have_text(re.compile(r"^before cmp[13]: held by alarm: NovaComputeDown on "
                                          r"cmp4 \(critical\)$"), timeout=90_000)
    expect(cause).to_have_attribute("data-hold", "alarm")
    execution = Execution.objects.get(plan=plan)
    assert (execution.state, execution.cause) == ("paused", cause.inner_text())
    expect(page.locator("#execution-state")).to_have_text("paused")
    alertmanager.resolve("NovaComputeDown", severity="critical", instance="cmp4")
    # Cleared live while the held host now runs (its upgrade alone takes 4 s).
    expect(cause).to_be_hidden(timeout=5_000)
    execution.refresh_from_db()
    assert (execution.state, execution.cause) == ("running", "")
    expect(page.locator("#execution-state")).to_have_text("done", timeout=120_000)


def test_the_page_shows_the_window_the_canary_soak_and_the_alarm_live(
        page, alarm_site, alertmanager, sandbox, transactional_db, django_user_model,
        monkeypatch):
    """A real execution: held by an alert from the start (paused, Resume hidden), the alert
    resolved, the canary wave and its soak, the window closing before wave 2 (paused until
    the next one opens), then done; each line of the page follows it live."""
    from datetime import UTC, datetime, timedelta

    from planner.options import PlanOptions
    from planner.services import approval_hash
    from tests.executor.test_sandbox_windows import window

    wait_settled(sandbox)
    kit = ExecutionKit.create(django_user_model, monkeypatch)
    plan = kit.approved(two_wave_plan())
    now = datetime.now(UTC).replace(microsecond=0)
    # The first window closes before the canary's soak can end (wave 2 cannot start
    # before it: the alert's hold, cmp1's wave and 20 s of soak take longer).
    first_end, second = now + timedelta(seconds=25), now + timedelta(seconds=70)
    plan.options = PlanOptions.from_dict({
        **plan.options, "canary": True, "canary_soak_s": 20,
        "maintenance_windows": [window(now - timedelta(seconds=60), first_end),
                                window(second, second + timedelta(seconds=900))]}).to_dict()
    plan.approved_hash = approval_hash(plan, None)
    plan.save(update_fields=["options", "approved_hash"])
    alertmanager.fire("NovaComputeDown", severity="critical", instance="cmp4")

    page.goto(alarm_site.url + "/accounts/login/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "pw-admin-123")
    page.click("button[type=submit]")
    page.wait_for_url(alarm_site.url + "/")
    page.goto(alarm_site.url + "/executions/")
    page.select_option("#start-form select[name=plan]", str(plan.pk))
    page.fill("#start-form input[name=config]",
              json.dumps(sandbox_config(down_s=4, hold_poll_s=0.3, verify_settle_s=0,
                                        **PATIENT)))
    page.click("#start-button")
    page.wait_for_url("**/executions/*/")
    page.wait_for_selector("#ws-state.ok", timeout=15_000)
    state, alarm = page.locator("#execution-state"), page.locator("#gate-alarm")
    windows, soak = page.locator("#gate-window"), page.locator("#gate-soak")

    # Held by the alert before cmp1: paused, the alert named; Resume is not the way out.
    expect(alarm).to_have_attribute("data-state", "holding", timeout=30_000)
    expect(alarm).to_have_text("strict · holding: NovaComputeDown on cmp4 (critical)")
    expect(state).to_have_text("paused")
    expect(page.locator("#cause")).to_have_text(
        "before cmp1: held by alarm: NovaComputeDown on cmp4 (critical)")
    expect(page.locator("#resume-button")).to_be_hidden()
    expect(page.locator("#pause-button")).to_be_visible()
    expect(windows).to_have_attribute("data-state", "open")
    closes = first_end.strftime("%a %Y-%m-%d %H:%M UTC")
    opens = second.strftime("%a %Y-%m-%d %H:%M UTC")
    expect(windows).to_have_text(re.compile(rf"^open until {closes}; the next opens {opens} · "))
    expect(soak).to_have_text("canary: wave 1 (cmp1), then a 20 s soak and a health check "
                              "· waiting for the canary wave")

    alertmanager.resolve("NovaComputeDown", severity="critical", instance="cmp4")
    expect(alarm).to_have_text("strict · clear", timeout=10_000)
    expect(state).to_have_text(re.compile("running|paused"))
    # The canary's soak, counted down.
    expect(soak).to_have_attribute("data-state", "soaking", timeout=90_000)
    expect(soak).to_have_text(re.compile(r"· canary soak after wave 1: \d+ s left$"))
    # The first window ends before wave 2: paused until the next one opens.
    expect(windows).to_have_attribute("data-state", "closed", timeout=90_000)
    # (the clock closes the line; the worker's hold before the next host says it is paused)
    expect(windows).to_have_text(re.compile(
        rf"^closed: the next opens {opens}; the execution is paused until then · "),
        timeout=45_000)
    expect(state).to_have_text("paused", timeout=30_000)
    expect(page.locator("#cause")).to_have_attribute("data-hold", "window")
    page.screenshot(path="docs/screenshots/execution-window-hold.png", full_page=True)
    # The canary passed its health check; the next window opens and wave 2 runs to the end.
    expect(soak).to_have_attribute("data-state", "passed", timeout=60_000)
    # (wave 2's moves may wait for the sandbox's Nova to sync: a generous bound)
    expect(state).to_have_text("done", timeout=300_000)
    expect(windows).to_have_text(re.compile(r"^open until "))
    execution = Execution.objects.get(plan=plan)
    steps = execution.steps.filter(host="cmp3").order_by("index")
    assert steps.first().started_at >= second.timestamp()
