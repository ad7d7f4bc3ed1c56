"""Benchmark: import a 1000-host demo inventory and time the host list.

Usage: .venv/bin/python bench/inventory.py [--hosts 1000] [--seed 1] [--requests 20]
Runs against its own SQLite file (var/bench-inventory.sqlite3) unless
DATABASE_URL is set. Last line: one JSON object of the figures.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalator_site.settings")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,testserver")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench-inventory.sqlite3'}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from inventory.demo import generate
    from inventory.files import write_inventory
    from inventory.services import import_file

    call_command("migrate", verbosity=0)
    figures: dict[str, object] = {"hosts": args.hosts, "seed": args.seed}
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        snapshot = generate(args.hosts, args.seed)
        figures["generate_s"] = round(time.perf_counter() - t0, 2)
        figures["servers"] = len(snapshot.servers)
        for fmt in ("json", "yaml"):
            path = Path(tmp) / f"demo.{fmt}"
            write_inventory(snapshot, path)
            t0 = time.perf_counter()
            import_file(path, replace=True)
            figures[f"import_{args.hosts}_hosts_{fmt}_s"] = round(time.perf_counter() - t0, 2)
    figures[f"import_{args.hosts}_hosts_s"] = figures[f"import_{args.hosts}_hosts_json_s"]

    user, _ = get_user_model().objects.get_or_create(username="bench", defaults={"is_staff": True})
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(user)

    def timed(url: str) -> tuple[float, int]:
        samples, queries = [], 0
        client.get(url)  # warm caches and the connection
        for _ in range(args.requests):
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                response = client.get(url)
                samples.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.status_code
            queries = len(ctx.captured_queries)
        return statistics.median(samples), queries

    api_ms, api_queries = timed("/api/hosts/?limit=50")
    _, api_queries_small = timed("/api/hosts/?limit=5")
    page_ms, page_queries = timed("/inventory/hosts/?per_page=50")
    _, page_queries_big = timed("/inventory/hosts/?per_page=100")
    figures.update(
        host_list_api_p50_ms=round(api_ms, 1),
        host_list_api_queries=api_queries,
        host_list_api_queries_page_5=api_queries_small,
        host_list_page_p50_ms=round(page_ms, 1),
        host_list_page_queries=page_queries,
        host_list_page_queries_page_100=page_queries_big,
    )
    for key, value in figures.items():
        print(f"{key:36} {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
