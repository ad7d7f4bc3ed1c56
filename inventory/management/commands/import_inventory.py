from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from inventory import services
from inventory.files import InventoryError


class Command(BaseCommand):
    help = (
        "Check an inventory file (YAML or JSON) as a whole and import it atomically; "
        "on any problem, list them all and write nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--replace", action="store_true",
            help="Replace the stored inventory of a cloud with the same name.",
        )
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def handle(self, *args, **options):
        try:
            counts = services.import_file(options["file"], replace=options["replace"])
        except InventoryError as exc:
            if options["json"]:
                self.stdout.write(json.dumps({"ok": False, "problems": exc.problems}))
            else:
                for problem in exc.problems:
                    self.stderr.write(problem)
            raise CommandError(
                f"{len(exc.problems)} problem(s) in {options['file']}; nothing was imported."
            ) from exc
        if options["json"]:
            self.stdout.write(json.dumps({"ok": True, **counts}))
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    "Imported {hosts} hosts, {servers} servers, {server_groups} server groups, "
                    "{vnfs} VNFs, {aggregates} aggregates as inventory version {version}."
                    .format(**counts)
                )
            )
