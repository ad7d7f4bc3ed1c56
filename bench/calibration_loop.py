"""Benchmark: a whole plan's simulated duration against its execution on the sandbox, calibrated.

    flock /tmp/escalator/heavy.lock .venv/bin/python bench/calibration_loop.py \
        [--fit serial] [--check parallel,az-by-az] [--down-s 2] [--runs 20]

The cloud of ``bench/executor_rolling.py`` (four hosts in two zones, two
servers each, every host one release behind). First the ``--fit``
strategy's plan runs on the sandbox (the real worker, real Nova, through
openstacksdk) and ``executor.calibrations.fit_executions`` fits a
calibration from its step records (what ``manage.py calibrate`` writes).
Then, for each ``--check`` strategy, a different plan: simulated (Monte
Carlo, ``--runs``) with the simulator's defaults and with the calibration,
then executed on the sandbox, reset to its seed. The execution's duration
is from its first step's start to its last step's end, as the simulator's
``duration_s`` counts a run. The calibration never sees the plans it is
checked on (out of sample); the fitted plan's own figure is printed too
(in sample).

Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalator_site.settings")
_tmp = Path(tempfile.mkdtemp(prefix="bench-calibration-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_tmp / 'bench.sqlite3'}")
os.environ.setdefault("ESCALATOR_VAR_DIR", str(_tmp))


def execute(handle, admin, seed, strategy: str, down_s: float):
    """Plan ``strategy`` (two hosts a wave), approve it, run it on the reset sandbox."""
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
    pure = make_plan(strategy, seed, {"hosts_per_wave": 2, "time_budget_s": 2.0, "keep_az": True})
    content = plan_to_dict(pure, seed)
    cloud_row = Cloud.objects.get(name=seed.cloud)
    plan = Plan.objects.create(cloud=cloud_row, inventory_version=current_version(cloud_row),
                               name=f"bench-{strategy}", strategy=strategy,
                               options=dict(content.get("options") or {}),
                               target_release=pure.target_release, content=content,
                               content_hash=content_hash(content), state="approved",
                               author=admin, approved_by=admin)
    plan.approved_hash = approval_hash(plan, None)
    plan.save(update_fields=["approved_hash"])
    config = {"upgrade_driver": {"kind": "sandbox", "down_s": down_s},
              "policy": {"migration_attempts": 4, "backoff_s": 0.2, "keep_az": True}}
    execution = services.start_execution(plan, admin, config)
    state = run_execution(execution.pk)
    execution = Execution.objects.get(pk=execution.pk)
    if state != "done":
        Execution.objects.filter(pk=execution.pk).update(state="aborted")
    steps = list(execution.steps.exclude(started_at=None).exclude(finished_at=None))
    span = max(s.finished_at for s in steps) - min(s.started_at for s in steps) if steps else 0.0
    return pure, execution, state, span


def simulated_p50(seed, pure, params, runs: int) -> float:
    from simulator.montecarlo import monte_carlo

    summary = monte_carlo(seed, pure, params, runs=runs, seed=0, processes=1)
    return float(summary.duration_s["p50"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", default="serial", help="the strategy whose execution is fitted")
    parser.add_argument("--check", default="parallel,az-by-az",
                        help="strategies whose plans are simulated with the fit and executed")
    parser.add_argument("--down-s", type=float, default=2.0)
    parser.add_argument("--runs", type=int, default=20, help="Monte Carlo runs per simulation")
    parser.add_argument("--calibration-out", help="also write the fitted calibration file here")
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    import executor.services
    from bench.executor_rolling import seed_cloud
    from executor.calibrations import fit_executions
    from inventory.services import replace_inventory
    from sandbox.process import start_sandbox, stop_sandbox
    from simulator.calibration import apply
    from simulator.calibration_file import save
    from simulator.params import SimParams

    call_command("migrate", verbosity=0, interactive=False)
    executor.services.submit = lambda task, *a: None  # the bench runs the worker itself
    seed = seed_cloud()
    replace_inventory(seed)
    admin = get_user_model().objects.create_user("bench-admin", password="x-bench-123",
                                                 is_superuser=True)
    started = time.monotonic()
    proc, handle = start_sandbox(_tmp, seed, timeout=300)
    os.environ["OS_CLIENT_CONFIG_FILE"] = str(handle.clouds_yaml)
    rows = []
    try:
        pure, fitted_on, state, span = execute(handle, admin, seed, args.fit, args.down_s)
        if state != "done":
            raise SystemExit(f"the {args.fit} execution ended {state}: nothing to fit")
        calibration = fit_executions([fitted_on])
        if args.calibration_out:
            save(calibration, args.calibration_out)
        print(f"fitted on {args.fit} ({span:.1f} s): {json.dumps(calibration.to_dict())}", flush=True)
        calibrated = apply(SimParams(), calibration)
        rows.append({"strategy": args.fit, "sample": "in", "state": state, "executed_s": round(span, 2),
                     "default_s": round(simulated_p50(seed, pure, SimParams(), args.runs), 2),
                     "calibrated_s": round(simulated_p50(seed, pure, calibrated, args.runs), 2)})
        for strategy in args.check.split(","):
            pure, _execution, state, span = execute(handle, admin, seed, strategy, args.down_s)
            rows.append({"strategy": strategy, "sample": "out", "state": state, "executed_s": round(span, 2),
                         "default_s": round(simulated_p50(seed, pure, SimParams(), args.runs), 2),
                         "calibrated_s": round(simulated_p50(seed, pure, calibrated, args.runs), 2)})
    finally:
        stop_sandbox(proc)
    for row in rows:
        row["default_error_pct"] = round(100 * (row["default_s"] - row["executed_s"]) / row["executed_s"], 1)
        row["calibrated_error_pct"] = round(100 * (row["calibrated_s"] - row["executed_s"]) / row["executed_s"], 1)
        print(f"{row['strategy']:10} ({row['sample']} of sample) {row['state']:6} executed "
              f"{row['executed_s']:6.1f} s  simulated: default {row['default_s']:7.1f} s "
              f"({row['default_error_pct']:+.1f} %), calibrated {row['calibrated_s']:6.1f} s "
              f"({row['calibrated_error_pct']:+.1f} %)", flush=True)
    out = [r for r in rows if r["sample"] == "out"]
    print(json.dumps({
        "bench": "calibration_loop", "cloud": "4 hosts / 8 servers", "down_s": args.down_s,
        "fit": args.fit, "calibration": calibration.to_dict(), "runs": rows,
        "out_of_sample_max_abs_error_pct": max((abs(r["calibrated_error_pct"]) for r in out), default=None),
        "wall_s": round(time.monotonic() - started, 1),
    }))


if __name__ == "__main__":
    main()
