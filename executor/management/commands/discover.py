"""`manage.py discover`: the inventory read from OpenStack through the one adapter.

It lives in the executor app, beside the adapter, so that `inventory` never
imports `executor`.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from executor.port import CloudError
from inventory import services
from inventory.consistency import find_problems
from inventory.discovery import merge
from inventory.files import InventoryError, load_inventory
from inventory.models import Cloud


class Command(BaseCommand):
    help = (
        "Read a cloud from OpenStack (a clouds.yaml entry) and store it as the inventory. "
        "What OpenStack cannot tell (VNFs, NIC bandwidth, memory behaviour) comes from "
        "--overlay FILE, or else is kept from the inventory already stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cloud", required=True,
                            help="clouds.yaml entry (OS_CLIENT_CONFIG_FILE is honored)")
        parser.add_argument("--overlay", help="inventory file with VNFs and memory profiles")
        parser.add_argument("--name", help="name of the stored cloud (default: the overlay's, "
                            "the stored one's, or --cloud)")
        parser.add_argument("--timeout", type=float, default=60.0,
                            help="seconds allowed for each API request")
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def handle(self, *args, **options):
        # The adapter imports openstacksdk: only when the command runs.
        from executor.openstack_adapter import read_snapshot

        name = options["cloud"]
        try:
            discovered = read_snapshot(name, timeout=options["timeout"])
        except CloudError as exc:
            raise CommandError(f"cannot read cloud {name!r}: {exc}") from exc
        overlay, source = self._overlay(options)
        merged = merge(discovered, overlay, cloud=options["name"])
        problems = find_problems(merged.snapshot)
        if problems:
            if options["json"]:
                self.stdout.write(json.dumps({"ok": False, "problems": problems,
                                              "notes": list(merged.notes)}))
            else:
                for problem in problems:
                    self.stderr.write(problem)
            raise CommandError(f"{len(problems)} problem(s) in what was discovered; "
                               "nothing was stored.")
        counts = services.replace_inventory(merged.snapshot)
        if options["json"]:
            self.stdout.write(json.dumps({"ok": True, "cloud": merged.snapshot.cloud,
                                          "overlay": source, **counts,
                                          "notes": list(merged.notes)}))
            return
        for note in merged.notes:
            self.stdout.write(f"note: {note}")
        self.stdout.write(self.style.SUCCESS(
            f"Discovered {name!r} into cloud {merged.snapshot.cloud!r} (overlay: {source}): "
            + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()) + "."))

    def _overlay(self, options):
        """The overlay snapshot and where it came from."""
        if options["overlay"]:
            try:
                return load_inventory(options["overlay"]), options["overlay"]
            except InventoryError as exc:
                raise CommandError("; ".join(exc.problems)) from exc
        wanted = options["name"] or options["cloud"]
        stored = (Cloud.objects.filter(name=wanted).first()
                  or Cloud.objects.filter(openstack_cloud=options["cloud"]).first())
        if stored is None:
            return None, "none"
        return services.load_snapshot(stored), f"stored cloud {stored.name!r}"
