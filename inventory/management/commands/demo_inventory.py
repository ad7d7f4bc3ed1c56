from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from inventory.demo import generate
from inventory.files import write_inventory


class Command(BaseCommand):
    help = (
        "Write a realistic demo telco cloud to an inventory file (YAML, or JSON by the "
        ".json suffix). The same --hosts, --seed and --servers-per-host give the same file."
    )

    def add_arguments(self, parser):
        parser.add_argument("--hosts", type=int, required=True, help="Compute hosts (2 or more).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument("--output", required=True, help="File to write (.yaml, .yml or .json).")
        parser.add_argument(
            "--servers-per-host",
            type=float,
            default=20.0,
            help="Servers to generate per host (default 20); fewer when they would not fit.",
        )

    def handle(self, *args, **options):
        started = time.perf_counter()
        try:
            snapshot = generate(options["hosts"], options["seed"], options["servers_per_host"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        try:
            write_inventory(snapshot, options["output"])
        except OSError as exc:
            raise CommandError(f"cannot write {options['output']}: {exc.strerror or exc}") from exc
        self.stdout.write(
            f"{options['output']}: {len(snapshot.hosts)} hosts, {len(snapshot.servers)} servers, "
            f"{len(snapshot.vnfs)} VNFs (seed {options['seed']}) "
            f"in {time.perf_counter() - started:.1f} s"
        )
