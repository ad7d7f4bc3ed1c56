"""The execution page says live that an alarm holds the next host, and when it clears.

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
    assert (execution.state, execution.cause) == ("running", cause.inner_text())
    alertmanager.resolve("NovaComputeDown", severity="critical", instance="cmp4")
    # Cleared live while the held host now runs (its upgrade alone takes 4 s).
    expect(cause).to_be_hidden(timeout=5_000)
    execution.refresh_from_db()
    assert (execution.state, execution.cause) == ("running", "")
    expect(page.locator("#execution-state")).to_have_text("done", timeout=120_000)
