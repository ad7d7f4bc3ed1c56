"""An operator finds things: the header's search, the servers and server-groups pages."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_search_from_the_header_finds_hosts_servers_vnfs_and_plans(signed_in, live_site, lab_cloud,
                                                                   django_user_model):
    from inventory.models import Cloud
    from inventory.services import current_version
    from planner.models import Plan

    cloud = Cloud.objects.get(name="lab")
    Plan.objects.create(cloud=cloud, inventory_version=current_version(cloud), name="lb-night",
                        strategy="rolling", target_release="2026.2", content={}, options={},
                        author=django_user_model.objects.get(username="operator"))
    page = signed_in
    page.fill("#global-search-q", "lb")
    page.press("#global-search-q", "Enter")
    page.wait_for_url("**/search/?q=lb")
    assert page.locator("#found-servers li a:first-child").all_inner_texts() == ["lb-1", "lb-2", "lb-3"]
    assert page.locator("#found-groups li a").all_inner_texts() == ["lb-aa"]
    assert page.locator("#found-plans li a").all_inner_texts() == ["lb-night"]
    assert page.locator("#found-vnfs li a").all_inner_texts() == []  # "loadbalancer" holds no "lb"
    page.fill("#global-search-q", "cmp3")
    page.press("#global-search-q", "Enter")
    page.wait_for_url("**/search/?q=cmp3")
    page.click("#found-hosts a")
    page.wait_for_url("**/inventory/hosts/*/")
    assert page.locator("h1").inner_text().startswith("cmp3")
    page.fill("#global-search-q", "fire")
    page.press("#global-search-q", "Enter")
    page.click("#found-vnfs a")
    page.wait_for_url("**/inventory/vnfs/*/")
    # Markup in a query is text, and nothing found says so.
    page.goto(live_site.url + "/search/?q=%3Cb%3Enope%3C/b%3E")
    assert page.locator("#search-none").inner_text() == "Nothing matches “<b>nope</b>”."


def test_servers_and_server_groups_pages_filter_with_breadcrumbs_and_page_size(signed_in, live_site,
                                                                               lab_cloud):
    page = signed_in
    page.click("header nav >> text=Servers")
    rows = page.locator("#server-list-table tbody tr[data-server]")
    assert [r.get_attribute("data-server") for r in rows.all()] == [
        "dpi", "fw-a", "fw-b", "lb-1", "lb-2", "lb-3"]
    assert page.locator("nav.breadcrumbs").inner_text() == "Dashboard / Servers"
    page.select_option("#server-filters select[name=host]", "cmp1")
    page.click("#server-filters button[type=submit]")
    page.wait_for_url("**host=cmp1**")
    assert [r.get_attribute("data-server") for r in rows.all()] == ["fw-a", "lb-1"]
    assert "fw-aa" in page.locator('tr[data-server="fw-a"]').inner_text()
    page.select_option("#server-filters select[name=host]", "")
    page.select_option("#server-filters select[name=live_migratable]", "false")
    page.click("#server-filters button[type=submit]")
    page.wait_for_url("**live_migratable=false**")
    assert [r.get_attribute("data-server") for r in rows.all()] == ["dpi"]

    # The page size: 25 chosen, kept with the filters, shown as current.
    page.click(".page-size >> text=25")
    page.wait_for_url("**per_page=25**")
    assert "live_migratable=false" in page.url
    assert page.locator(".page-size strong").inner_text() == "25"

    page.click("header nav >> text=Groups")
    groups = page.locator("#group-table tbody tr[data-group]")
    assert [g.get_attribute("data-group") for g in groups.all()] == ["fw-aa", "lb-aa"]
    page.select_option("#group-filters select[name=policy]", "soft-anti-affinity")
    page.click("#group-filters button[type=submit]")
    page.wait_for_url("**policy=soft-anti-affinity**")
    assert [g.get_attribute("data-group") for g in groups.all()] == ["lb-aa"]
    assert groups.first.locator("td.num").inner_text() == "3"
    page.fill("#group-filters input[name=member]", "fw-b")
    page.select_option("#group-filters select[name=policy]", "")
    page.click("#group-filters button[type=submit]")
    page.wait_for_url("**member=fw-b**")
    assert [g.get_attribute("data-group") for g in groups.all()] == ["fw-aa"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "server-groups.png"), full_page=True)

    for path, crumb in (("/inventory/hosts/", "Hosts"), ("/inventory/vnfs/", "VNFs"),
                        ("/planning/plans/", "Plans"), ("/executions/", "Executions")):
        page.goto(live_site.url + path)
        assert page.locator("nav.breadcrumbs").inner_text() == f"Dashboard / {crumb}", path
    # The icon is served (no 404 on every page).
    assert page.request.get(live_site.url + "/favicon.ico").status == 200
