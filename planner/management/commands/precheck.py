"""``manage.py precheck [--cloud NAME | --file FILE] [--json]``: exits 0 when nothing fails."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from inventory.files import InventoryError, load_inventory
from planner.options import PlanOptions
from planner.precheck import PrecheckResult, Status, run_precheck

MARKS = {Status.PASS: "PASS", Status.WARN: "WARN", Status.FAIL: "FAIL"}


class Command(BaseCommand):
    help = (
        "Check that the cloud is ready for a rolling upgrade, item by item (pass / warn / "
        "fail, with the reason and the fix). Exits with status 1 when an item fails."
    )

    def add_arguments(self, parser):
        source = parser.add_mutually_exclusive_group()
        source.add_argument("--cloud", help="A stored cloud (default: the most recent one).")
        source.add_argument("--file", help="An inventory file (YAML or JSON), not the database.")
        parser.add_argument(
            "--hosts-per-wave", type=int, default=PlanOptions().hosts_per_wave,
            help="Wave size the capacity check assumes.",
        )
        parser.add_argument("--json", action="store_true", help="Print the items as JSON.")

    def handle(self, *args, **options):
        snapshot = self._snapshot(options)
        items = run_precheck(snapshot, PlanOptions(hosts_per_wave=options["hosts_per_wave"]))
        result = PrecheckResult(tuple(items))
        if options["json"]:
            self.stdout.write(json.dumps(
                {"cloud": snapshot.cloud, "ok": result.ok, "counts": result.counts(),
                 "items": [i.to_dict() for i in items]},
                indent=2,
            ))
        else:
            for item in items:
                style = {Status.PASS: self.style.SUCCESS, Status.WARN: self.style.WARNING,
                         Status.FAIL: self.style.ERROR}[item.status]
                self.stdout.write(f"{style(MARKS[item.status])}  {item.title}")
                self.stdout.write(f"      {item.reason}")
                if item.status != Status.PASS and item.fix:
                    self.stdout.write(f"      fix: {item.fix}")
            counts = result.counts()
            self.stdout.write(
                f"\n{counts['pass']} pass, {counts['warn']} warn, {counts['fail']} fail"
            )
        if not result.ok:
            raise CommandError("the pre-check failed: do not start the upgrade", returncode=1)

    def _snapshot(self, options):
        if options["file"]:
            try:
                return load_inventory(options["file"])
            except InventoryError as exc:
                for problem in exc.problems:
                    self.stderr.write(problem)
                raise CommandError(f"{len(exc.problems)} problem(s) in {options['file']}") from exc
        from inventory.services import CloudNotFound, load_snapshot

        try:
            return load_snapshot(options["cloud"])
        except CloudNotFound as exc:
            raise CommandError(str(exc)) from exc
