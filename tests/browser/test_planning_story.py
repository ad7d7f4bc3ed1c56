"""The planning story in a real browser, from pre-check to approval and back to draft."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from inventory.demo import generate
from inventory.services import replace_inventory

pytestmark = [pytest.mark.browser]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "correct horse battery"


def _sign_in(page, site, username):
    page.goto(site.url + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(site.url + "/")


def _sign_out(page):
    page.click("header .user button")
    page.wait_for_url("**/accounts/login/**")


def _build(page, site, name, strategy, hosts_per_wave):
    page.goto(site.url + "/planning/plans/new/")
    page.fill("input[name=name]", name)
    page.select_option("select[name=strategy]", strategy)
    # One set of defaults (PlanOptions'), help with units on every field.
    from planner.options import PlanOptions

    assert page.input_value("input[name=hosts_per_wave]") == str(PlanOptions().hosts_per_wave)
    helps = page.locator("#plan-builder .helptext").all_inner_texts()
    assert len(helps) == 8 and all(helps), helps
    assert "fraction" in page.inner_text("label[for=id_az_share]")
    assert "stop-start" in page.inner_text("#id_allowed_actions_helptext")
    assert page.get_attribute("#id_hosts_per_wave", "aria-describedby") == "id_hosts_per_wave_helptext"
    page.fill("input[name=hosts_per_wave]", str(hosts_per_wave))
    page.click("#plan-builder button[type=submit]")
    # Planning runs in the background; the page refreshes until the draft is there.
    page.wait_for_selector("#simulate-form", timeout=60_000)
    assert page.inner_text("#plan-state") == "Draft"
    return page.url


def _simulate(page, runs, watch=False):
    page.fill("#simulate-form input[name=runs]", str(runs))
    page.click("#simulate-button")
    seen = []
    if watch:
        page.wait_for_selector("#sim-progress")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                done = page.locator("#sim-progress").get_attribute("data-done", timeout=200)
            except Exception:  # the page reloaded when the simulation finished
                break
            if done is not None and (not seen or seen[-1] != int(done)):
                seen.append(int(done))
            time.sleep(0.05)
    page.wait_for_selector("#estimate", timeout=120_000)
    assert page.inner_text("#plan-state") == "Simulated"
    return seen


def test_planner_builds_compares_submits_and_an_approver_approves(
    page, live_site, transactional_db, role_users
):
    replace_inventory(generate(24, seed=5))
    site = live_site
    # A senior planner who may also approve: still not their own plans.
    from django.contrib.auth.models import Group

    role_users["planner"].groups.add(Group.objects.get(name="approver"))

    _sign_in(page, site, "planner-1")
    page.click("text=Pre-check")
    page.click("#run-precheck")
    page.wait_for_selector("#precheck-items")
    assert page.locator("#precheck-items tbody tr").count() >= 10
    # "ready" with warnings says how many (a ready verdict never hides a warning).
    warns = page.locator("#precheck-items tbody tr.check-warn").count()
    fails = page.locator("#precheck-items tbody tr.check-fail").count()
    expected = ("not ready" if fails else
                f"ready, {warns} warning{'s' if warns > 1 else ''}" if warns else "ready")
    assert page.inner_text("#precheck-verdict") == expected

    serial_url = _build(page, site, "24 hosts serial", "serial", 1)
    progress = _simulate(page, runs=120, watch=True)
    # The bar advanced live: intermediate counts arrived over the websocket.
    assert any(0 < done < 120 for done in progress), progress
    assert progress == sorted(progress)

    parallel_url = _build(page, site, "24 hosts parallel", "parallel", 4)
    _simulate(page, runs=10)
    page.screenshot(path=str(SCREENSHOTS / "plan-page.png"), full_page=True)

    page.click("text=What-if")
    page.select_option("select[name=plan_0]", label=page.locator(
        "select[name=plan_0] option", has_text="24 hosts serial").inner_text())
    page.select_option("select[name=plan_1]", label=page.locator(
        "select[name=plan_1] option", has_text="24 hosts parallel").inner_text())
    page.fill("input[name=runs_0]", "10")
    page.fill("input[name=runs_1]", "10")
    page.click("#compare-button")
    page.wait_for_selector("#comparison td.best", timeout=120_000)
    rows = page.locator("#comparison tbody tr").all_inner_texts()
    assert any(r.startswith("Strategy") and "serial" in r and "parallel" in r for r in rows)
    # One host at a time is the slow baseline: its duration is the worst of the row.
    duration = page.locator("#comparison tbody tr", has_text="Duration p50")
    assert duration.locator("td").nth(0).get_attribute("class") == "num worst"
    assert duration.locator("td").nth(1).get_attribute("class") == "num best"
    # The form keeps what was compared; the columns say their runs, seed and probabilities.
    assert page.locator("select[name=plan_0] option:checked").inner_text().startswith("24 hosts serial")
    assert page.locator("select[name=plan_1] option:checked").inner_text().startswith("24 hosts parallel")
    assert page.input_value("input[name=runs_0]") == "10"
    heads = page.locator("#comparison th.column-head").all_inner_texts()
    assert heads[0].startswith("1 24 hosts serial") and "10 runs · seed 0" in heads[0], heads
    assert "upgrade failure p 0" in heads[1]
    labels = [r.split("\t")[0] for r in rows]
    assert {"Runs", "Seed", "Upgrade failure p"} <= set(labels), labels
    page.screenshot(path=str(SCREENSHOTS / "whatif.png"), full_page=True)

    page.goto(parallel_url)
    page.click("#submit-plan")
    page.wait_for_selector("#author-note")
    assert page.inner_text("#plan-state") == "Submitted"
    assert page.locator("#approve-plan").count() == 0
    # Even a hand-made POST by the author is refused.
    page.goto(parallel_url)
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(parallel_url + "approve/",
                                 headers={"X-CSRFToken": token, "Referer": parallel_url})
    assert "You created or changed this plan: another approver must approve it" in response.text()
    page.goto(parallel_url)
    assert page.inner_text("#plan-state") == "Submitted"

    # The planner who may approve sees an empty inbox: the plan waiting is their own.
    page.goto(site.url + "/")
    assert page.locator("#approval-inbox tr[data-plan]").count() == 0
    _sign_out(page)

    _sign_in(page, site, "approver-1")
    # The approver's inbox lists the submitted plan, and only it.
    inbox = page.locator("#approval-inbox tr[data-plan]")
    assert inbox.all_inner_texts()[0].startswith("24 hosts parallel")
    assert inbox.count() == 1
    # The dashboard's pre-check verdict is the pre-check page's (warnings counted).
    assert page.locator("#dashboard-precheck .badge").first.inner_text() == expected
    page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)
    page.goto(parallel_url)
    page.fill("#plan-actions form:has(#approve-plan) input[name=comment]", "safe enough")
    page.click("#approve-plan")
    page.wait_for_selector("text=Plan approved.")
    assert page.inner_text("#plan-state") == "Approved"
    _sign_out(page)

    _sign_in(page, site, "planner-1")
    page.goto(parallel_url)
    # The first host into a new wave at the end: a move that keeps the plan valid.
    first_host = page.locator("#waves tbody tr").first.get_attribute("data-host")
    last_wave = int(page.locator("#waves tbody tr").last.get_attribute("data-wave"))
    page.fill("#move-host-form input[name=host]", first_host)
    page.fill("#move-host-form input[name=wave]", str(last_wave + 1))
    page.click("#move-host-form button")
    page.wait_for_selector("text=it is a draft again")
    assert page.inner_text("#plan-state") == "Draft"
    log = page.locator("#audit-log tbody tr").all_inner_texts()
    assert [line.split("\t")[2] for line in log] == [
        # The second simulation request is the what-if's: it is part of the plan's history.
        "requested", "created", "simulation requested", "simulated", "simulation requested",
        "submitted", "approved", "changed"]
    assert "approval withdrawn" in log[-1]
    assert serial_url != parallel_url
