"""Fixtures shared by every test: a small cloud as a document, users, clients."""

from __future__ import annotations

import copy

import pytest

from tests.alertmanager import alertmanager  # noqa: F401

# One definition for the whole run, so one sandbox per session whichever
# suites are run together (each suite importing it made one sandbox each,
# and the environment's clouds.yaml named only the last).
from tests.fixtures_sandbox import sandbox, sandbox_session  # noqa: F401

SMALL_CLOUD = {
    "format_version": 1,
    "cloud": {"name": "lab", "openstack_cloud": "lab"},
    "target_release": {"name": "2026.2", "components": {"nova-compute": "31.0.0", "libvirt": "10.2.0"}},
    "control_plane": {"nova-api": "31.0.0"},
    "hosts": [
        {
            "name": f"cmp{i}",
            "az": "az1" if i <= 2 else "az2",
            "aggregates": ["general"] if i != 3 else ["dpdk"],
            "vcpus": 16,
            "ram_mib": 65536,
            "disk_gib": 500,
            "cpu_allocation_ratio": 2.0,
            "ram_allocation_ratio": 1.0,
            "disk_allocation_ratio": 1.0,
            "nic_bandwidth_mibps": 1192.0,
            "service_status": "enabled",
            "service_state": "up",
            "disabled_reason": "",
            "components": {"nova-compute": "30.1.0", "libvirt": "10.0.0"},
        }
        for i in range(1, 5)
    ],
    "servers": [
        {"name": "fw-a", "uuid": "", "host": "cmp1", "flavor": "m1.large", "vcpus": 4, "ram_mib": 8192,
         "disk_gib": 40, "status": "ACTIVE", "task_state": None, "memory_used_mib": 6000,
         "dirty_rate_mibps": 20.0, "working_set_mib": 512, "live_migratable": True,
         "not_migratable_reason": ""},
        {"name": "fw-b", "uuid": "", "host": "cmp2", "flavor": "m1.large", "vcpus": 4, "ram_mib": 8192,
         "disk_gib": 40, "status": "ACTIVE", "task_state": None, "memory_used_mib": 6000,
         "dirty_rate_mibps": 20.0, "working_set_mib": 512, "live_migratable": True,
         "not_migratable_reason": ""},
        {"name": "lb-1", "uuid": "", "host": "cmp1", "flavor": "m1.medium", "vcpus": 2, "ram_mib": 4096,
         "disk_gib": 20, "status": "ACTIVE", "task_state": None, "memory_used_mib": 2048,
         "dirty_rate_mibps": 5.0, "working_set_mib": 128, "live_migratable": True,
         "not_migratable_reason": ""},
        {"name": "lb-2", "uuid": "", "host": "cmp3", "flavor": "m1.medium", "vcpus": 2, "ram_mib": 4096,
         "disk_gib": 20, "status": "ACTIVE", "task_state": None, "memory_used_mib": 2048,
         "dirty_rate_mibps": 5.0, "working_set_mib": 128, "live_migratable": True,
         "not_migratable_reason": ""},
        {"name": "lb-3", "uuid": "", "host": "cmp4", "flavor": "m1.medium", "vcpus": 2, "ram_mib": 4096,
         "disk_gib": 20, "status": "ACTIVE", "task_state": None, "memory_used_mib": 2048,
         "dirty_rate_mibps": 5.0, "working_set_mib": 128, "live_migratable": True,
         "not_migratable_reason": ""},
        {"name": "dpi", "uuid": "", "host": "cmp3", "flavor": "sriov.xl", "vcpus": 8, "ram_mib": 16384,
         "disk_gib": 80, "status": "ACTIVE", "task_state": None, "memory_used_mib": 16000,
         "dirty_rate_mibps": 400.0, "working_set_mib": 4096, "live_migratable": False,
         "not_migratable_reason": "SR-IOV port"},
    ],
    "server_groups": [
        {"name": "fw-aa", "policy": "anti-affinity", "members": ["fw-a", "fw-b"]},
        {"name": "lb-aa", "policy": "soft-anti-affinity", "members": ["lb-1", "lb-2", "lb-3"]},
    ],
    "vnfs": [
        {"name": "firewall", "ha_model": "active-standby", "max_impacted": 1, "required_members": 1,
         "switchover_s": 2.0, "outage_budget_s": 5.0,
         "members": [{"server": "fw-a", "role": "active"}, {"server": "fw-b", "role": "standby"}]},
        {"name": "loadbalancer", "ha_model": "n+m", "max_impacted": 1, "required_members": 2,
         "switchover_s": 0.0, "outage_budget_s": 15.0,
         "members": [{"server": "lb-1", "role": "member"}, {"server": "lb-2", "role": "member"},
                     {"server": "lb-3", "role": "member"}]},
        {"name": "dpi", "ha_model": "none", "max_impacted": 1, "required_members": 1,
         "switchover_s": 0.0, "outage_budget_s": 25.0,
         "members": [{"server": "dpi", "role": "member"}]},
    ],
}


@pytest.fixture
def cloud_doc():
    """A small, valid inventory document that a test may break in one place."""
    return copy.deepcopy(SMALL_CLOUD)


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_user(
        "ops-admin", password="correct horse battery", is_staff=True, is_superuser=True
    )


@pytest.fixture
def viewer_user(django_user_model):
    return django_user_model.objects.create_user("viewer", password="correct horse battery")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def pytest_collection_modifyitems(config, items):
    # Browser tests run last: an asyncio test after Playwright's loop fails (see notes).
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture
def role_users(django_user_model):
    """One user per role (groups are made again: transactional tests flush them)."""
    from django.contrib.auth.models import Group

    users = {}
    for role in ("viewer", "planner", "approver", "admin"):
        group, _ = Group.objects.get_or_create(name=role)
        user = django_user_model.objects.create_user(f"{role}-1", password="correct horse battery")
        user.groups.add(group)
        users[role] = user
    second = django_user_model.objects.create_user("planner-2", password="correct horse battery")
    second.groups.add(Group.objects.get(name="planner"))
    users["planner2"] = second
    return users


@pytest.fixture
def lab_cloud(cloud_doc):
    from inventory.files import parse_inventory
    from inventory.services import replace_inventory

    replace_inventory(parse_inventory(cloud_doc))
    return cloud_doc
