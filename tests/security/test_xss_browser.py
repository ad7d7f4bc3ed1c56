"""Names from a tenant or a file are text on every page, and no inline script runs.

A tenant may name a VM ``<img src=x onerror=...>``; discovery stores that name
as is. Every page that shows it must show those characters, not an element,
and the Content-Security-Policy must forbid inline script besides.
"""

from __future__ import annotations

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
MARKUP = "<img src=x onerror=window.__xss=1>"
PASSWORD = "correct horse battery"

# Records what the page tries that the policy blocks, before any page script runs.
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
  e => window.__violations.push(e.violatedDirective + " " + e.blockedURI));
"""


def _poisoned(doc: dict) -> dict:
    """The small cloud with markup in every host, server and VNF name."""
    rename = {s["name"]: s["name"] + MARKUP for s in doc["servers"]}
    hosts = {h["name"]: h["name"] + MARKUP for h in doc["hosts"]}
    for host in doc["hosts"]:
        host["name"] = hosts[host["name"]]
    for server in doc["servers"]:
        server["name"], server["host"] = rename[server["name"]], hosts[server["host"]]
    for group in doc["server_groups"]:
        group["name"] += MARKUP
        group["members"] = [rename[m] for m in group["members"]]
    for vnf in doc["vnfs"]:
        vnf["name"] += MARKUP
        for member in vnf["members"]:
            member["server"] = rename[member["server"]]
    return doc


@pytest.fixture
def poisoned_site(live_site, transactional_db, django_user_model, cloud_doc, monkeypatch):
    """A simulated, approved plan and a blocked execution, all named with markup."""
    monkeypatch.setattr(settings, "TASK_BACKEND", "inline")
    # Playwright's loop runs in this thread and the simulation publishes its
    # progress with async_to_sync: build the data in a thread of its own.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(_build, django_user_model, cloud_doc).result()


def _build(django_user_model, cloud_doc) -> dict:
    replace_inventory(parse_inventory(_poisoned(cloud_doc)))
    admin = django_user_model.objects.create_user("operator", password=PASSWORD,
                                                  is_superuser=True)
    approver = django_user_model.objects.create_user("second", password=PASSWORD,
                                                     is_superuser=True)
    planning.run_precheck(admin)
    plan = planning.create_plan(admin, "serial", {}, name="plan" + MARKUP)
    planning.request_simulation(plan, admin, runs=2, seed=1)
    plan.refresh_from_db()
    planning.submit_plan(plan, admin)
    planning.approve_plan(plan, approver)
    plan.refresh_from_db()
    snapshot = load_snapshot(plan.cloud)
    vnf_of = {server: vnf.name for server, vnf in snapshot.vnf_of_server.items()}
    execution = Execution.objects.create(
        plan=plan, plan_hash=plan.approved_hash, cloud_name="lab" + MARKUP, started_by=admin,
        state=ExecutionState.BLOCKED, cause="host down: cmp1" + MARKUP)
    steps = StepRecord.objects.bulk_create([
        StepRecord(execution=execution, index=s.index, key=s.key, wave=s.wave, host=s.host,
                   kind=str(s.kind), server=s.server, action=s.action, source=s.source,
                   target=s.target or "", vnf=s.vnf)
        for s in build_steps(plan_from_dict(plan.content), vnf_of)])
    # One step ran, so that the Gantt draws an actual bar and its label.
    StepRecord.objects.filter(pk=steps[0].pk).update(state=StepState.DONE, started_at=1000.0,
                                                     finished_at=1003.0)
    StepRecord.objects.filter(pk=steps[1].pk).update(state=StepState.FAILED, started_at=1003.0,
                                                     finished_at=1004.0, error="nova said " + MARKUP)
    record_event(execution.pk, "execution", "blocked on " + MARKUP, state="blocked")
    from django.db import connection

    connection.close()
    return {"plan": plan, "execution": execution, "next_step": steps[2]}


def _sign_in(page, site):
    page.add_init_script(WATCH)
    page.goto(site.url + "/accounts/login/")
    page.fill("input[name=username]", "operator")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(site.url + "/")


def _assert_inert(page, response, shows_names: bool = True) -> None:
    """No script of the markup ran, no element was made of it, and nothing inline was tried."""
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("style-src")[0]
    assert page.evaluate("window.__xss") is None
    assert page.locator("img[src=x]").count() == 0
    assert not shows_names or MARKUP in page.inner_text("body")
    assert page.evaluate("window.__violations") == []


def test_markup_in_names_is_text_on_every_page(page, live_site, poisoned_site):
    _sign_in(page, live_site)
    plan, execution = poisoned_site["plan"], poisoned_site["execution"]
    from inventory.models import Host, Vnf

    host = Host.objects.order_by("name").first()
    vnf = Vnf.objects.order_by("name").first()
    pages = [
        "/", "/inventory/hosts/", f"/inventory/hosts/{host.pk}/", "/inventory/vnfs/",
        f"/inventory/vnfs/{vnf.pk}/", "/planning/precheck/", "/planning/plans/",
        plan.get_absolute_url(), "/planning/whatif/", "/executions/",
        execution.get_absolute_url(),
    ]
    for path in pages:
        response = page.goto(live_site.url + path)
        assert response.status == 200, path
        _assert_inert(page, response)

    # The plan page's charts still draw under the policy.
    page.goto(live_site.url + plan.get_absolute_url())
    assert page.evaluate("!!Chart.getChart(document.getElementById('gantt'))")
    # The execution page's script runs from its file: the Gantt's labels are text nodes.
    page.goto(live_site.url + execution.get_absolute_url())
    page.wait_for_selector("#gantt-svg rect.actual")
    # A long host name is cut on the timeline; its whole name is the label's title.
    titles = page.locator("#gantt-svg text > title").all_text_contents()
    assert "cmp1" + MARKUP in titles
    assert page.locator("#gantt-svg img, #gantt-svg image").count() == 0
    assert page.locator("#log li").first.inner_text().endswith("blocked on " + MARKUP)
    page.wait_for_selector("#ws-state.ok", timeout=10_000)
    assert page.evaluate("window.__xss") is None
    assert page.evaluate("window.__violations") == []

    # Live events with markup: the page applies them from the socket as text. The site
    # runs in another process, so the event reaches it as a reconnecting page's backlog:
    # the sockets go through a route that can drop them.
    sockets = []

    def relay(route):
        route.connect_to_server()
        sockets.append(route)

    page.route_web_socket("**/ws/executions/**", relay)
    page.goto(live_site.url + execution.get_absolute_url())
    page.wait_for_selector("#ws-state.ok", timeout=10_000)
    step = poisoned_site["next_step"]
    with ThreadPoolExecutor(1) as pool:
        pool.submit(_live_event, execution.pk, step).result()
    sockets[-1].close(code=1012, reason="restart")  # the page reconnects after what it saw
    page.wait_for_function("() => document.querySelector('#log li').textContent.includes(' now ')",
                           timeout=15_000)
    assert page.locator("#log li").first.inner_text().endswith(f"now {MARKUP}")
    cell = page.locator(f'#step-table tr[data-step="{step.key}"] .step-state')
    assert cell.inner_text() == "running"
    assert page.locator("img[src=x]").count() == 0
    assert page.evaluate("window.__xss") is None
    assert page.evaluate("window.__violations") == []


def _live_event(execution_id: int, step) -> None:
    from django.db import connection

    record_event(execution_id, "step", f"{step.key} now {MARKUP}", step=step.key, host=step.host,
                 state="running")
    connection.close()


def test_the_admin_the_browsable_api_and_swagger_work_under_the_policy(page, live_site,
                                                                       poisoned_site):
    from django.contrib.auth import get_user_model

    from inventory.models import Host

    get_user_model().objects.filter(username="operator").update(is_staff=True)
    _sign_in(page, live_site)
    host = Host.objects.order_by("name").first()
    for path in ["/admin/", "/admin/inventory/host/", f"/admin/inventory/host/{host.pk}/change/",
                 "/admin/executor/execution/", "/api/hosts/"]:
        response = page.goto(live_site.url + path)
        assert response.status == 200, path
        _assert_inert(page, response, shows_names=path != "/admin/")
    # Swagger UI starts from its own script file (the split view), not an inline one.
    page.goto(live_site.url + "/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)
    assert page.locator(".swagger-ui .opblock").count() > 10
    assert page.evaluate("window.__violations") == []
