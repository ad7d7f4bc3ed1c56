"""Benchmark: whole rolling upgrades of a 4-host / 8-server real-Nova sandbox, per strategy.

    .venv/bin/python bench/executor_rolling.py [--strategies serial,az-by-az,...] [--down-s 2]
    .venv/bin/python bench/executor_rolling.py --cloud demo   # the `make run` demo's cloud

The cloud of issue 14: four hosts (two zones), two servers on each, no VNF
HA, no server groups, every host one release behind. For each strategy a
plan is made by the planner (``hosts_per_wave`` 2 where a strategy takes
it; ``optimized-1`` is optimized at one host a wave), approved, and run by
the real worker (``executor.runner.run_execution``, SQLite store) against
the sandbox through openstacksdk, after a reset to the seed. Figures per run:

- ``wall_s``: from the worker's start to the execution's end;
- ``live_migrations``: Nova's live-migration records made during the run
  (``failed_migrations`` of them refused or failed, then tried again);
- ``servers_moved_twice``: servers with two or more completed ones;
- ``overhead_ms_per_migration``: per move, the step's own time beside
  Nova's (the step's duration minus its migration record's
  ``updated_at - created_at``), median and largest.

``--cloud demo`` runs the same on the `make run` demo's cloud instead
(``manage.py demo_inventory --hosts 8 --seed 7 --servers-per-host 4``: 8
hosts, 32 servers, anti-affinity groups, VNF HA), every run ending with
no server left on a host that went down (the executor refuses to upgrade
one that holds a running server).

The sandbox upgrade driver takes ``--down-s`` per host (the issue's
measurement used its default, 2 s). Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalator_site.settings")
_tmp = Path(tempfile.mkdtemp(prefix="bench-rolling-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_tmp / 'bench.sqlite3'}")
os.environ.setdefault("ESCALATOR_VAR_DIR", str(_tmp))

STRATEGIES = ("serial", "az-by-az", "parallel", "optimized", "optimized-1")


def demo_cloud():
    from inventory.demo import generate

    return generate(8, 7, 4)


def seed_cloud():
    from dataclasses import replace

    from domain.snapshot import Server
    from sandbox.seed import small_cloud

    base = small_cloud()
    servers = tuple(Server(name=f"vm-{h.name}-{j}", host=h.name, flavor="m1.small", vcpus=2,
                           ram_mib=2048, disk_gib=20, memory_used_mib=900,
                           dirty_rate_mibps=10.0)
                    for h in base.hosts for j in (1, 2))
    return replace(base, servers=servers, server_groups=(), vnfs=())


def percentile(values: list[float], q: int) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1)], 1)


def when(stamp: str) -> float:
    return datetime.fromisoformat(stamp).timestamp()


def one_run(handle, admin, seed, strategy: str, down_s: float, keep_az: bool,
            per_wave_default: int = 2) -> dict:
    from executor import services
    from executor.models import Execution
    from executor.runner import run_execution
    from inventory.models import Cloud
    from inventory.services import current_version
    from planner.export import plan_to_dict
    from planner.models import Plan
    from planner.services import approval_hash, content_hash
    from planner.strategies import make_plan
    from tests.executor.helpers import wait_settled

    handle.reset()
    wait_settled(handle, steady_s=6.0)
    cloud = handle.cloud(timeout=60)
    baseline = max((int(m.id) for m in cloud.migrations()), default=0)
    name, per_wave = ((strategy[:-2], 1) if strategy.endswith("-1")
                      else (strategy, per_wave_default))
    pure = make_plan(name, seed, {"hosts_per_wave": per_wave, "time_budget_s": 2.0,
                                  "keep_az": keep_az})
    content = plan_to_dict(pure, seed)
    cloud_row = Cloud.objects.get(name=seed.cloud)
    plan = Plan.objects.create(cloud=cloud_row, inventory_version=current_version(cloud_row),
                               name=f"bench-{strategy}", strategy=name,
                               options=dict(content.get("options") or {}),
                               target_release=pure.target_release, content=content,
                               content_hash=content_hash(content), state="approved",
                               author=admin, approved_by=admin)
    plan.approved_hash = approval_hash(plan, None)
    plan.save(update_fields=["approved_hash"])
    config = {"cloud": handle.cloud_name,
              "upgrade_driver": {"kind": "sandbox", "down_s": down_s},
              "policy": {"migration_attempts": 4, "backoff_s": 0.2, "keep_az": keep_az}}
    execution = services.start_execution(plan, admin, config)
    started = time.monotonic()
    state = run_execution(execution.pk)
    wall = time.monotonic() - started
    execution = Execution.objects.get(pk=execution.pk)
    if state != "done":  # free the cloud for the next run (the bench's own shortcut)
        Execution.objects.filter(pk=execution.pk).update(state="aborted")
    records = [m for m in cloud.migrations()
               if int(m.id) > baseline and m.kind == "live-migration"]
    per_server: dict[str, int] = {}
    for record in records:
        if record.status == "completed":
            per_server[record.server_id] = per_server.get(record.server_id, 0) + 1
    overheads, before = [], []
    moves = list(execution.steps.filter(kind="move", action="live-migrate"))
    asked = {e.step: e.at.timestamp() for e in execution.events.filter(
        kind="log", message__contains="attempt 1")}
    names = {s.id: s.name for s in cloud.servers()}
    done = [m for m in records if m.status == "completed"]
    for step in moves:
        mine = [m for m in done if names.get(m.server_id) == step.server
                and m.source_host == step.source]
        if len(mine) == 1 and step.duration_s and (step.data or {}).get("requests"):
            nova = when(mine[0].updated_at) - when(mine[0].created_at)
            overheads.append(1000 * (step.duration_s - nova))
            if step.key in asked:  # from the step's start to its request
                before.append(1000 * (asked[step.key] - step.started_at))
    from executor.reports import report

    said = report(execution)["moves"]
    return {
        "report_live_migrations": said["live_migrations"],
        "report_servers_moved_twice": said["servers_moved_twice"],
        "strategy": strategy, "state": state, "cause": execution.cause, "waves": len(pure.waves),
        "wall_s": round(wall, 2), "live_migrations": len(records),
        "completed_migrations": len(done),
        "failed_migrations": len([m for m in records if m.status != "completed"]),
        "servers_moved_twice": sum(1 for n in per_server.values() if n >= 2),
        "overhead_ms_per_migration_p50": round(statistics.median(overheads), 1)
        if overheads else None,
        "overhead_ms_per_migration_p95": percentile(overheads, 95),
        "overhead_ms_per_migration_max": round(max(overheads), 1) if overheads else None,
        "unplanned_moves": execution.events.filter(
            message__startswith="unplanned move:", message__endswith="done").count(),
        "planned_moves_timed": len(overheads),
        "before_request_ms_p50": round(statistics.median(before), 1) if before else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--strategies", default=",".join(STRATEGIES))
    parser.add_argument("--down-s", type=float, default=2.0)
    parser.add_argument("--cloud", choices=("small", "demo"), default="small",
                        help="small: 4 hosts / 8 servers; demo: the `make run` demo's cloud")
    parser.add_argument("--hosts-per-wave", type=int, default=2)
    parser.add_argument("--any-az", action="store_true",
                        help="let servers change zones (plans and unplanned moves)")
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    import executor.services
    from inventory.services import replace_inventory
    from sandbox.process import start_sandbox, stop_sandbox

    call_command("migrate", verbosity=0, interactive=False)
    executor.services.submit = lambda task, *a: None  # the bench runs the worker itself
    seed = demo_cloud() if args.cloud == "demo" else seed_cloud()
    replace_inventory(seed)
    admin = get_user_model().objects.create_user("bench-admin", password="x-bench-123",
                                                 is_superuser=True)
    proc, handle = start_sandbox(_tmp, seed, timeout=300)
    os.environ["OS_CLIENT_CONFIG_FILE"] = str(handle.clouds_yaml)
    runs = []
    try:
        for strategy in args.strategies.split(","):
            run = one_run(handle, admin, seed, strategy, args.down_s, not args.any_az,
                          args.hosts_per_wave)
            runs.append(run)
            print(f"{strategy:12} {run['state']:8} {run['wall_s']:6.1f} s  "
                  f"{run['waves']} waves  {run['live_migrations']:2} live migrations "
                  f"({run['failed_migrations']} failed)  "
                  f"{run['servers_moved_twice']} moved twice  overhead/migration p50 "
                  f"{run['overhead_ms_per_migration_p50']} ms, p95 "
                  f"{run['overhead_ms_per_migration_p95']} ms, max "
                  f"{run['overhead_ms_per_migration_max']} ms, before request p50 "
                  f"{run['before_request_ms_p50']} ms"
                  + (f"  ({run['cause']})" if run["cause"] else ""), flush=True)
    finally:
        stop_sandbox(proc)
    label = ("demo: 8 hosts / 32 servers" if args.cloud == "demo"
             else "4 hosts / 8 servers")
    print(json.dumps({"cloud": label, "down_s": args.down_s,
                      "keep_az": not args.any_az, "runs": runs}))


if __name__ == "__main__":
    main()
