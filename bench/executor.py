"""Benchmark: the executor's own cost per step, and event latency to a websocket.

Usage: .venv/bin/python bench/executor.py [--hosts 20] [--servers 4]

- ``step_overhead_ms``: a serial plan (one host per wave, ``--servers``
  live migrations each) runs against an in-memory cloud that answers at
  once, through the real database store (SQLite file of its own unless
  DATABASE_URL is set): the time from one step's start to the next is then
  all the executor's own (records stored before and after, events
  numbered, stored and published, observation and checks).
- ``ws_event_latency_ms``: a websocket client (Channels' communicator on
  the real consumer, in-process channel layer as in the embedded mode)
  follows the same run; latency is from the moment the event was stored
  (its ``at``) to its arrival at the client.

Last line: one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalator_site.settings")
_db = Path(tempfile.mkdtemp()) / "bench-executor.sqlite3"
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_db}")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def build(hosts: int, servers: int):
    """An inventory, users and an approved serial plan; its execution, started."""
    from django.contrib.auth import get_user_model

    from domain.plan import ActionKind, HostStep, ServerAction, Wave
    from domain.plan import Plan as PurePlan
    from domain.snapshot import Host, Release, Server, Snapshot
    from executor import services
    from inventory.models import Cloud
    from inventory.services import current_version, replace_inventory
    from planner.export import plan_to_dict
    from planner.models import Plan
    from planner.services import approval_hash, content_hash

    names = [f"cmp{i:03d}" for i in range(hosts + 1)]
    snapshot = Snapshot(
        cloud="bench", hosts=tuple(Host(n, "az1", 64, 262144, 2000, 1200.0) for n in names),
        servers=tuple(Server(f"vm-{h}-{j}", h, "m1", 2, 2048, 20)
                      for h in names[1:] for j in range(servers)),
        target=Release("next"))
    replace_inventory(snapshot)
    users = get_user_model().objects
    admin = users.create_user("bench-admin", password="x-bench-123", is_superuser=True)
    pure = PurePlan("serial", "next", tuple(
        Wave((HostStep(h, tuple(ServerAction(f"vm-{h}-{j}", ActionKind.LIVE_MIGRATE, h,
                                             names[0]) for j in range(servers))),))
        for h in names[1:]))
    content = plan_to_dict(pure, snapshot)
    cloud = Cloud.objects.get(name="bench")
    plan = Plan.objects.create(cloud=cloud, inventory_version=current_version(cloud),
                               name="bench", strategy="serial", target_release="next",
                               options=dict(content.get("options") or {}), content=content,
                               content_hash=content_hash(content), state="approved",
                               author=admin, approved_by=admin)
    plan.approved_hash = approval_hash(plan, None)  # what an approval covers now
    plan.save(update_fields=["approved_hash"])
    services.submit = lambda task, *args: None  # the bench runs the worker itself
    execution = services.start_execution(plan, admin, {})
    layout = {h: [(f"vm-{h}-{j}", "ACTIVE") for j in range(servers)] for h in names[1:]}
    layout[names[0]] = []
    return execution, layout


async def follow(execution_id: int, user, started: threading.Event, done: threading.Event,
                 latencies: list[float]) -> None:
    from channels.routing import URLRouter
    from channels.testing import WebsocketCommunicator

    from escalator_site.routing import websocket_urlpatterns

    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns),
                                         f"/ws/executions/{execution_id}/?after=1")
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected
    started.set()
    while True:
        event = await communicator.receive_json_from(timeout=60)
        arrived = time.time()
        if event["kind"] == "step":
            latencies.append(1000 * (arrived - datetime.fromisoformat(event["at"]).timestamp()))
        if event["kind"] == "execution" and event["data"].get("state") == "done":
            break
    done.set()
    await communicator.disconnect()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--servers", type=int, default=4)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from executor.runner import run_execution
    from tests.executor.fakes import FakeCloud, FakeUpgrade

    execution, layout = build(args.hosts, args.servers)
    cloud = FakeCloud(layout)
    latencies: list[float] = []
    started, done = threading.Event(), threading.Event()
    outcome: list[str] = []

    def worker() -> None:
        started.wait(30)
        t0 = time.perf_counter()
        outcome.append(run_execution(execution.pk, cloud=cloud,
                                     upgrade_driver=FakeUpgrade(cloud, versions={})))
        outcome.append(str(time.perf_counter() - t0))

    thread = threading.Thread(target=worker)
    thread.start()
    asyncio.run(follow(execution.pk, execution.started_by, started, done, latencies))
    thread.join()

    steps = list(execution.steps.order_by("index").values_list("started_at", flat=True))
    gaps = [1000 * (b - a) for a, b in zip(steps, steps[1:], strict=False)]
    figures = {
        "steps": len(steps),
        "outcome": outcome[0],
        "run_s": round(float(outcome[1]), 2),
        "step_overhead_ms_p50": round(statistics.median(gaps), 2),
        "step_overhead_ms_p95": round(percentile(gaps, 95), 2),
        "ws_events": len(latencies),
        "ws_event_latency_ms_p50": round(statistics.median(latencies), 2),
        "ws_event_latency_ms_p95": round(percentile(latencies, 95), 2),
        "database": os.environ["DATABASE_URL"].split(":", 1)[0],
    }
    print(f"{figures['steps']} steps in {figures['run_s']} s ({figures['outcome']}); "
          f"executor per step p50 {figures['step_overhead_ms_p50']} ms, "
          f"p95 {figures['step_overhead_ms_p95']} ms")
    print(f"{figures['ws_events']} step events to a websocket: p50 "
          f"{figures['ws_event_latency_ms_p50']} ms, p95 {figures['ws_event_latency_ms_p95']} ms")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
