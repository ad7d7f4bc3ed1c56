"""The inventory over REST: what an automation script reads and may change."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken
from rest_framework.test import APIClient

from inventory.files import parse_inventory
from inventory.services import replace_inventory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lab(cloud_doc):
    replace_inventory(parse_inventory(cloud_doc))


@pytest.fixture
def api(admin_user):
    client = APIClient()
    _, key = AuthToken.objects.create(user=admin_user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_anonymous_is_refused(lab):
    assert APIClient().get("/api/hosts/").status_code in (401, 403)


def test_hosts_list_with_usage_and_versions(lab, api):
    body = api.get("/api/hosts/").json()
    assert body["count"] == 4
    cmp1 = body["results"][0]
    assert cmp1["name"] == "cmp1"
    assert cmp1["server_count"] == 2
    assert cmp1["used_ram_mib"] == 8192 + 4096
    assert cmp1["components"] == {"libvirt": "10.0.0", "nova-compute": "30.1.0"}
    assert cmp1["aggregates"] == ["general"]


@pytest.mark.parametrize(
    "query,expected",
    [
        ("az=az2", ["cmp3", "cmp4"]),
        ("aggregate=dpdk", ["cmp3"]),
        ("component=nova-compute&version=30.1.0", ["cmp1", "cmp2", "cmp3", "cmp4"]),
        ("component=nova-compute&version=31.0.0", []),
        ("behind_target=true", ["cmp1", "cmp2", "cmp3", "cmp4"]),
        ("ordering=-used_ram_mib", ["cmp3", "cmp1", "cmp2", "cmp4"]),
        ("q=cmp4", ["cmp4"]),
    ],
)
def test_host_filters(lab, api, query, expected):
    body = api.get(f"/api/hosts/?{query}").json()
    assert [h["name"] for h in body["results"]] == expected


def test_host_list_queries_do_not_grow_with_page_size(lab, api):
    counts = []
    for limit in (1, 4):
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(f"/api/hosts/?limit={limit}").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_servers_and_vnfs(lab, api):
    servers = api.get("/api/servers/?live_migratable=false").json()["results"]
    assert [(s["name"], s["vnf"], s["not_migratable_reason"]) for s in servers] == [
        ("dpi", "dpi", "SR-IOV port")]
    vnf = api.get("/api/vnfs/?ha_model=active-standby").json()["results"][0]
    assert vnf["name"] == "firewall"
    assert [(x["server"], x["role"], x["host"]) for x in vnf["members"]] == [
        ("fw-a", "active", "cmp1"), ("fw-b", "standby", "cmp2")]


def test_staff_disables_a_host_with_a_reason_but_validation_holds(lab, api):
    host = api.get("/api/hosts/?q=cmp2").json()["results"][0]
    ok = api.patch(f"/api/hosts/{host['id']}/", {"service_status": "disabled",
                                                 "disabled_reason": "bad DIMM"}, format="json")
    assert ok.status_code == 200, ok.content
    assert ok.json()["disabled_reason"] == "bad DIMM"
    too_small = api.patch(f"/api/hosts/{host['id']}/", {"ram_mib": 1024}, format="json")
    assert too_small.status_code == 400
    assert "ram_mib" in too_small.json()


def test_viewer_cannot_change(lab, viewer_user):
    client = APIClient()
    client.force_authenticate(viewer_user)
    host = client.get("/api/hosts/").json()["results"][0]
    assert client.patch(f"/api/hosts/{host['id']}/", {"az": "x"}, format="json").status_code == 403


def test_import_over_api_reports_problems(api, cloud_doc):
    import io

    import yaml

    cloud_doc["hosts"][0]["ram_mib"] = 0
    upload = io.BytesIO(yaml.safe_dump(cloud_doc).encode())
    upload.name = "bad.yaml"
    response = api.post("/api/clouds/import/", {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert response.json()["problems"] == ["hosts[0].ram_mib: must be a positive integer, not 0"]
    cloud_doc["hosts"][0]["ram_mib"] = 65536
    upload = io.BytesIO(yaml.safe_dump(cloud_doc).encode())
    upload.name = "good.yaml"
    response = api.post("/api/clouds/import/", {"file": upload}, format="multipart")
    assert response.status_code == 201
    assert response.json()["hosts"] == 4


def test_cloud_export(lab, api):
    response = api.get("/api/clouds/lab/export/?as=json")
    assert response.status_code == 200
    assert response.json()["cloud"]["name"] == "lab"


def test_openapi_schema_lists_the_inventory(api):
    response = api.get("/api/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("/api/hosts/", "/api/servers/", "/api/vnfs/", "/api/clouds/import/",
                 "/api/plans/", "/api/plans/{id}/approve/", "/api/plans/{id}/export/",
                 "/api/plans/{id}/simulate/", "/api/simulations/", "/api/prechecks/"):
        assert path in paths
