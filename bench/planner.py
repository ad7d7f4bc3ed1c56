"""Benchmark: plan the 100- and 1000-host demo clouds with every strategy.

Usage: .venv/bin/python bench/planner.py [--seed 1] [--runs 20] [--budget-100 5]
       [--budget-1000 10] [--runs-1000 3]

Waves take up to 5 % of the cloud's hosts (the demo keeps that much spare
capacity in every zone). For each cloud and strategy it prints the planning
time, the validator's verdict, and the simulated duration (p50 over the
Monte Carlo runs) against the lower bound; then the speed-up of optimized
over serial with both outages. Pure: no database. Last line: one JSON
object of the figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inventory.demo import generate, wave_hosts  # noqa: E402
from planner.lowerbound import lower_bound  # noqa: E402
from planner.options import PlanOptions  # noqa: E402
from planner.simulation import simulate_runs, simulator_scorer  # noqa: E402
from planner.strategies import make_plan  # noqa: E402
from planner.timing import timings_from  # noqa: E402
from planner.validator import resolve_targets, validate  # noqa: E402
from simulator.params import SimParams  # noqa: E402


def run_cloud(hosts: int, seed: int, strategies: list[str], runs: int, budget: float) -> dict:
    snapshot = generate(hosts, seed)
    params = SimParams()
    timings = timings_from(params)
    options = PlanOptions(hosts_per_wave=wave_hosts(hosts), time_budget_s=budget, seed=seed)
    bound = lower_bound(snapshot, options, timings)
    print(
        f"\n{hosts} hosts, {len(snapshot.servers)} servers, waves of up to "
        f"{options.hosts_per_wave} hosts; lower bound {bound.value:,.0f} s "
        f"(transfer {bound.transfer_s:,.0f}, longest host {bound.longest_host_s:,.0f}, "
        f"slots {bound.slots_s:,.0f})"
    )
    print(
        f"{'strategy':10} {'plan s':>7} {'valid':>5} {'waves':>5} {'migr.':>6} {'2x':>5} "
        f"{'p50 h':>7} {'x LB':>6} {'outage p50 s':>13} {'worst VNF s':>11} {'SLA':>5}"
    )
    out: dict = {"lower_bound_s": bound.value, "strategies": {}}
    for name in strategies:
        started = time.perf_counter()
        plan = make_plan(
            name,
            snapshot,
            options,
            timings=timings,
            final_scorer=simulator_scorer(snapshot, params, seeds=(seed,)),
        )
        planning_s = time.perf_counter() - started
        report = validate(snapshot, plan)
        figures = simulate_runs(snapshot, resolve_targets(snapshot, plan), params, runs, seed)
        p50 = figures.duration_s["p50"]
        row = {
            "planning_s": planning_s,
            "valid": report.ok,
            "waves": len(plan.waves),
            "migrations": report.migrations,
            "moved_twice": report.moved_twice,
            "duration_p50_s": p50,
            "duration_p95_s": figures.duration_s["p95"],
            "ratio_to_lower_bound": p50 / bound.value,
            "outage_p50_s": figures.total_vnf_outage_s["p50"],
            "worst_vnf_outage_p50_s": figures.worst_vnf_outage_s["p50"],
            "sla_violations_p50": figures.sla_violations["p50"],
        }
        out["strategies"][name] = row
        print(
            f"{name:10} {planning_s:7.2f} {'yes' if report.ok else 'NO':>5} {row['waves']:5d} "
            f"{row['migrations']:6d} {row['moved_twice']:5d} {p50 / 3600:7.1f} "
            f"{row['ratio_to_lower_bound']:6.2f} {row['outage_p50_s']:13,.1f} "
            f"{row['worst_vnf_outage_p50_s']:11.1f} {row['sla_violations_p50']:5.0f}",
            flush=True,
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=20, help="Monte Carlo runs, 100 hosts")
    parser.add_argument("--runs-1000", type=int, default=3, help="Monte Carlo runs, 1000 hosts")
    parser.add_argument("--budget-100", type=float, default=5.0, help="optimized search, s")
    parser.add_argument("--budget-1000", type=float, default=10.0, help="optimized search, s")
    args = parser.parse_args()

    small = run_cloud(
        100, args.seed, ["serial", "az-by-az", "parallel", "optimized"], args.runs, args.budget_100
    )
    large = run_cloud(1000, args.seed, ["optimized"], args.runs_1000, args.budget_1000)

    opt, ser = small["strategies"]["optimized"], small["strategies"]["serial"]
    big = large["strategies"]["optimized"]
    speedup = ser["duration_p50_s"] / opt["duration_p50_s"]
    print(
        f"\n100 hosts: optimized is {speedup:.1f}x faster than serial "
        f"({opt['duration_p50_s'] / 3600:.1f} h vs {ser['duration_p50_s'] / 3600:.1f} h), "
        f"{opt['ratio_to_lower_bound']:.2f}x the lower bound; total VNF outage p50 "
        f"{opt['outage_p50_s']:,.1f} s vs {ser['outage_p50_s']:,.1f} s for serial"
    )
    print(
        f"1000 hosts: optimized planned in {big['planning_s']:.1f} s "
        f"(search budget {args.budget_1000:g} s), {big['ratio_to_lower_bound']:.2f}x the lower bound"
    )
    figures = {
        "plan_1000_hosts_optimized_s": round(big["planning_s"], 2),
        "optimized_over_lower_bound_100": round(opt["ratio_to_lower_bound"], 3),
        "serial_over_optimized_100": round(speedup, 2),
        "optimized_outage_s_100": round(opt["outage_p50_s"], 1),
        "serial_outage_s_100": round(ser["outage_p50_s"], 1),
        "optimized_over_lower_bound_1000": round(big["ratio_to_lower_bound"], 3),
        "parallel_over_lower_bound_100": round(
            small["strategies"]["parallel"]["ratio_to_lower_bound"], 3
        ),
        "az_by_az_over_lower_bound_100": round(
            small["strategies"]["az-by-az"]["ratio_to_lower_bound"], 3
        ),
        "serial_over_lower_bound_100": round(ser["ratio_to_lower_bound"], 3),
        "valid_plans": all(
            row["valid"] for c in (small, large) for row in c["strategies"].values()
        ),
        "runs_100": args.runs,
        "runs_1000": args.runs_1000,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
