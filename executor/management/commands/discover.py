"""`manage.py discover`: the inventory read from OpenStack through the one adapter.

It lives in the executor app, beside the adapter, so that `inventory` never
imports `executor`.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from executor.refresh import RefreshError, refresh_cloud
from inventory import services
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
        name = options["cloud"]
        overlay, source, stored = self._overlay(options)
        try:
            refreshed = refresh_cloud(stored, openstack_cloud=name, overlay=overlay,
                                      name=options["name"], timeout=options["timeout"])
        except RefreshError as exc:
            if options["json"]:
                self.stdout.write(json.dumps({"ok": False, "problems": exc.problems}))
            else:
                for problem in exc.problems:
                    self.stderr.write(problem)
            raise CommandError("; ".join(exc.problems[:3])
                               + (f" (and {len(exc.problems) - 3} more)" if len(exc.problems) > 3
                                  else "") + "; nothing was stored.") from exc
        if options["json"]:
            self.stdout.write(json.dumps({"ok": True, "cloud": refreshed.cloud,
                                          "overlay": source, **refreshed.counts,
                                          "version": refreshed.version,
                                          "changes": refreshed.changes,
                                          "notes": refreshed.notes}))
            return
        for note in refreshed.notes:
            self.stdout.write(f"note: {note}")
        for change in refreshed.changes:
            self.stdout.write(f"changed: {change}")
        self.stdout.write(self.style.SUCCESS(
            f"Discovered {name!r} into cloud {refreshed.cloud!r} (overlay: {source}), "
            f"version {refreshed.version}: "
            + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in refreshed.counts.items()) + "."))

    def _overlay(self, options):
        """The overlay snapshot, where it came from, and the stored cloud it refreshes."""
        wanted = options["name"] or options["cloud"]
        stored = (Cloud.objects.filter(name=wanted).first()
                  or Cloud.objects.filter(openstack_cloud=options["cloud"]).first())
        if options["overlay"]:
            try:
                return load_inventory(options["overlay"]), options["overlay"], stored
            except InventoryError as exc:
                raise CommandError("; ".join(exc.problems)) from exc
        if stored is None:
            return None, "none", None
        return services.load_snapshot(stored), f"stored cloud {stored.name!r}", stored
