"""An operator reads times in their own zone and picks the columns of list pages.

The zone is each user's (kept in the database), chosen on their settings page from
the header; pages name it. The API keeps answering in UTC.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.browser.test_accessibility import PASSWORD, site_with_data  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
KOLKATA = ZoneInfo("Asia/Kolkata")  # UTC+5:30 all year: no summer time to trip on


def _sign_in(page, site: str, username: str = "operator") -> None:
    page.goto(site + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(site + "/")


def test_times_show_in_the_zone_the_user_chose_and_the_page_names_it(page, live_site,
                                                                       site_with_data):  # noqa: F811
    site = live_site.url
    plan, execution = site_with_data["plan"], site_with_data["execution"]
    _sign_in(page, site)
    assert page.locator("#time-zone-link").inner_text() == "Times in UTC"
    page.goto(site + "/planning/plans/")
    assert page.locator("#plan-table thead").inner_text().count("Created (UTC)") == 1
    assert f"{plan.created:%Y-%m-%d %H:%M}" in page.locator("#plan-table tbody").inner_text()

    # The header's link leads to the settings page and back to the page it came from.
    page.click("#time-zone-link")
    page.wait_for_url(re.compile(r"/preferences/\?next="))
    assert page.locator("label[for=time-zone]").count() == 1
    page.select_option("#time-zone", "Asia/Kolkata")
    page.click("#time-zone-form button[type=submit]")
    page.wait_for_url(site + "/planning/plans/")
    assert page.locator("#time-zone-link").inner_text() == "Times in Asia/Kolkata"
    assert page.locator("#plan-table thead").inner_text().count("Created (Asia/Kolkata)") == 1
    assert f"{plan.created.astimezone(KOLKATA):%Y-%m-%d %H:%M}" in page.locator(
        "#plan-table tbody").inner_text()

    # Every page: the plan's history and inventory version, the pre-check, the executions.
    page.goto(site + plan.get_absolute_url())
    version = plan.inventory_version.created.astimezone(KOLKATA)
    assert f"{version:%Y-%m-%d %H:%M} IST" in page.locator("#plan-inventory").inner_text()
    assert "When (Asia/Kolkata)" in page.content()
    page.goto(site + "/planning/precheck/")
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d IST", page.locator("main").inner_text())
    page.goto(site + "/executions/")
    assert "Created (Asia/Kolkata)" in page.locator("#execution-table thead").inner_text()
    row = page.locator(f'tr[data-execution="{execution.pk}"]').inner_text()
    assert f"{execution.created.astimezone(KOLKATA):%Y-%m-%d %H:%M:%S}" in row

    # The execution page: the log (from the server) and the end time the script writes.
    page.goto(site + execution.get_absolute_url())
    assert page.locator("#log-zone").inner_text() == "(times in Asia/Kolkata)"
    event = execution.events.order_by("seq").first()
    assert f"#{event.seq} {event.at.astimezone(KOLKATA):%H:%M:%S} " in page.locator(
        "#log").inner_text()
    eta = page.locator("#eta")
    page.wait_for_function("document.getElementById('eta').textContent.includes('ends near')")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "execution-time-zone.png"), full_page=True)
    ends = re.search(r"ends near (\d\d):(\d\d):\d\d Asia/Kolkata", eta.inner_text())
    assert ends, eta.inner_text()
    now_there = datetime.now(KOLKATA)
    # The end lies ahead of now, in Kolkata's clock (not UTC's, 5 h 30 min behind).
    minutes_ahead = (int(ends[1]) * 60 + int(ends[2]) - now_there.hour * 60 - now_there.minute) % 1440
    assert minutes_ahead < 600, (eta.inner_text(), now_there)

    # The API answers in UTC whatever the user's display choice.
    api = page.request.get(site + f"/api/executions/{execution.pk}/").json()
    assert api["created"].endswith(("Z", "+00:00")), api["created"]

    # An unknown zone is refused with its name, and the choice stays as it was.
    page.goto(site + "/preferences/")
    page.evaluate("document.querySelector('#time-zone option').value = 'Mars/Olympus'")
    page.select_option("#time-zone", "Mars/Olympus")
    response_status = []
    page.on("response", lambda r: response_status.append(r.status) if "/preferences/" in r.url else None)
    page.click("#time-zone-form button[type=submit]")
    page.wait_for_selector("#preference-error")
    assert "'Mars/Olympus' is not a time zone" in page.locator("#preference-error").inner_text()
    assert 400 in response_status
    assert page.locator("#time-zone-link").inner_text() == "Times in Asia/Kolkata"

    # Another user keeps UTC: the choice is each user's.
    page.click("header .user button[type=submit]")
    _sign_in(page, site, "second")
    assert page.locator("#time-zone-link").inner_text() == "Times in UTC"


def test_the_user_chooses_the_columns_of_list_pages_and_they_stay_chosen(page, live_site,
                                                                         site_with_data):  # noqa: F811
    site = live_site.url
    _sign_in(page, site)
    for path, table in (("/inventory/hosts/", "#host-table"), ("/inventory/servers/", "#server-list-table"),
                        ("/planning/plans/", "#plan-table"), ("/executions/", "#execution-table")):
        page.goto(site + path)
        # A real form control: a group of labelled checkboxes, one per column but the name.
        box = page.locator(f"{table}-columns")
        assert box.locator("fieldset legend").text_content() == "Columns shown", path
        heads = page.locator(f"{table} thead th").count()
        assert box.locator("input[type=checkbox]").count() == heads - 1, path
        # The page size and the breadcrumbs are there too.
        assert page.locator(".page-size").count() == 1, path
        assert page.locator("nav.breadcrumbs").count() == 1, path

    page.goto(site + "/inventory/hosts/")
    box = page.locator("#host-table-columns")
    box.locator("summary").click()
    page.get_by_role("checkbox", name="Aggregates").uncheck()
    page.get_by_role("checkbox", name="Versions").uncheck()
    visible = page.locator("#host-table thead th:visible").all_inner_texts()
    assert "Aggregates" not in visible and "Versions" not in visible and "AZ" in visible[1]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "host-list-columns.png"), full_page=True)
    first_row = page.locator("#host-table tbody tr").first
    assert first_row.locator("td:visible").count() == len(visible)
    # Remembered: after a reload and on the next page of filters, the same columns.
    page.goto(site + "/inventory/hosts/?az=az1")
    visible = page.locator("#host-table thead th:visible").all_inner_texts()
    assert "Aggregates" not in visible and "Versions" not in visible
    assert page.locator("#host-table-columns summary").inner_text() == "Columns (2 hidden)"
    assert not page.locator("#host-table-columns input[value=Aggregates]").is_checked()
    # Other lists keep their own choice.
    page.goto(site + "/inventory/servers/")
    assert page.locator("#server-list-table thead th:visible").count() == page.locator(
        "#server-list-table thead th").count()
    page.goto(site + "/inventory/hosts/")
    page.locator("#host-table-columns summary").click()
    page.get_by_role("checkbox", name="Aggregates").check()
    assert "Aggregates" in page.locator("#host-table thead th:visible").all_inner_texts()
