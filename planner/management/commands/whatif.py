"""``manage.py whatif FILE [--strategies serial,az-by-az,parallel,optimized] [--runs N] [--seed S] [--policy FILE] [--start ISO] [--json]``.

Reads an inventory file without touching the database, plans it with each
strategy, validates, simulates and prints the comparison. The plans are
those ``manage.py plan`` makes from the same inventory, options and seed;
``--json`` includes them (and their hashes).
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import yaml
from django.core.management.base import BaseCommand, CommandError

from inventory.files import InventoryError, load_inventory
from planner.options import PlanOptions
from planner.strategies import STRATEGIES
from planner.whatif import DEFAULT_STRATEGIES, compare, format_table


class Command(BaseCommand):
    help = (
        "Compare upgrade strategies on an inventory file (no database): waves, migrations, "
        "servers moved twice, simulated duration and outage, lower bound, validator verdict."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="An inventory file (YAML or JSON).")
        parser.add_argument(
            "--strategies", default=",".join(DEFAULT_STRATEGIES),
            help=f"Comma-separated, from: {', '.join(STRATEGIES)}.",
        )
        parser.add_argument("--runs", type=int, default=20, help="Monte Carlo runs per plan.")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--hosts-per-wave", type=int, default=PlanOptions().hosts_per_wave)
        parser.add_argument(
            "--evaluations", type=int, default=PlanOptions().evaluations,
            help="Candidate plans the optimized search builds (0: by the cloud's size).",
        )
        parser.add_argument(
            "--time-budget", type=float, default=PlanOptions().time_budget_s,
            help="Seconds that cap the optimized search.",
        )
        parser.add_argument(
            "--policy", default="",
            help="A YAML or JSON file of further plan options (maintenance_windows, "
                 "window_exclusions, window_timezone, canary, canary_soak_s, soak_s ...).",
        )
        parser.add_argument("--start", default="",
                            help="When the execution would start (ISO 8601; default now), "
                                 "for the maintenance windows' fit.")
        parser.add_argument("--json", action="store_true", help="Print the comparison as JSON.")

    def handle(self, *args, **options):
        names = [s.strip() for s in options["strategies"].split(",") if s.strip()]
        unknown = [n for n in names if n not in STRATEGIES and n.replace("_", "-") not in STRATEGIES]
        if unknown or not names:
            raise CommandError(
                f"unknown strategies: {', '.join(unknown) or '(none given)'}; "
                f"choose from {', '.join(STRATEGIES)}"
            )
        if options["runs"] < 1:
            raise CommandError("--runs must be at least 1")
        try:
            snapshot = load_inventory(options["file"])
        except InventoryError as exc:
            for problem in exc.problems:
                self.stderr.write(problem)
            raise CommandError(f"{len(exc.problems)} problem(s) in {options['file']}") from exc
        try:
            policy = {}
            if options["policy"]:
                policy = yaml.safe_load(Path(options["policy"]).read_text()) or {}
                if not isinstance(policy, dict):
                    raise ValueError(f"{options['policy']}: expected a mapping of plan options")
            plan_options = PlanOptions.from_dict({
                "hosts_per_wave": options["hosts_per_wave"], "time_budget_s": options["time_budget"],
                "evaluations": options["evaluations"], "seed": options["seed"], **policy,
            })
            start = datetime.fromisoformat(options["start"]) if options["start"] else None
            if start is not None and start.tzinfo is None:
                raise ValueError("--start: give a time zone (e.g. 2026-12-05T22:00:00+00:00)")
        except (ValueError, OSError, yaml.YAMLError) as exc:
            raise CommandError(str(exc)) from exc

        def progress(message: str) -> None:
            # Progress goes to stderr so that --json output stays clean.
            if sys.stderr.isatty() or not options["json"]:
                self.stderr.write(f"... {message}")

        comparison = compare(
            snapshot, names, plan_options, runs=options["runs"], seed=options["seed"],
            progress=progress, start=start,
        )
        if options["json"]:
            self.stdout.write(json.dumps(comparison.to_dict(), indent=2))
        else:
            self.stdout.write(format_table(comparison))
