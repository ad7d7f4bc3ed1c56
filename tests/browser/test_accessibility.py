"""axe-core (vendored in static/vendor/axe-core) on the main pages: no serious or critical
violation of WCAG 2 A/AA rules, with the data an operator sees (a simulated, approved plan
and a blocked execution)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings

from executor.choices import ExecutionState, StepState
from executor.models import Execution, StepRecord
from executor.steps import build_steps
from executor.store import record_event
from inventory.files import parse_inventory
from inventory.services import load_snapshot, replace_inventory
from planner import services as planning
from planner.export import plan_from_dict

pytestmark = [pytest.mark.browser]
PASSWORD = "correct horse battery"
GRAVE = ("serious", "critical")
RUN_AXE = """async () => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}));
}"""


def _build(django_user_model, cloud_doc) -> dict:
    replace_inventory(parse_inventory(cloud_doc))
    admin = django_user_model.objects.create_user("operator", password=PASSWORD,
                                                  is_superuser=True)
    approver = django_user_model.objects.create_user("second", password=PASSWORD,
                                                     is_superuser=True)
    planning.run_precheck(admin)
    plan = planning.create_plan(admin, "serial", {}, name="nightly serial")
    planning.request_simulation(plan, admin, runs=2, seed=1)
    plan.refresh_from_db()
    planning.submit_plan(plan, admin)
    planning.approve_plan(plan, approver)
    plan.refresh_from_db()
    snapshot = load_snapshot(plan.cloud)
    vnf_of = {server: vnf.name for server, vnf in snapshot.vnf_of_server.items()}
    execution = Execution.objects.create(
        plan=plan, plan_hash=plan.approved_hash, cloud_name="lab", started_by=admin,
        state=ExecutionState.BLOCKED, cause="host down: cmp1")
    steps = StepRecord.objects.bulk_create([
        StepRecord(execution=execution, index=s.index, key=s.key, wave=s.wave, host=s.host,
                   kind=str(s.kind), server=s.server, action=s.action, source=s.source,
                   target=s.target or "", vnf=s.vnf)
        for s in build_steps(plan_from_dict(plan.content), vnf_of)])
    # Epoch seconds of a few minutes ago: the page's elapsed time reads as a real one.
    began = time.time() - 240
    StepRecord.objects.filter(pk=steps[0].pk).update(state=StepState.DONE, started_at=began,
                                                     finished_at=began + 3)
    StepRecord.objects.filter(pk=steps[1].pk).update(state=StepState.FAILED, started_at=began + 3,
                                                     finished_at=began + 4, error="nova said no")
    record_event(execution.pk, "execution", "blocked", state="blocked")
    from django.db import connection

    connection.close()
    return {"plan": plan, "execution": execution}


@pytest.fixture
def site_with_data(live_site, transactional_db, django_user_model, cloud_doc, monkeypatch):
    monkeypatch.setattr(settings, "TASK_BACKEND", "inline")
    # The simulation publishes progress with async_to_sync: not in Playwright's thread.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(_build, django_user_model, cloud_doc).result()


def _violations(page, url: str) -> list[dict]:
    response = page.goto(url)
    assert response.status in (200, 400), url
    # From the site's own static files: the pages' policy allows only their own scripts.
    page.add_script_tag(url="/static/vendor/axe-core/axe.min.js")
    return [v for v in page.evaluate(RUN_AXE) if v["impact"] in GRAVE]


def test_the_main_pages_have_no_serious_accessibility_violation(page, live_site, site_with_data):
    site = live_site.url
    assert not _violations(page, site + "/accounts/login/")
    page.fill("input[name=username]", "operator")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(site + "/")
    from inventory.models import Host, Vnf

    plan, execution = site_with_data["plan"], site_with_data["execution"]
    pages = [
        "/", "/search/?q=cmp", "/inventory/hosts/",
        f"/inventory/hosts/{Host.objects.order_by('name').first().pk}/",
        "/inventory/servers/", "/inventory/server-groups/", "/inventory/vnfs/",
        f"/inventory/vnfs/{Vnf.objects.order_by('name').first().pk}/", "/inventory/import/",
        "/planning/precheck/", "/planning/plans/", "/planning/plans/new/", "/preferences/",
        plan.get_absolute_url(), "/planning/whatif/", "/executions/",
        execution.get_absolute_url(),
    ]
    found = {path: _violations(page, site + path) for path in pages}
    report = [f"{path}: {v['impact']} {v['id']} ({v['help']}) at {', '.join(v['nodes'])}"
              for path, violations in found.items() for v in violations]
    assert not report, "\n".join(report)
