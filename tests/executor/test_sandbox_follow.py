"""The executor follows the live cloud (real Nova sandbox): every strategy's plan ends `done`
when Nova placed servers elsewhere since planning, and an abort stops a running migration."""

from __future__ import annotations

import threading
import time

import pytest

from executor import services
from executor.runner import run_execution
from planner.strategies import make_plan
from sandbox.seed import small_cloud
from tests.executor.helpers import (
    PATIENT,
    migrations_since,
    newest_migration_id,
    run_to_end,
    sandbox_config,
)

pytestmark = [pytest.mark.sandbox]


def boot_onto(cloud, name: str, host: str) -> str:
    """What a tenant does after planning: a new server, and Nova puts it on ``host``."""
    conn = cloud.conn
    template = next(s for s in conn.compute.servers(details=True, all_projects=True))
    flavor = conn.compute.find_flavor("m1.small", ignore_missing=False)
    body = {"server": {"name": name, "imageRef": template.image["id"], "flavorRef": flavor.id,
                       "networks": "none", "host": host}}
    response = conn.compute.post("/servers", json=body, microversion="2.74")
    assert response.status_code == 202, response.text
    server_id = response.json()["server"]["id"]
    server = cloud.wait_for_server(server_id, "ACTIVE", timeout=60, interval=0.2)
    assert server.host == host
    return server_id


@pytest.mark.parametrize("strategy", ["serial", "az-by-az", "parallel", "optimized"])
def test_every_strategy_ends_done_when_nova_placed_a_server_on_a_later_host(
        sandbox, kit, strategy):
    cloud = sandbox.cloud()
    pure = make_plan(strategy, small_cloud(), {"hosts_per_wave": 2, "time_budget_s": 1.0})
    last = pure.waves[-1].hosts[0].host
    plan = kit.approved(pure)
    baseline = newest_migration_id(cloud)
    # After planning, Nova places a new server on a host of the last wave.
    boot_onto(cloud, "late-1", last)

    execution = services.start_execution(plan, kit.admin, sandbox_config(**PATIENT))
    assert run_to_end(execution) == "done"

    servers = {s.name: s for s in cloud.servers()}
    assert servers["late-1"].host != last
    assert servers["late-1"].status == "ACTIVE"
    computes = {s.host: s.status for s in cloud.services() if s.binary == "nova-compute"}
    assert set(computes.values()) == {"enabled"}
    # Every move named its destination, and none went to a host about to go down.
    records = migrations_since(cloud, baseline)
    assert all(m.dest_host for m in records)
    from executor.reports import report

    moves = report(execution)["moves"]
    assert [(m["server"], m["source"], m["planned"]) for m in moves["unplanned"]
            if m["requests"]] == [("late-1", last, False)]
    assert moves["live_migrations"] == len([m for m in records if m.kind == "live-migration"])
    logged = list(execution.events.filter(message__startswith="unplanned move: late-1")
                  .values_list("message", flat=True))
    assert logged[0] == f"unplanned move: late-1 is on {last} now (placed there since planning)"


def test_abort_during_a_live_migration_cancels_it_in_nova_and_ends_aborted(sandbox, kit):
    from tests.executor.helpers import one_host_plan

    cloud = sandbox.cloud()
    baseline = newest_migration_id(cloud)
    sandbox.inject("live_migration_slow", host="cmp1", seconds=60, count=1)
    execution = services.start_execution(kit.approved(one_host_plan()), kit.admin,
                                         sandbox_config(verify_settle_s=0))
    outcome: list[str] = []
    worker = threading.Thread(target=lambda: outcome.append(run_execution(execution.pk)))
    worker.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(m.status == "running" for m in migrations_since(cloud, baseline)):
            break
        time.sleep(0.2)
    else:
        pytest.fail("the live migration never ran")

    t0 = time.monotonic()
    services.abort(execution, kit.admin, "change window over")
    worker.join(60)
    took = time.monotonic() - t0

    assert outcome == ["aborted"]
    assert took < 15, f"the abort took {took:.1f} s"
    execution.refresh_from_db()
    assert execution.state == "aborted"
    assert execution.cause == ("aborted by the operator; cmp1: back in service, not upgraded "
                               "(aborted)")
    records = migrations_since(cloud, baseline)
    assert [(cloud.server(m.server_id).name, m.status) for m in records] == [
        ("fw-a", "cancelled")]
    fw_a = next(s for s in cloud.servers() if s.name == "fw-a")
    assert (fw_a.host, fw_a.status) == ("cmp1", "ACTIVE")
    assert cloud.compute_service("cmp1").status == "enabled"
    assert not execution.events.filter(kind="retry").exists()
    assert execution.events.filter(message__startswith="abort: live migration").count() == 1


def test_a_migration_slowed_past_its_simulated_p95_is_flagged_at_once(sandbox, kit):
    from django.utils import timezone

    from planner.models import Simulation
    from tests.executor.helpers import one_host_plan

    plan = kit.approved(one_host_plan())
    Simulation.objects.create(plan=plan, runs=10, seed=3, content_hash=plan.content_hash,
                              state="done", finished=timezone.now())
    sandbox.inject("live_migration_slow", host="cmp1", seconds=25, count=1)
    execution = services.start_execution(plan, kit.admin,
                                         sandbox_config(verify_settle_s=0, watchdog_factor=1.5))

    assert run_to_end(execution) == "done"

    move = execution.steps.get(key__endswith="move.fw-a")
    # The simulator's default physics: about 8 s for fw-a's 1.5 GiB.
    assert move.expected_s is not None and 0 < move.expected_s < 15
    flagged = list(execution.events.filter(kind="watchdog"))
    assert [e.step for e in flagged] == [move.key]
    message = flagged[0].message
    assert message.startswith("watchdog: live-migrate fw-a cmp1 -> cmp3 running ")
    assert message.endswith(f"p95 was {move.expected_s:.1f} s")
    # Flagged as soon as it ran past 1.5 times its p95, long before it ended.
    # (running_s is rounded to a tenth: 11.8 for 11.81 past 1.5 x 7.873)
    assert 1.5 * move.expected_s - 0.05 <= flagged[0].data["running_s"] < (
        1.5 * move.expected_s + 1.5)
    assert move.duration_s > 25
    from executor.reports import report

    flags = report(execution)["watchdog"]
    assert [(f["step"], f["message"]) for f in flags] == [(move.key, message)]
