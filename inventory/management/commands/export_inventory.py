from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from inventory import services
from inventory.files import dumps_inventory


class Command(BaseCommand):
    help = "Write a stored inventory to stdout as YAML or JSON (the import's format)."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["yaml", "json"], default="yaml")
        parser.add_argument("--cloud", help="Cloud name (default: the only or latest one).")

    def handle(self, *args, **options):
        try:
            snapshot = services.load_snapshot(options["cloud"])
        except services.CloudNotFound as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(dumps_inventory(snapshot, options["format"]), ending="")
