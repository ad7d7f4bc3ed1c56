"""Validation on the models: what the admin and the API refuse, keyed by field."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from inventory import models as m

pytestmark = pytest.mark.django_db


def _errors(instance) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    return caught.value.message_dict


def test_server_that_does_not_fit_its_host(lab_cloud):
    server = m.Server.objects.get(name="dpi")
    server.ram_mib = 70000
    server.memory_used_mib = 1000
    assert _errors(server)["host"] == [
        "The server does not fit on cmp3: 74096 MiB RAM of 65536."]


def test_version_that_is_not_semver(lab_cloud):
    component = m.HostComponent.objects.filter(host__name="cmp1").first()
    component.version = "10.0"
    assert _errors(component)["version"] == [
        "'10.0' is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.4.2)"]


def test_two_members_of_an_anti_affinity_group_on_one_host(lab_cloud):
    server = m.Server.objects.get(name="fw-b")
    server.host = m.Host.objects.get(name="cmp1")
    assert _errors(server)["host"] == ["fw-a of anti-affinity group fw-aa already runs on cmp1."]


def test_host_smaller_than_its_servers(lab_cloud):
    host = m.Host.objects.get(name="cmp1")
    host.vcpus = 2
    assert "vCPUs x allocation ratio" in _errors(host)["vcpus"][0]


def test_memory_and_migration_reason(lab_cloud):
    server = m.Server.objects.get(name="lb-1")
    server.memory_used_mib = 5000
    server.live_migratable = False
    errors = _errors(server)
    assert errors["memory_used_mib"] == ["5000 MiB in use exceeds the flavor's 4096 MiB."]
    assert errors["not_migratable_reason"] == ["Say why the server cannot live-migrate."]


def test_vnf_roles_and_limits(lab_cloud):
    member = m.VnfMember.objects.get(server__name="fw-b")
    member.role = "active"
    assert _errors(member)["role"] == ["fw-a is already the active member."]
    pool_member = m.VnfMember.objects.get(server__name="lb-1")
    pool_member.role = "standby"
    assert "only fits an active-standby VNF" in _errors(pool_member)["role"][0]
    vnf = m.Vnf.objects.get(name="loadbalancer")
    vnf.max_impacted = 5
    assert _errors(vnf)["max_impacted"] == ["5 exceeds the 3 members."]


def test_names_are_unique_per_cloud(lab_cloud):
    duplicate = m.Host(cloud=m.Cloud.objects.get(), name="cmp1", az="az1", vcpus=1,
                       ram_mib=1, disk_gib=1, nic_bandwidth_mibps=1)
    assert _errors(duplicate)["__all__"] == ["A host of this name exists in this cloud."]
