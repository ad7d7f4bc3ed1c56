"""The operator's everyday requests, through openstacksdk over HTTP, on real Nova."""

from __future__ import annotations

import pytest

from executor.port import CloudPort, Permanent

pytestmark = pytest.mark.sandbox


def by_name(cloud, name):
    return next(s for s in cloud.servers() if s.name == name)


def test_the_adapter_is_a_cloud_port(sandbox):
    assert isinstance(sandbox.cloud(), CloudPort)


def test_hypervisors_and_compute_services_are_the_inventory_hosts(sandbox):
    cloud = sandbox.cloud()
    hypervisors = sorted(cloud.hypervisors(), key=lambda h: h.name)
    assert [(h.name, h.host, h.status, h.state) for h in hypervisors] == [
        ("cmp1", "cmp1", "enabled", "up"), ("cmp2", "cmp2", "enabled", "up"),
        ("cmp3", "cmp3", "enabled", "up"), ("cmp4", "cmp4", "enabled", "up")]
    computes = sorted((s for s in cloud.services() if s.binary == "nova-compute"),
                      key=lambda s: s.host)
    assert [(s.host, s.zone, s.status, s.state) for s in computes] == [
        ("cmp1", "az1", "enabled", "up"), ("cmp2", "az2", "enabled", "up"),
        ("cmp3", "az1", "enabled", "up"), ("cmp4", "az2", "enabled", "up")]


def test_disable_with_a_reason_then_enable(sandbox):
    cloud = sandbox.cloud()
    disabled = cloud.disable_service("cmp2", "escalator: upgrading to 2026.2")
    assert (disabled.status, disabled.disabled_reason) == (
        "disabled", "escalator: upgrading to 2026.2")
    seen = cloud.compute_service("cmp2")
    assert (seen.status, seen.disabled_reason) == ("disabled", "escalator: upgrading to 2026.2")

    enabled = cloud.enable_service("cmp2")
    assert (enabled.status, enabled.disabled_reason) == ("enabled", "")


def test_live_migration_to_a_chosen_host(sandbox):
    cloud = sandbox.cloud()
    fw_a = by_name(cloud, "fw-a")
    assert fw_a.host == "cmp1"

    cloud.live_migrate(fw_a.id, host="cmp3")
    moved = cloud.wait_for_server(fw_a.id, "ACTIVE", timeout=60, interval=0.3)

    assert (moved.host, moved.status, moved.task_state) == ("cmp3", "ACTIVE", "")
    record = cloud.migrations(server_id=fw_a.id)[-1]
    assert (record.kind, record.status, record.source_host, record.dest_host) == (
        "live-migration", "completed", "cmp1", "cmp3")


def test_live_migration_to_the_schedulers_choice_keeps_anti_affinity(sandbox):
    cloud = sandbox.cloud()
    fw_a = by_name(cloud, "fw-a")

    cloud.live_migrate(fw_a.id)
    moved = cloud.wait_for_server(fw_a.id, "ACTIVE", timeout=60, interval=0.3)

    # Its anti-affinity peer fw-b is on cmp2: the scheduler must avoid it.
    assert moved.host in {"cmp3", "cmp4"}


def test_a_destination_that_breaks_anti_affinity_is_refused_at_once(sandbox):
    cloud = sandbox.cloud()
    fw_a = by_name(cloud, "fw-a")

    with pytest.raises(Permanent) as refused:
        cloud.live_migrate(fw_a.id, host="cmp2")

    assert refused.value.status == 400
    assert by_name(cloud, "fw-a").host == "cmp1"


def test_cold_migration_of_a_shut_off_server_then_confirm(sandbox):
    cloud = sandbox.cloud()
    batch = by_name(cloud, "batch-1")
    assert (batch.host, batch.status) == ("cmp2", "SHUTOFF")

    cloud.cold_migrate(batch.id, host="cmp4")
    resized = cloud.wait_for_server(batch.id, "VERIFY_RESIZE", timeout=60, interval=0.3)
    assert resized.host == "cmp4"
    cloud.confirm_resize(batch.id)
    done = cloud.wait_for_server(batch.id, "SHUTOFF", timeout=60, interval=0.3)

    assert done.host == "cmp4"
    assert cloud.migrations(server_id=batch.id)[-1].kind == "migration"


def test_stop_and_start_a_server_in_place(sandbox):
    cloud = sandbox.cloud()
    lb = by_name(cloud, "lb-3")

    cloud.stop_server(lb.id)
    assert cloud.wait_for_server(lb.id, "SHUTOFF", timeout=30, interval=0.3).host == "cmp4"
    cloud.start_server(lb.id)
    assert cloud.wait_for_server(lb.id, "ACTIVE", timeout=30, interval=0.3).host == "cmp4"


def test_reset_puts_moved_servers_back_on_their_seed_hosts(sandbox):
    cloud = sandbox.cloud()
    lb = by_name(cloud, "lb-1")
    cloud.live_migrate(lb.id, host="cmp2")
    cloud.wait_for_server(lb.id, "ACTIVE", timeout=60, interval=0.3)
    cloud.disable_service("cmp4", "maintenance")

    done = sandbox.reset()

    assert done["moved"] == ["lb-1"]
    assert done["services"] == ["cmp4: enabled"]
    assert by_name(cloud, "lb-1").host == "cmp1"
    assert cloud.compute_service("cmp4").status == "enabled"
