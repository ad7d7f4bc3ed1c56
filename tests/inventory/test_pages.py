"""The inventory pages as an operator uses them, through Django's test client."""

from __future__ import annotations

import io

import pytest
import yaml

from inventory import models as m
from inventory.files import parse_inventory
from inventory.services import replace_inventory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lab(cloud_doc):
    replace_inventory(parse_inventory(cloud_doc))


def _hosts_in(response) -> list[str]:
    return [h.name for h in response.context["page"].object_list]


def test_pages_need_sign_in(client, lab):
    response = client.get("/inventory/hosts/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_host_list_filters_and_sorts(admin_client, lab):
    assert _hosts_in(admin_client.get("/inventory/hosts/")) == ["cmp1", "cmp2", "cmp3", "cmp4"]
    assert _hosts_in(admin_client.get("/inventory/hosts/?az=az2")) == ["cmp3", "cmp4"]
    assert _hosts_in(admin_client.get("/inventory/hosts/?aggregate=general&sort=-name")) == [
        "cmp4", "cmp2", "cmp1"]
    assert _hosts_in(admin_client.get("/inventory/hosts/?sort=-servers")) == [
        "cmp1", "cmp3", "cmp2", "cmp4"]
    assert _hosts_in(admin_client.get("/inventory/hosts/?per_page=25&page=9")) == [
        "cmp1", "cmp2", "cmp3", "cmp4"]


def test_host_detail_shows_servers_capacity_and_versions(admin_client, lab):
    host = m.Host.objects.get(name="cmp3")
    page = admin_client.get(f"/inventory/hosts/{host.pk}/").content.decode()
    assert "dpi" in page and "lb-2" in page and "SR-IOV port" in page
    assert "20480 / 65536 GiB" not in page  # RAM is shown in GiB, not MiB mislabelled
    assert "20 / 64 GiB (31.2%)" in page
    assert "behind" in page


def test_host_detail_says_where_each_servers_memory_figures_came_from(admin_client, lab):
    # lb-2's figures come from the inventory file; a refresh measured its memory in use.
    m.Server.objects.filter(name="lb-2").update(memory_used_mib=1900, memory_source="measured")
    host = m.Host.objects.get(name="cmp3")
    page = admin_client.get(f"/inventory/hosts/{host.pk}/").content.decode()
    row = next(line for line in page.split("<tr>") if "<td>lb-2</td>" in line)
    assert '1900 <span class="muted source" title="Measured on the cloud">measured</span>' in row
    assert '5.0 <span class="muted source" title="From the inventory file">file</span>' in row


def test_vnf_pages(admin_client, lab):
    listing = admin_client.get("/inventory/vnfs/?ha_model=n%2Bm").content.decode()
    assert "loadbalancer" in listing and "firewall" not in listing
    vnf = m.Vnf.objects.get(name="firewall")
    detail = admin_client.get(f"/inventory/vnfs/{vnf.pk}/").content.decode()
    assert "fw-aa" in detail and "Standby" in detail


def test_upload_of_a_broken_file_shows_every_error_and_changes_nothing(admin_client, lab, cloud_doc):
    cloud_doc["hosts"][0]["vcpus"] = -2
    cloud_doc["servers"][0]["host"] = "nowhere"
    upload = io.BytesIO(yaml.safe_dump(cloud_doc).encode())
    upload.name = "broken.yaml"
    response = admin_client.post("/inventory/import/", {"file": upload, "replace": "on"})
    assert response.status_code == 400
    # Both stages in one pass: the schema's problem and the server on a host that is not there.
    assert response.context["problems"] == ["hosts[0].vcpus: must be a positive integer, not -2",
                                            "servers[0].host: unknown host 'nowhere'"]
    assert m.Server.objects.get(name="fw-a").host.name == "cmp1"


def test_upload_of_a_good_file_imports_it(admin_client, cloud_doc):
    upload = io.BytesIO(yaml.safe_dump(cloud_doc).encode())
    upload.name = "lab.yaml"
    response = admin_client.post("/inventory/import/", {"file": upload}, follow=True)
    assert "Imported 4 hosts, 6 servers, 3 VNFs" in response.content.decode()


def test_only_the_admin_role_may_import(client, viewer_user):
    client.force_login(viewer_user)
    assert client.get("/inventory/import/").status_code == 403


def test_dashboard_summarises_the_cloud(admin_client, lab):
    page = admin_client.get("/").content.decode()
    assert "Cloud <strong>lab</strong>" in page
    overview = admin_client.get("/").context["overview"]
    assert overview["hosts"]["total"] == 4
    assert overview["servers"]["pinned"] == 1
    assert overview["hosts_behind_target"] == 4
