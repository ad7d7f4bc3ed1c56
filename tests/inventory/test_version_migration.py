"""A database from before inventory versions keeps working: its clouds get a first version."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("inventory", "0002_field_limits"), ("planner", "0004_planning_states")]

pytestmark = pytest.mark.django_db(transaction=True)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_old_rows_get_a_version_made_from_todays_cloud_and_plans_name_it(django_user_model):
    old = _migrate(BEFORE)
    Cloud = old.get_model("inventory", "Cloud")
    Host = old.get_model("inventory", "Host")
    Server = old.get_model("inventory", "Server")
    Plan = old.get_model("planner", "Plan")
    User = old.get_model("auth", "User")
    cloud = Cloud.objects.create(name="old", openstack_cloud="old", target_release="r2")
    host = Host.objects.create(cloud=cloud, name="cmp1", az="az1", vcpus=8, ram_mib=16384,
                               disk_gib=100, nic_bandwidth_mibps=1000.0)
    old.get_model("inventory", "HostComponent").objects.create(host=host, name="nova-compute",
                                                               version="30.0.0")
    Server.objects.create(cloud=cloud, host=host, name="vm1", flavor="m1", vcpus=2, ram_mib=2048,
                          disk_gib=20)
    author = User.objects.create(username="planner")
    plan = Plan.objects.create(cloud=cloud, name="old plan", strategy="serial", content={},
                               content_hash="", author=author)

    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    from inventory.models import Cloud as CloudNow
    from inventory.services import load_snapshot, version_snapshot
    from planner.models import Plan as PlanNow

    stored = CloudNow.objects.get(name="old")
    version = stored.versions.get()
    assert (version.number, version.kind, version.source) == (1, "migration", "the stored inventory")
    assert version_snapshot(version).fingerprint() == load_snapshot(stored).fingerprint()
    assert [s.name for s in version_snapshot(version).servers] == ["vm1"]
    assert PlanNow.objects.get(pk=plan.pk).inventory_version == version
