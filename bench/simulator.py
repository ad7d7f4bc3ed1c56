"""Simulator speed: one big run, a Monte Carlo of a mid-size plan, and scaling in servers.

Run: ``.venv/bin/python bench/simulator.py`` (from the repository root).
Prints its figures; the last line is one JSON object of them.

Inputs come from ``inventory.demo.generate`` (a realistic telco cloud, ~20
servers per host) and a plain rolling plan built here: about 5 % of the
hosts per wave, every server live-migrated (the scheduler picks), cold for
those that cannot live-migrate, active members switched over first, shut-off
servers left in place. The plan is deliberately simple: this measures the
simulator, not the planner.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from domain.plan import ActionKind, HostStep, Plan, ServerAction, Wave  # noqa: E402
from domain.snapshot import HaModel, MemberRole, Snapshot  # noqa: E402
from inventory.demo import generate, wave_hosts  # noqa: E402
from simulator.engine import simulate  # noqa: E402
from simulator.montecarlo import monte_carlo  # noqa: E402
from simulator.params import SimParams  # noqa: E402


def rolling_plan(snapshot: Snapshot) -> Plan:
    """Waves of ~5 % of the hosts, each host's servers moved off before its upgrade."""
    actives = {
        m.server
        for vnf in snapshot.vnfs
        if vnf.ha_model == HaModel.ACTIVE_STANDBY
        for m in vnf.members
        if m.role == MemberRole.ACTIVE
    }
    size = wave_hosts(len(snapshot.hosts))
    names = [h.name for h in snapshot.hosts]
    waves = []
    for i in range(0, len(names), size):
        steps = []
        for name in names[i : i + size]:
            actions = []
            for server in snapshot.servers_by_host.get(name, ()):
                if server.status != "ACTIVE":
                    kind = ActionKind.STAY
                elif server.name in actives:
                    kind = ActionKind.SWITCHOVER
                elif server.live_migratable:
                    kind = ActionKind.LIVE_MIGRATE
                else:
                    kind = ActionKind.COLD_MIGRATE
                actions.append(ServerAction(server.name, kind, name))
            steps.append(HostStep(name, tuple(actions)))
        waves.append(Wave(tuple(steps)))
    return Plan(strategy="bench-rolling", target_release=snapshot.target.name, waves=tuple(waves))


def timed(fn):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def cpu_s() -> float:
    """CPU seconds of this process and its finished children (the Monte Carlo workers)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    params = SimParams()
    figures: dict[str, object] = {}

    # The machine is shared: wall-clock figures depend on what else runs, so
    # the CPU seconds and the load average are printed alongside.
    figures["load_average_1min"] = round(os.getloadavg()[0], 2)
    big = generate(1000, seed=1)
    big_plan = rolling_plan(big)
    cpu = cpu_s()
    seconds, result = timed(lambda: simulate(big, big_plan, params, seed=1))
    figures["single_run_1000_hosts_cpu_s"] = round(cpu_s() - cpu, 3)
    print(
        f"single run: {len(big.hosts)} hosts, {len(big.servers)} servers, "
        f"{result.migrations} migrations, {len(result.events)} events: {seconds:.3f} s "
        f"(simulated {result.duration_s / 3600:.1f} h)"
    )
    figures["single_run_1000_hosts_s"] = round(seconds, 3)
    figures["single_run_1000_hosts_servers"] = len(big.servers)

    mid = generate(100, seed=2)
    mid_plan = rolling_plan(mid)
    cpu = cpu_s()
    seconds, summary = timed(lambda: monte_carlo(mid, mid_plan, params, runs=100, seed=7, processes=2))
    figures["monte_carlo_cpu_s"] = round(cpu_s() - cpu, 3)
    print(
        f"monte carlo: 100 runs of {len(mid.hosts)} hosts / {len(mid.servers)} servers "
        f"on 2 processes: {seconds:.3f} s (p95 duration {summary.duration_s['p95'] / 3600:.2f} h)"
    )
    figures["monte_carlo_100_runs_100_hosts_s"] = round(seconds, 3)

    scaling = {}
    for hosts in (5, 50, 500):
        snap = generate(hosts, seed=3)
        plan = rolling_plan(snap)
        seconds, _ = timed(lambda snap=snap, plan=plan: simulate(snap, plan, params, seed=3))
        scaling[str(len(snap.servers))] = round(seconds, 4)
        print(f"scaling: {hosts} hosts, {len(snap.servers)} servers: {seconds:.4f} s")
    figures["scaling_s"] = scaling
    print(
        f"cpu: single run {figures['single_run_1000_hosts_cpu_s']} s, "
        f"monte carlo {figures['monte_carlo_cpu_s']} s over 2 processes; "
        f"load average at start {figures['load_average_1min']}"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
