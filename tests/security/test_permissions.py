"""Inventory writes need the admin role, whatever Django's staff flag says."""

from __future__ import annotations

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from inventory.models import Host
from tests.security.helpers import user_with

pytestmark = pytest.mark.django_db


def _upload(doc: dict) -> SimpleUploadedFile:
    return SimpleUploadedFile("lab.yaml", yaml.safe_dump(doc).encode(), "application/yaml")


def test_a_staff_viewer_cannot_import_or_change_hosts(client, lab_cloud, django_user_model):
    staff_viewer = user_with(django_user_model, "staff-viewer", "viewer", staff=True)
    client.force_login(staff_viewer)
    lab_cloud["hosts"][0]["vcpus"] = 99
    assert client.get("/inventory/import/").status_code == 403
    refused = client.post("/inventory/import/", {"file": _upload(lab_cloud), "replace": "on"})
    assert refused.status_code == 403
    assert b"admin role" in refused.content

    api = APIClient()
    api.force_authenticate(staff_viewer)
    host = Host.objects.get(name="cmp1")
    answer = api.patch(f"/api/hosts/{host.pk}/", {"vcpus": 64}, format="json")
    assert answer.status_code == 403
    assert answer.json() == {"detail": "Changing this needs the admin role."}
    answer = api.post("/api/clouds/import/", {"file": _upload(lab_cloud), "replace": True},
                      format="multipart")
    assert answer.status_code == 403
    host.refresh_from_db()
    assert host.vcpus == 16


def test_an_admin_without_staff_imports_and_changes_hosts(client, lab_cloud, django_user_model):
    admin = user_with(django_user_model, "ops", "admin", staff=False)
    client.force_login(admin)
    lab_cloud["hosts"][0]["vcpus"] = 32
    assert client.get("/inventory/import/").status_code == 200
    done = client.post("/inventory/import/", {"file": _upload(lab_cloud), "replace": "on"})
    assert done.status_code == 302
    assert Host.objects.get(name="cmp1").vcpus == 32
    assert "Import</a>" in client.get("/").content.decode()

    api = APIClient()
    api.force_authenticate(admin)
    host = Host.objects.get(name="cmp2")
    assert api.patch(f"/api/hosts/{host.pk}/", {"vcpus": 64}, format="json").status_code == 200
    host.refresh_from_db()
    assert host.vcpus == 64


@pytest.mark.parametrize("role", ["viewer", "planner", "approver"])
def test_other_roles_read_but_do_not_write(role, lab_cloud, django_user_model):
    api = APIClient()
    api.force_authenticate(user_with(django_user_model, role + "-x", role))
    host = Host.objects.get(name="cmp1")
    assert api.get("/api/hosts/").json()["count"] == 4
    assert api.patch(f"/api/hosts/{host.pk}/", {"vcpus": 8}, format="json").status_code == 403


def test_the_import_link_shows_for_the_admin_role_only(client, lab_cloud, django_user_model):
    client.force_login(user_with(django_user_model, "staff-planner", "planner", staff=True))
    assert "/inventory/import/" not in client.get("/inventory/hosts/").content.decode()
