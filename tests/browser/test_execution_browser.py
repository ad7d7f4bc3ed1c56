"""An admin starts an approved plan in the browser and watches it advance live.

The execution runs in the web process (the embedded thread backend) against
the real Nova sandbox; the page follows it over the websocket only.
"""

from __future__ import annotations

import json
import os
import threading
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
    # A simulation of the approved content: the ETA and the simulated timeline come from it.
    from planner import services as planning
    from planner.tasks import run_simulation

    simulation = planning.request_simulation(plan, kit.author, runs=2, start=False)
    # In a thread of its own: its progress goes out with async_to_sync, which refuses
    # the thread of Playwright's event loop.
    worker = threading.Thread(target=run_simulation, args=(simulation.pk,))
    worker.start()
    worker.join()
    simulation.refresh_from_db()
    assert simulation.state == "done", simulation.error
    # The admin reads times in Kolkata (UTC+5:30): the live log and the end estimate follow.
    from escalator_site.models import UserPreference

    UserPreference.objects.create(user=django_user_model.objects.get(username="admin"),
                                  time_zone="Asia/Kolkata")
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

    # The overview: a progress bar (role=progressbar), elapsed time, ETA from the
    # simulation and the current wave; an aria-live region for what changes.
    bar = page.locator('[role="progressbar"]#progress')
    total = page.locator(".step-cell").count()
    assert bar.get_attribute("aria-valuemax") == str(total) and total > 10
    assert page.locator('#live-status[aria-live="polite"]').count() == 1
    page.wait_for_selector('.step-cell.step-running', timeout=30_000)
    assert page.locator("#current-wave").inner_text() == "1 of 1"
    first_eta = page.locator("#eta").inner_text()
    assert first_eta.startswith("about ") and first_eta.endswith(" Asia/Kolkata)"), first_eta
    # Controls that apply to a running execution only; readable step names in Skip.
    assert page.locator("#pause-button").is_visible()
    assert not page.locator("#resume-button").is_visible()
    assert not page.locator("#retry-button").is_visible()
    skip_names = page.locator("#skip-step option").all_inner_texts()
    assert skip_names and all(n.startswith("wave 1 · cmp") and "·" in n for n in skip_names)
    assert not any(".0" in n and n.count(".") >= 3 for n in skip_names)  # not raw keys

    # Steps turn done one after another on the page, without a reload.
    page.wait_for_selector('#host-progress tr[data-host="cmp1"] .step-cell.step-done',
                           timeout=30_000)
    page.wait_for_function(
        "() => Number(document.getElementById('progress').getAttribute('aria-valuenow')) > 0",
        timeout=30_000)
    page.wait_for_function(
        "(first) => document.getElementById('eta').textContent !== first", arg=first_eta,
        timeout=30_000)
    page.wait_for_selector("#gantt-svg rect.actual", timeout=10_000)
    # Two timelines on their own scales, each with ticks; host names beside, not over, the bars.
    assert page.locator("#gantt-planned-svg rect.planned").count() > 0
    assert page.locator("#gantt-svg .tick-label").count() >= 2
    assert page.locator("#gantt-planned-svg .tick-label").count() >= 2

    # The filter: running only shows only running steps.
    page.check('input[name="step-filter"][value="running"]')
    shown = page.locator("#host-progress .step-cell:visible")
    assert all("step-running" in (c.get_attribute("class") or "") for c in shown.all())
    page.check('input[name="step-filter"][value="all"]')
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "execution-live.png"), full_page=True)

    # Paused by the operator: a note, not an error; Resume instead of Pause.
    page.click("#pause-button")
    page.wait_for_url("**/executions/*/")
    page.wait_for_function(
        "() => document.getElementById('execution-state').textContent === 'paused'",
        timeout=60_000)
    page.reload()
    page.wait_for_selector("#ws-state.ok", timeout=15_000)
    assert page.locator("#cause.errors").count() == 0
    assert page.locator("#resume-button").is_visible()
    assert not page.locator("#pause-button").is_visible()
    page.click("#resume-button")
    page.wait_for_url("**/executions/*/")
    page.wait_for_selector("#ws-state.ok", timeout=15_000)

    # A function, not an expression: Playwright evaluates expressions with eval, which
    # the page's Content-Security-Policy refuses.
    page.wait_for_function(
        "() => document.getElementById('execution-state').textContent === 'done'",
        timeout=150_000)

    cells = page.locator(".step-cell")
    assert cells.count() == page.locator(".step-cell.step-done").count() == total
    cmp2 = page.locator('#host-progress tr[data-host="cmp2"]')
    assert cmp2.locator(".host-done").inner_text() == str(cmp2.locator(".step-cell").count())
    assert bar.get_attribute("aria-valuenow") == str(total)
    assert page.locator("#eta").inner_text() == "finished"
    # Nothing to steer on a finished execution.
    for button in ("pause", "resume", "abort", "retry", "skip"):
        assert not page.locator(f"#{button}-button").is_visible(), button
    log = page.locator("#log li").all_inner_texts()
    assert "[execution] done" in log[0]
    # That line came over the websocket (the page was loaded before the end): its time
    # is the event's in the user's zone.
    from zoneinfo import ZoneInfo

    from executor.models import Execution

    done_event = Execution.objects.get(plan=plan).events.order_by("-seq").first()
    assert log[0].startswith(
        f"#{done_event.seq} {done_event.at.astimezone(ZoneInfo('Asia/Kolkata')):%H:%M:%S} "), log[0]
    seqs = [int(line.split()[0][1:]) for line in log]
    assert seqs == sorted(seqs, reverse=True) == list(range(len(seqs), 0, -1))
    # Per VNF: the same measures side by side, rounded, 0 shown as 0.
    firewall = page.locator("#vnf-report tbody tr", has_text="firewall").locator("td.num")
    values = firewall.all_inner_texts()
    assert values[1] == "2"  # fw-a and fw-b live-migrated
    assert all(v.replace(".", "", 1).isdigit() and len(v.split(".")[-1]) == 1
               for v in values[2:]), values
    page.screenshot(path=str(SCREENSHOTS / "execution-done.png"), full_page=True)

    # Reloaded, a finished execution renders no controls at all; the list shows its
    # duration and a styled badge; the dashboard lists it no more as in progress.
    page.reload()
    assert page.locator("#controls").count() == 0
    page.goto(cloud_site.url + "/executions/")
    row = page.locator("#execution-table tr[data-execution]").first
    assert row.locator(".badge.exec-done").count() == 1
    assert row.locator(".duration").inner_text().endswith(" s")
    page.goto(cloud_site.url + "/")
    assert page.locator("#dashboard-executions").inner_text().endswith("None.")
    # The VNF's page: what this execution measured for it.
    from inventory.models import Vnf

    page.goto(cloud_site.url + f"/inventory/vnfs/{Vnf.objects.get(name='firewall').pk}/")
    measured = page.locator("#vnf-outage-executions tbody tr").first.locator("td.num")
    assert measured.all_inner_texts() == values[0:1] + values[2:], page.locator("#vnf-outage-executions").inner_text()
