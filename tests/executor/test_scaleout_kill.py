"""Scaled out, a Celery worker SIGKILLed in the middle of an execution (while Nova's live
migration it asked for is still running): another worker takes the execution over within a
few leases, not after Redis's one-hour visibility timeout, and it ends done with exactly the
planned migrations (real Redis, Celery, PostgreSQL and Nova sandbox)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from celery import Celery

from tests.executor.test_scaleout import ROOT, SETUP, manage, stack  # noqa: F401

pytestmark = [pytest.mark.scaleout, pytest.mark.sandbox]

LEASE_S = 4

START = """
from django.contrib.auth import get_user_model
from executor.services import start_execution
from planner.models import Plan
config = {"upgrade_driver": {"kind": "sandbox", "down_s": 1.0},
          "policy": {"poll_s": 0.3, "backoff_s": 1.0, "migration_attempts": 4}}
execution = start_execution(Plan.objects.get(name="scale-out"),
                            get_user_model().objects.get(username="admin"), config)
print(execution.pk)
"""

OUTCOME = """
import json
from executor.models import Execution
e = Execution.objects.get()
print(json.dumps({"state": e.state, "cause": e.cause,
                  "handed": [ev.at.timestamp() for ev in e.events.filter(
                      message__startswith="handed over:")]}))
"""


def start_named_worker(env, name: str, log_path: Path) -> subprocess.Popen:
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "escalator_site.celery", "worker",
         "-n", f"{name}@%h", "-Q", "celery,executions", "--pool=solo", "--concurrency=1",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info"],
        cwd=ROOT, env=env, stdout=log_path.open("w"), stderr=subprocess.STDOUT)
    return worker


def wait_answering(env, workers: dict[str, subprocess.Popen], logs: dict[str, Path]) -> None:
    ping = Celery(broker=env["REDIS_URL"])
    deadline = time.monotonic() + 90
    while len(ping.control.ping(timeout=0.5)) < len(workers):
        for name, worker in workers.items():
            assert worker.poll() is None, logs[name].read_text()[-3000:]
        assert time.monotonic() < deadline, "the Celery workers did not answer"


def test_a_killed_celery_workers_execution_is_taken_over_and_ends_done(
        stack, sandbox, tmp_path):  # noqa: F811
    env, _redis = stack
    env["OS_CLIENT_CONFIG_FILE"] = os.environ["OS_CLIENT_CONFIG_FILE"]
    env["ESCALATOR_EXECUTION_LEASE_S"] = str(LEASE_S)
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "shell", "-c", SETUP)
    cloud = sandbox.cloud()
    baseline = max((int(m.id) for m in cloud.migrations()), default=0)
    logs = {name: tmp_path / f"celery-{name}.log" for name in ("a", "b")}
    workers = {name: start_named_worker(env, name, logs[name]) for name in logs}
    try:
        wait_answering(env, workers, logs)
        # fw-a's migration off cmp1 runs 10 s: the worker is killed while Nova runs it.
        sandbox.inject("live_migration_slow", host="cmp1", seconds=10, count=1)
        manage(env, "shell", "-c", START)
        deadline = time.monotonic() + 90
        while not any(m.status == "running" for m in cloud.migrations()
                      if int(m.id) > baseline):
            assert time.monotonic() < deadline, "no live migration started"
            time.sleep(0.2)
        holder = next(name for name in logs
                      if "Task executor.run_execution[" in logs[name].read_text())
        os.kill(workers[holder].pid, signal.SIGKILL)
        killed_at = time.time()
        workers[holder].wait(10)
        survivor = "b" if holder == "a" else "a"

        deadline = time.monotonic() + 180
        while True:
            outcome = json.loads(manage(env, "shell", "-c", OUTCOME))
            if outcome["state"] in ("done", "blocked", "aborted", "paused"):
                break
            assert time.monotonic() < deadline, outcome
            time.sleep(1)
    finally:
        for worker in workers.values():
            if worker.poll() is None:
                worker.terminate()
                worker.wait(30)

    assert (outcome["state"], outcome["cause"]) == ("done", "")
    # Handed over once, within about a lease and a look after the kill.
    assert len(outcome["handed"]) == 1, outcome
    assert outcome["handed"][0] - killed_at < 2 * LEASE_S + 3, (
        datetime.fromtimestamp(killed_at), outcome)
    survived = logs[survivor].read_text()
    assert "Task executor.run_execution[" in survived and "succeeded" in survived
    names = {s.id: s.name for s in cloud.servers()}
    moved = sorted((names[m.server_id], m.dest_host, m.status) for m in cloud.migrations()
                   if int(m.id) > baseline)
    # Exactly the plan's migrations, each once: the one running at the kill was not asked again.
    assert moved == [("fw-a", "cmp3", "completed"), ("fw-b", "cmp4", "completed"),
                     ("lb-1", "cmp4", "completed")]
