"""Each injected fault, seen through the adapter exactly as the executor will see it."""

from __future__ import annotations

import time

import pytest

from executor.port import Permanent, Transient

pytestmark = pytest.mark.sandbox


def by_name(cloud, name):
    return next(s for s in cloud.servers() if s.name == name)


def test_a_failed_live_migration_leaves_the_server_running_on_its_source(sandbox):
    cloud = sandbox.cloud()
    fw_a = by_name(cloud, "fw-a")
    sandbox.inject("live_migration_fail", host="cmp1", count=1)

    cloud.live_migrate(fw_a.id, host="cmp3")
    after = cloud.wait_for_server(fw_a.id, "ACTIVE", timeout=60, interval=0.3)

    assert (after.host, after.status) == ("cmp1", "ACTIVE")
    record = cloud.migrations(server_id=fw_a.id)[-1]
    assert (record.status, record.source_host, record.dest_host) == ("failed", "cmp1", "cmp3")
    assert sandbox.control("GET", "/faults") == []  # count=1: used up


def test_a_slow_live_migration_is_seen_running_then_completes(sandbox):
    cloud = sandbox.cloud()
    lb = by_name(cloud, "lb-1")
    sandbox.inject("live_migration_slow", host="cmp1", seconds=3, count=1)

    started = time.monotonic()
    cloud.live_migrate(lb.id, host="cmp4")
    time.sleep(1)
    during = cloud.server(lb.id)
    running = [m for m in cloud.migrations(server_id=lb.id) if m.status == "running"]
    done = cloud.wait_for_server(lb.id, "ACTIVE", timeout=60, interval=0.3)

    assert (during.status, during.host, during.task_state) == ("MIGRATING", "cmp1", "migrating")
    assert [(m.source_host, m.dest_host) for m in running] == [("cmp1", "cmp4")]
    assert done.host == "cmp4"
    assert time.monotonic() - started >= 3


def test_a_running_live_migration_can_be_aborted(sandbox):
    cloud = sandbox.cloud()
    lb = by_name(cloud, "lb-1")
    sandbox.inject("live_migration_slow", host="cmp1", seconds=60, count=1)
    cloud.live_migrate(lb.id, host="cmp4")

    deadline = time.monotonic() + 30
    while not (running := [m for m in cloud.migrations(server_id=lb.id)
                           if m.status == "running"]):
        assert time.monotonic() < deadline, "the migration never started running"
        time.sleep(0.3)
    cloud.abort_migration(lb.id, running[0].id)
    after = cloud.wait_for_server(lb.id, "ACTIVE", timeout=30, interval=0.3)

    assert after.host == "cmp1"
    assert cloud.migrations(server_id=lb.id)[-1].status == "cancelled"


def test_a_destination_pre_check_failure_is_refused_at_once(sandbox):
    cloud = sandbox.cloud()
    fw_a = by_name(cloud, "fw-a")
    sandbox.inject("precheck_fail", host="cmp3", count=1)

    with pytest.raises(Permanent) as refused:
        cloud.live_migrate(fw_a.id, host="cmp3")

    # Nova reports a refused destination as "No valid host" (HTTP 400).
    assert refused.value.status == 400
    assert "No valid host" in refused.value.message
    after = cloud.wait_for_server(fw_a.id, "ACTIVE", timeout=30, interval=0.3)
    assert after.host == "cmp1"
    assert cloud.migrations(server_id=fw_a.id)[-1].status == "error"


def test_a_compute_service_that_dies_is_reported_down_and_comes_back(sandbox):
    cloud = sandbox.cloud()
    sandbox.control("POST", "/hosts/cmp4/stop")

    down = cloud.wait_for_service("cmp4", "down", timeout=30, interval=0.5)
    assert (down.state, down.status) == ("down", "enabled")
    lb3 = by_name(cloud, "lb-3")
    with pytest.raises(Permanent) as refused:
        cloud.live_migrate(lb3.id)  # nova will not migrate off a dead compute
    assert refused.value.status == 400

    sandbox.control("POST", "/hosts/cmp4/start")
    up = cloud.wait_for_service("cmp4", "up", timeout=30, interval=0.5)
    assert up.state == "up"
    assert by_name(cloud, "lb-3").status == "ACTIVE"


def test_http_503_on_half_of_the_requests(sandbox):
    cloud = sandbox.cloud()
    cloud.services()  # version discovery happens before the fault is armed
    sandbox.inject("http_error", status=503, ratio=0.5, method="GET", path="/v2.1/os-services")

    outcomes = []
    for _ in range(4):
        try:
            cloud.services()
            outcomes.append("ok")
        except Transient as exc:
            outcomes.append(exc.status)

    assert outcomes == ["ok", 503, "ok", 503]


def test_http_500_on_an_action_is_transient_and_nothing_happened(sandbox):
    cloud = sandbox.cloud()
    fw_a = by_name(cloud, "fw-a")
    before = cloud.migrations(server_id=fw_a.id)
    sandbox.inject("http_error", status=500, method="POST", path="/v2.1/servers/", count=1)

    with pytest.raises(Transient) as failed:
        cloud.live_migrate(fw_a.id, host="cmp3")

    assert failed.value.status == 500
    assert cloud.migrations(server_id=fw_a.id) == before
    assert by_name(cloud, "fw-a").host == "cmp1"


def test_waits_ride_over_transient_errors(sandbox):
    cloud = sandbox.cloud()
    lb = by_name(cloud, "lb-2")
    sandbox.inject("http_error", status=503, ratio=0.5, method="GET", path="/v2.1/servers/")

    assert cloud.wait_for_server(lb.id, "ACTIVE", timeout=10, interval=0.1).host == "cmp3"


def test_a_request_that_hangs_times_out_as_transient(sandbox):
    cloud = sandbox.cloud(timeout=2)
    cloud.hypervisors()
    sandbox.inject("hang", seconds=60, path="/v2.1/os-hypervisors", count=1)

    started = time.monotonic()
    with pytest.raises(Transient):
        cloud.hypervisors()

    assert time.monotonic() - started < 10
    sandbox.control("DELETE", "/faults")  # lets the held request go
