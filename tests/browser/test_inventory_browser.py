"""An operator in a real browser: browse hosts, filter them, upload a broken file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from inventory.files import parse_inventory
from inventory.services import replace_inventory

pytestmark = [pytest.mark.browser]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_filter_hosts_then_upload_a_broken_file(signed_in, live_site, cloud_doc, tmp_path):
    page = signed_in
    replace_inventory(parse_inventory(cloud_doc))

    # The session's live site may hold other clouds with hosts of the same names.
    page.goto(f"{live_site.url}/inventory/hosts/?cloud=lab")
    rows = page.locator("#host-table tbody tr")
    assert rows.count() == 4
    page.select_option("select[name=az]", "az2")
    page.click("#host-filters button[type=submit]")
    page.wait_for_url("**az=az2**")
    assert page.locator("#host-table tbody tr").all_inner_texts()[0].startswith("cmp3")
    assert [r.get_attribute("data-host") for r in rows.all()] == ["cmp3", "cmp4"]

    page.click("text=cmp3")
    assert page.locator("#server-table").inner_text().count("SR-IOV port") == 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "host-detail.png"), full_page=True)

    cloud_doc["hosts"][1]["ram_mib"] = -1
    cloud_doc["servers"][0]["host"] = "cmp2"
    cloud_doc["servers"][1]["colour"] = "blue"
    # Problems of every stage, all listed in one pass: what holds together too.
    cloud_doc["servers"][3]["host"] = "cmp9"
    cloud_doc["server_groups"][0]["members"].append("ghost")
    cloud_doc["vnfs"][2]["members"][0]["server"] = "nobody"
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(cloud_doc))
    page.click("text=Import")
    page.set_input_files("input[name=file]", str(broken))
    page.check("input[name=replace]")
    page.click("text=Check and import")
    errors = page.locator("#import-errors li").all_inner_texts()
    assert errors == [
        "hosts[1].ram_mib: must be a positive integer, not -1",
        "server_groups[0].members: unknown server 'ghost'",
        "servers[1]: unknown field 'colour'",
        "servers[3].host: unknown host 'cmp9'",
        "vnfs[2].members[0].server: unknown server 'nobody'",
    ]
    assert "Nothing was changed" in page.locator("#import-errors").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "import-errors.png"), full_page=True)

    page.goto(live_site.url + "/inventory/hosts/?q=cmp1")
    assert page.locator("#host-table tbody tr td").nth(4).inner_text() == "2"


def test_a_viewer_going_to_import_gets_a_clear_403_page(page, live_site, transactional_db,
                                                        django_user_model):
    from django.contrib.auth.models import Group

    viewer = django_user_model.objects.create_user("watcher", password="correct horse battery")
    viewer.groups.add(Group.objects.get_or_create(name="viewer")[0])
    page.goto(live_site.url + "/accounts/login/")
    page.fill("input[name=username]", "watcher")
    page.fill("input[name=password]", "correct horse battery")
    page.click("button[type=submit]")
    page.wait_for_url(live_site.url + "/")
    assert page.locator("header nav >> text=Import").count() == 0
    response = page.goto(live_site.url + "/inventory/import/")
    assert response.status == 403
    assert page.url == live_site.url + "/inventory/import/"  # not sent to a login page
    assert page.locator("#error-page h1").inner_text() == "403 · Not allowed"
    assert page.inner_text("#error-reason") == "This page needs the admin role."
