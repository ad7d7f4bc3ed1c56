"""The plan page read by an operator: its hints, its charts, how its verdicts relate."""

from __future__ import annotations

import threading

import pytest

from inventory.files import parse_inventory
from inventory.services import replace_inventory

pytestmark = [pytest.mark.browser]


def _in_thread(function, *args):
    """Planning and simulating publish progress with async_to_sync: not in Playwright's loop."""
    out: list = []
    worker = threading.Thread(target=lambda: out.append(function(*args)))
    worker.start()
    worker.join()
    return out[0] if out else None


def test_a_valid_plan_whose_simulation_breaks_a_budget_says_how_the_verdicts_relate(
        signed_in, live_site, cloud_doc, django_user_model):
    from planner import services
    from planner.tasks import run_simulation

    # A firewall whose switchover is slower than its budget: no rule of the plan is broken,
    # but every switchover is an SLA violation in time.
    firewall = next(v for v in cloud_doc["vnfs"] if v["name"] == "firewall")
    firewall.update(switchover_s=12.0, outage_budget_s=5.0)
    replace_inventory(parse_inventory(cloud_doc))
    user = django_user_model.objects.get(username="operator")
    plan = _in_thread(lambda: services.create_plan(user, "serial", name="slow firewall"))
    plan.refresh_from_db()
    assert plan.state == "draft" and plan.is_valid

    page = signed_in
    page.goto(live_site.url + plan.get_absolute_url())
    assert "simulated before it can be submitted" in page.inner_text("#draft-hint")
    assert page.locator("#submit-plan").count() == 0
    assert page.locator(".export-link").count() > 0

    simulation = services.request_simulation(plan, user, runs=5, start=False)
    _in_thread(run_simulation, simulation.pk)
    page.reload()
    assert page.inner_text("#verdict").startswith("no violation")
    assert page.locator("#draft-hint").count() == 0
    differ = page.locator("#verdicts-differ")
    assert differ.is_visible()
    assert "SLA violation" in differ.inner_text()
    assert page.locator("#vnf-outage tr", has_text="firewall").locator(".badge.fail").count() == 1

    # The VNF's page: the plan's predicted outage for it, against its budget.
    from inventory.models import Vnf

    page.goto(live_site.url + f"/inventory/vnfs/{Vnf.objects.get(name='firewall').pk}/")
    row = page.locator(f'#vnf-outage-plans tr[data-plan="{plan.pk}"]')
    cells = row.locator("td.num").all_inner_texts()
    assert float(cells[0]) >= 5.0 and "over budget" in cells[2] and cells[3] == "5"
    assert page.locator("#vnf-outage-executions").inner_text().endswith("No execution on this cloud yet.")
    page.go_back()

    # The headroom over time on a linear axis: points at their own minutes.
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('headroom'))")
    axis = page.evaluate("() => Chart.getChart(document.getElementById('headroom')).options.scales.x.type")
    assert axis == "linear"
    xs = page.evaluate(
        "() => Chart.getChart(document.getElementById('headroom')).data.datasets[0].data.map(p => p.x)")
    assert xs == sorted(xs) and len(xs) > 2
    gaps = {round(b - a, 2) for a, b in zip(xs, xs[1:], strict=False)}
    assert len(gaps) > 1  # uneven times stay uneven


def test_a_failed_plan_offers_no_exports_and_no_hint(signed_in, live_site, lab_cloud,
                                                     django_user_model):
    from inventory.models import Cloud
    from inventory.services import current_version
    from planner.models import Plan

    cloud = Cloud.objects.get(name="lab")
    plan = Plan.objects.create(
        cloud=cloud, inventory_version=current_version(cloud), name="impossible",
        strategy="serial", target_release="2026.2", content={}, options={}, state="failed",
        validation={"error": "No plan possible: cmp3's servers fit on no other host."},
        author=django_user_model.objects.get(username="operator"))
    page = signed_in
    page.goto(live_site.url + plan.get_absolute_url())
    assert "fit on no other host" in page.inner_text("#planning-failed")
    assert page.locator(".export-link").count() == 0
    assert page.locator("#draft-hint").count() == 0
    assert page.locator(".messages li.success").count() == 0
    response = page.request.get(live_site.url + f"/planning/plans/{plan.pk}/export.json")
    assert response.status == 409
    assert "no content to export" in response.text()
