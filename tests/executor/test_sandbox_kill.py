"""The worker killed with SIGKILL at 20 random moments, restarted each time.

Every execution still completes, with each server migrated exactly once
(counted in Nova's own migration records) and nothing of the record lost.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from executor import services
from tests.executor.helpers import (
    PATIENT,
    migrations_since,
    newest_migration_id,
    parallel_plan,
    sandbox_config,
    wait_settled,
    worker_env,
)

pytestmark = [pytest.mark.sandbox]
ROOT = Path(__file__).resolve().parents[2]
RUNS = 5
KILLS_PER_RUN = 4
LEASE_S = "2"


def spawn(execution_id: int, log) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_execution", str(execution_id)], cwd=ROOT,
        env=worker_env(ESCALATOR_EXECUTION_LEASE_S=LEASE_S), stdout=log, stderr=log)


def test_sigkill_at_twenty_random_points_never_migrates_a_server_twice(sandbox, kit, tmp_path):
    rng = random.Random(7)
    kill_points: list[str] = []
    for run in range(RUNS):
        if run:
            sandbox.reset()
            wait_settled(sandbox)
        cloud = sandbox.cloud()
        baseline = newest_migration_id(cloud)
        plan = kit.approved(parallel_plan())
        plan.name = f"kill-{run}"
        plan.save(update_fields=["name"])
        execution = services.start_execution(plan, kit.admin, sandbox_config(**PATIENT))
        kills = 0
        with (tmp_path / f"worker-{run}.log").open("w") as log:
            while True:
                worker = spawn(execution.pk, log)
                try:
                    worker.wait(timeout=rng.uniform(1.0, 5.0) if kills < KILLS_PER_RUN
                                else 300)
                except subprocess.TimeoutExpired:
                    os.kill(worker.pid, signal.SIGKILL)
                    worker.wait()
                    kills += 1
                    running = list(execution.steps.filter(state="running")
                                   .values_list("key", flat=True))
                    kill_points.append(f"run {run}: {', '.join(running) or 'between steps'}")
                    continue
                execution.refresh_from_db()
                if execution.state == "done" or kills >= KILLS_PER_RUN:
                    break
        execution.refresh_from_db()
        assert (execution.state, execution.cause) == ("done", ""), (tmp_path / f"worker-{run}.log").read_text()[-3000:]
        assert kills == KILLS_PER_RUN, f"run {run} ended before its kills: {kill_points}"
        names = {s.id: s.name for s in cloud.servers()}
        moved = sorted((names[m.server_id], m.source_host, m.dest_host, m.status)
                       for m in migrations_since(cloud, baseline))
        assert moved == [("fw-a", "cmp1", "cmp3", "completed"),
                         ("fw-b", "cmp2", "cmp4", "completed"),
                         ("lb-1", "cmp1", "cmp4", "completed")], kill_points
        assert {s.name: s.host for s in cloud.servers()} == {
            "fw-a": "cmp3", "lb-1": "cmp4", "fw-b": "cmp4", "batch-1": "cmp2",
            "lb-2": "cmp3", "lb-3": "cmp4"}
        assert all(s.status == "enabled" for s in cloud.services() if s.binary == "nova-compute")
        seqs = list(execution.events.values_list("seq", flat=True))
        assert seqs == list(range(1, len(seqs) + 1))
        assert set(execution.steps.values_list("state", flat=True)) == {"done"}
    assert len(kill_points) == RUNS * KILLS_PER_RUN
    print("\n".join(kill_points))


def test_a_worker_killed_while_nova_migrates_resumes_without_a_second_migration(
        sandbox, kit, tmp_path):
    """Killed with SIGKILL while Nova's (slowed) live migration runs; restarted, the worker
    waits for that migration, then goes on: one migration record for the server, and the
    policy's attempts untouched (the request Nova had counts once)."""
    import time

    from tests.executor.helpers import one_host_plan, step_states

    cloud = sandbox.cloud()
    baseline = newest_migration_id(cloud)
    sandbox.inject("live_migration_slow", host="cmp1", seconds=8, count=1)
    execution = services.start_execution(kit.approved(one_host_plan()), kit.admin,
                                         sandbox_config(verify_settle_s=0))
    with (tmp_path / "worker.log").open("w") as log:
        worker = spawn(execution.pk, log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(m.status == "running" for m in migrations_since(cloud, baseline)):
                break
            time.sleep(0.2)
        else:
            pytest.fail("the live migration never ran")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        killed_at = step_states(execution)
        worker = spawn(execution.pk, log)
        assert worker.wait(timeout=180) == 0, (tmp_path / "worker.log").read_text()[-3000:]

    execution.refresh_from_db()
    assert (execution.state, execution.cause) == ("done", "")
    assert [k for k, v in killed_at.items() if v == "running"] == [
        next(k for k in killed_at if k.endswith("move.fw-a"))]
    names = {s.id: s.name for s in cloud.servers()}
    moved = [(names[m.server_id], m.source_host, m.dest_host, m.status)
             for m in migrations_since(cloud, baseline)]
    assert moved == [("fw-a", "cmp1", "cmp3", "completed"), ("lb-1", "cmp1", "cmp4", "completed")]
    move = execution.steps.get(key__endswith="move.fw-a")
    assert (move.data["attempts"], move.data["requests"]) == (1, 1)
