"""Benchmark of the sandbox cloud: start-up at 20 hosts / 200 servers, live migrations.

    .venv/bin/python bench/sandbox.py [--hosts 20] [--servers-per-host 10] [--migrations 20]

Start-up is the wall time from spawning ``python -m sandbox.server`` to its
READY line (the demo inventory generator's cloud, seed 7): booting every
server through Nova (``startup_...``), then, after the migrations, starting
the same inventory again from the databases that build saved
(``--cache-dir``, ``restart_...``: Nova's services restarted over them, each
fake hypervisor taking back its servers). Each live
migration is timed from the request to the server being ACTIVE with no task
on another host, through openstacksdk over HTTP, letting the scheduler pick
the destination. The last line printed is one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from executor.port import CloudError  # noqa: E402
from inventory.demo import generate  # noqa: E402
from sandbox.process import start_sandbox, stop_sandbox  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--servers-per-host", type=float, default=10.0)
    parser.add_argument("--migrations", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    seed = generate(args.hosts, args.seed, servers_per_host=args.servers_per_host)
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as tmp:
        cold, warm = Path(tmp, "cold"), Path(tmp, "warm")
        cold.mkdir()
        warm.mkdir()
        cache = ("--cache-dir", str(Path(tmp, "cache")))
        started = time.monotonic()
        # Generous: the goal is a minute, but a busy machine must still
        # produce a figure rather than a timeout.
        proc, handle = start_sandbox(cold, seed, extra_args=cache, timeout=900)
        startup = time.monotonic() - started
        try:
            os.environ["OS_CLIENT_CONFIG_FILE"] = str(handle.clouds_yaml)
            cloud = handle.cloud(timeout=60)
            boot_errors = int(handle.ready["boot_errors"])
            servers = [s for s in cloud.servers() if s.status == "ACTIVE"]
            durations = []
            moved = failed = 0
            for server in servers[: args.migrations]:
                begin = time.monotonic()
                try:
                    cloud.live_migrate(server.id)
                    after = cloud.wait_for_server(server.id, "ACTIVE", timeout=120,
                                                  interval=0.05)
                except CloudError as exc:
                    print(f"live migration of {server.name} failed: {exc}", file=sys.stderr)
                    failed += 1
                    continue
                durations.append(time.monotonic() - begin)
                moved += after.host != server.host
        finally:
            stop_sandbox(proc)
        started = time.monotonic()
        proc, again = start_sandbox(warm, seed, extra_args=cache, timeout=900)
        restart = time.monotonic() - started
        restored = again.ready["restored"] == "1"
        stop_sandbox(proc)

    figures = {
        "hosts": len(seed.hosts),
        "servers": len(seed.servers),
        "boot_errors": boot_errors,
        "startup_20_hosts_200_servers_s": round(startup, 2),
        "restart_20_hosts_200_servers_s": round(restart, 2),
        "restart_restored": restored,
        "live_migrations": len(durations),
        "live_migrations_moved": moved,
        "live_migrations_failed": failed,
        "live_migration_p50_s": round(statistics.median(durations), 3),
        "live_migration_max_s": round(max(durations), 3),
    }
    print(f"sandbox: {figures['hosts']} hosts, {figures['servers']} servers "
          f"({boot_errors} failed to boot), ready in {figures['startup_20_hosts_200_servers_s']} s")
    print(f"started again from the saved databases in {figures['restart_20_hosts_200_servers_s']} s"
          f" ({'restored' if restored else 'NOT restored: built again'})")
    print(f"live migration (scheduler's choice, {len(durations)} done, {moved} moved, "
          f"{failed} failed): "
          f"p50 {figures['live_migration_p50_s']} s, max {figures['live_migration_max_s']} s")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
