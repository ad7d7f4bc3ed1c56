"""Injected faults on the real Nova sandbox, and what the operator then sees and does."""

from __future__ import annotations

import time

import pytest

from executor import services
from executor.runner import run_execution
from tests.executor.helpers import (
    migrations_since,
    newest_migration_id,
    one_host_plan,
    run_to_end,
    sandbox_config,
    two_wave_plan,
)

pytestmark = [pytest.mark.sandbox]


def where(cloud) -> dict[str, str]:
    return {s.name: s.host for s in cloud.servers()}


def moves(cloud, baseline):
    return [(cloud.server(m.server_id).name, m.source_host, m.dest_host, m.status)
            for m in migrations_since(cloud, baseline)]


def test_transient_api_errors_are_retried_with_backoff(sandbox, kit):
    cloud = sandbox.cloud()
    sandbox.inject("http_error", status=503, path="/v2.1/os-services", count=3)
    execution = services.start_execution(kit.approved(one_host_plan()), kit.admin,
                                         sandbox_config(verify_settle_s=0))

    assert run_to_end(execution) == "done"

    retries = list(execution.events.filter(kind="retry").values_list("message", flat=True))
    assert len(retries) == 3
    assert all("HTTP 503" in r for r in retries)
    assert where(cloud)["fw-a"] == "cmp3" and where(cloud)["lb-1"] == "cmp4"


def test_a_failed_migration_is_retried_per_policy(sandbox, kit):
    cloud = sandbox.cloud()
    baseline = newest_migration_id(cloud)
    sandbox.inject("live_migration_fail", host="cmp1", count=1)
    execution = services.start_execution(kit.approved(one_host_plan()), kit.admin,
                                         sandbox_config(verify_settle_s=0))

    assert run_to_end(execution) == "done"

    assert moves(cloud, baseline) == [("fw-a", "cmp1", "cmp3", "failed"),
                                      ("fw-a", "cmp1", "cmp3", "completed"),
                                      ("lb-1", "cmp1", "cmp4", "completed")]


def test_a_migration_failing_beyond_the_policy_pauses_with_the_host_disabled(sandbox, kit):
    cloud = sandbox.cloud()
    baseline = newest_migration_id(cloud)
    sandbox.inject("live_migration_fail", host="cmp1", count=2)
    execution = services.start_execution(kit.approved(one_host_plan()), kit.admin,
                                         sandbox_config(verify_settle_s=0))

    assert run_execution(execution.pk) == "blocked"

    execution.refresh_from_db()
    step = execution.steps.get(state="failed")
    assert step.key.endswith("move.fw-a")
    migration_ids = [m.id for m in migrations_since(cloud, baseline)]
    assert execution.cause == (
        f"cmp1: fw-a: live-migrate failed 2 time(s); last: migration {migration_ids[-1]} "
        "failed, server still on cmp1 (the execution pauses for the operator)")
    service = cloud.compute_service("cmp1")
    assert (service.status, service.disabled_reason) == (
        "disabled", f"escalator: plan 'rolling' (execution {execution.pk}) to 2026.2")
    assert where(cloud)["fw-a"] == "cmp1"
    assert execution.events.filter(kind="blocked").count() == 1

    # The operator retries the step: the fault is spent, the plan completes.
    services.retry_step(execution, kit.admin, step.key)
    assert run_to_end(execution) == "done"
    assert where(cloud)["fw-a"] == "cmp3"
    assert list(execution.events.filter(kind="control").values_list("message", flat=True)) == [
        f"retry {step.key} by admin", "resume by admin"]


def test_a_refused_destination_can_be_skipped_with_a_reason(sandbox, kit):
    cloud = sandbox.cloud()
    sandbox.inject("precheck_fail", host="cmp3", count=50)
    # A refusal answers "No valid host", asked again without spending an attempt for
    # destination_wait_s (a scheduler that still counts a peer there): 1 s here.
    execution = services.start_execution(kit.approved(one_host_plan()), kit.admin,
                                         sandbox_config(verify_settle_s=0,
                                                        destination_wait_s=1))

    assert run_execution(execution.pk) == "blocked"
    execution.refresh_from_db()
    assert execution.cause == (
        "cmp1: fw-a: live-migrate failed 2 time(s); last: HTTP 400: No valid host was found. "
        "There are not enough hosts available. (the execution pauses for the operator)")
    step = execution.steps.get(state="failed")

    # The operator stops fw-a for the upgrade instead, then skips the step with a reason.
    fw_a = next(s.id for s in cloud.servers() if s.name == "fw-a")
    cloud.stop_server(fw_a)
    cloud.wait_for_server(fw_a, "SHUTOFF", timeout=60, interval=0.3)
    services.skip_step(execution, kit.admin, step.key, "fw-a stopped by hand for the upgrade")
    assert run_to_end(execution) == "done"
    step.refresh_from_db()
    assert (step.state, step.skip_reason) == ("skipped", "fw-a stopped by hand for the upgrade")
    assert (where(cloud)["fw-a"], cloud.server(fw_a).status) == ("cmp1", "SHUTOFF")


def test_a_host_that_does_not_come_back_stops_its_wave(sandbox, kit):
    cloud = sandbox.cloud()
    config = sandbox_config(down_s=10, host_return_timeout_s=3, verify_settle_s=0)
    execution = services.start_execution(kit.approved(two_wave_plan()), kit.admin, config)

    assert run_execution(execution.pk) == "blocked"

    execution.refresh_from_db()
    assert execution.cause == ("cmp1: cmp1 did not come back at the target versions within "
                               "3 s (the host did not come back; its wave stops)")
    failed = execution.steps.get(state="failed")
    assert failed.kind == "upgrade"
    assert set(execution.steps.filter(host="cmp3").values_list("state", flat=True)) == {
        "pending"}
    assert cloud.compute_service("cmp3").status == "enabled"

    # It comes back later: the operator retries the upgrade step, which sees it done.
    deadline = time.monotonic() + 30
    while sandbox.control("GET")["hosts"]["cmp1"]["upgrading"] and time.monotonic() < deadline:
        time.sleep(0.5)
    # The next upgrade gets a driver that brings its host back in time.
    execution.config = sandbox_config(down_s=1, verify_settle_s=0)
    execution.save(update_fields=["config"])
    services.retry_step(execution, kit.admin, failed.key)
    assert run_to_end(execution) == "done"
    failed.refresh_from_db()
    assert failed.observed["already"] is True
    assert where(cloud)["lb-2"] == "cmp1"
