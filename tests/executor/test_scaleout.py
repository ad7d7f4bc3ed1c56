"""Scaled out: one execution through a real Redis, a real Celery worker process and
a real PostgreSQL, against the real Nova sandbox.

The test process only drives: it prepares the PostgreSQL database with
``manage.py`` commands, subscribes to the execution's group on Redis (what
every websocket consumer of the execution does), starts the plan as an
admin would (the request returns at once; the task goes through the
broker), and reads the outcome back from PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery import Celery
from channels_redis.core import RedisChannelLayer
from redis.exceptions import TimeoutError as RedisTimeout

from tests.executor.stack import Postgres, Redis

pytestmark = [pytest.mark.scaleout, pytest.mark.sandbox]
ROOT = Path(__file__).resolve().parents[2]

SETUP = """
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from inventory.models import Cloud
from inventory.services import current_version, replace_inventory
from planner.export import plan_to_dict
from planner.models import Plan
from planner.services import approval_hash, content_hash
from sandbox.seed import small_cloud
from tests.executor.helpers import parallel_plan
replace_inventory(small_cloud())
users = get_user_model().objects
admin = users.create_user("admin", password="pw-admin-123", is_superuser=True)
author = users.create_user("author", password="pw-author-123")
approver = users.create_user("approver", password="pw-approver-123")
content = plan_to_dict(parallel_plan(), small_cloud())
cloud = Cloud.objects.get(name="sandbox")
plan = Plan.objects.create(cloud=cloud, inventory_version=current_version(cloud),
    name="scale-out", strategy="custom", target_release="2026.2",
    options=dict(content.get("options") or {}), content=content,
    content_hash=content_hash(content), state="approved", author=author,
    approved_by=approver)
plan.approved_hash = approval_hash(plan, None)
plan.save(update_fields=["approved_hash"])
print(plan.pk)
"""

START = """
from django.contrib.auth import get_user_model
from executor.services import start_execution
from planner.models import Plan
config = {"upgrade_driver": {"kind": "sandbox", "down_s": 1.0},
          "policy": {"poll_s": 0.3, "backoff_s": 1.0, "migration_attempts": 4,
                     "verify_settle_s": 6.0}}
execution = start_execution(Plan.objects.get(name="scale-out"),
                            get_user_model().objects.get(username="admin"), config)
print(execution.pk)
"""

OUTCOME = """
import json
from executor.models import Execution
e = Execution.objects.get()
print(json.dumps({"state": e.state, "cause": e.cause, "plan": e.plan.state,
                  "vendor": __import__("django.db").db.connection.vendor,
                  "seqs": list(e.events.values_list("seq", flat=True)),
                  "steps": sorted(set(e.steps.values_list("state", flat=True)))}))
"""


@pytest.fixture
def stack(tmp_path, sandbox):
    postgres, redis = Postgres(), Redis(tmp_path)
    env = {**os.environ, "DATABASE_URL": postgres.url, "REDIS_URL": redis.url,
           "TASK_BACKEND": "celery", "ESCALATOR_VAR_DIR": str(tmp_path / "var")}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    try:
        yield env, redis
    finally:
        redis.stop()
        postgres.stop()


def manage(env, *argv: str) -> str:
    done = subprocess.run([sys.executable, "manage.py", *argv], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def start_worker(env, log_path: Path) -> subprocess.Popen:
    log = log_path.open("w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "escalator_site.celery", "worker",
         "-Q", "celery,executions", "--pool=solo", "--concurrency=1", "--without-gossip",
         "--without-mingle",
         "--without-heartbeat", "-l", "info"], cwd=ROOT, env=env, stdout=log,
        stderr=subprocess.STDOUT)
    ping = Celery(broker=env["REDIS_URL"])
    deadline = time.monotonic() + 60
    while not ping.control.ping(timeout=0.5):
        assert worker.poll() is None, log_path.read_text()[-3000:]
        assert time.monotonic() < deadline, "the Celery worker did not answer"
    return worker


async def collect(layer: RedisChannelLayer, channel: str, timeout: float) -> list[dict]:
    events: list[dict] = []
    try:
        async with asyncio.timeout(timeout):
            await _until_final(layer, channel, events)
    except TimeoutError:
        pass  # the assertions below say what was missing
    return events


async def _until_final(layer: RedisChannelLayer, channel: str, events: list[dict]) -> None:
    while True:
        try:
            message = await layer.receive(channel)
        except RedisTimeout:
            continue  # a blocking read outlived its socket timeout on a busy machine
        events.append(message["event"])
        data = message["event"]["data"]
        if message["event"]["kind"] == "execution" and data.get("state") in (
                "done", "blocked", "aborted"):
            return


def test_an_execution_through_redis_celery_and_postgresql(stack, sandbox, tmp_path):
    env, redis = stack
    env["OS_CLIENT_CONFIG_FILE"] = os.environ["OS_CLIENT_CONFIG_FILE"]
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "shell", "-c", SETUP)
    cloud = sandbox.cloud()
    baseline = max((int(m.id) for m in cloud.migrations()), default=0)
    worker = start_worker(env, tmp_path / "celery.log")
    try:
        async def scenario():
            layer = RedisChannelLayer(hosts=[redis.url])
            channel = await layer.new_channel()
            await layer.group_add("execution-1", channel)  # the first execution's group
            started = time.monotonic()
            execution_id = await asyncio.to_thread(manage, env, "shell", "-c", START)
            returned_s = time.monotonic() - started
            events = await collect(layer, channel, timeout=240)
            await layer.flush()
            return execution_id, returned_s, events

        execution_id, returned_s, events = asyncio.run(scenario())
    finally:
        worker.terminate()
        worker.wait(30)

    assert execution_id == "1"
    assert returned_s < 30  # the request returned at once: the worker does the work
    outcome = json.loads(manage(env, "shell", "-c", OUTCOME))
    assert outcome == {"state": "done", "cause": "", "plan": "executed", "vendor": "postgresql",
                       "seqs": list(range(1, len(outcome["seqs"]) + 1)), "steps": ["done"]}
    # Every event up to "done" reached the Redis subscriber, in order (after it
    # only the inventory's refresh is told, which the subscriber does not wait for).
    assert [e["seq"] for e in events] == outcome["seqs"][:len(events)]
    assert (events[-1]["kind"], events[-1]["data"]["state"]) == ("execution", "done")
    assert len(outcome["seqs"]) - len(events) <= 1
    log = (tmp_path / "celery.log").read_text()
    assert "executor.run_execution" in log and "succeeded" in log
    names = {s.id: s.name for s in cloud.servers()}
    moved = sorted((names[m.server_id], m.dest_host, m.status) for m in cloud.migrations()
                   if int(m.id) > baseline)
    assert moved == [("fw-a", "cmp3", "completed"), ("fw-b", "cmp4", "completed"),
                     ("lb-1", "cmp4", "completed")]
