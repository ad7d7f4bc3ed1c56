"""An admin starts an approved plan in the browser and watches it advance live.

The execution runs in the web process (the embedded thread backend) against
the real Nova sandbox; the page follows it over the websocket only.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.executor.helpers import (
    PATIENT,
    ExecutionKit,
    parallel_plan,
    sandbox_config,
    wait_settled,
)
from tests.livesite import LiveSite

pytestmark = [pytest.mark.browser, pytest.mark.sandbox]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def cloud_site(sandbox, django_db_setup, django_db_blocker):
    """A daphne of its own that reaches the sandbox (its clouds.yaml in the environment)."""
    from django.db import connection

    with django_db_blocker.unblock():
        site = LiveSite(connection.settings_dict,
                        {"OS_CLIENT_CONFIG_FILE": os.environ["OS_CLIENT_CONFIG_FILE"]})
    yield site
    site.stop()


def test_an_admin_starts_a_plan_and_watches_it_advance_live(page, cloud_site, sandbox,
                                                             transactional_db,
                                                             django_user_model, monkeypatch):
    wait_settled(sandbox)
    kit = ExecutionKit.create(django_user_model, monkeypatch)
    plan = kit.approved(parallel_plan())
    page.goto(cloud_site.url + "/accounts/login/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "pw-admin-123")
    page.click("button[type=submit]")
    page.wait_for_url(cloud_site.url + "/")

    page.goto(cloud_site.url + "/executions/")
    page.select_option("#start-form select[name=plan]", str(plan.pk))
    page.fill("#start-form input[name=config]", json.dumps(sandbox_config(**PATIENT)))
    page.click("#start-button")
    page.wait_for_url("**/executions/*/")
    page.wait_for_selector("#ws-state.ok", timeout=15_000)

    # Steps turn done one after another on the page, without a reload.
    page.wait_for_selector('.step-cell.step-running', timeout=30_000)
    page.wait_for_selector('#host-progress tr[data-host="cmp1"] .step-cell.step-done',
                           timeout=30_000)
    page.wait_for_selector("#gantt-svg rect.actual", timeout=10_000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "execution-live.png"), full_page=True)
    # A function, not an expression: Playwright evaluates expressions with eval, which
    # the page's Content-Security-Policy refuses.
    page.wait_for_function(
        "() => document.getElementById('execution-state').textContent === 'done'",
        timeout=150_000)

    cells = page.locator(".step-cell")
    assert cells.count() == page.locator(".step-cell.step-done").count() == 13
    assert page.locator('#host-progress tr[data-host="cmp2"] .host-done').inner_text() == "6"
    log = page.locator("#log li").all_inner_texts()
    assert "[execution] done" in log[0]
    seqs = [int(line.split()[0][1:]) for line in log]
    assert seqs == sorted(seqs, reverse=True) == list(range(len(seqs), 0, -1))
    page.screenshot(path=str(SCREENSHOTS / "execution-done.png"), full_page=True)
