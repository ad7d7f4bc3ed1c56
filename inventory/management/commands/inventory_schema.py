from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from inventory.schema import SCHEMA


class Command(BaseCommand):
    help = "Print the JSON Schema of inventory files (kept in docs/inventory.schema.json)."

    def handle(self, *args, **options):
        self.stdout.write(json.dumps(SCHEMA, indent=2))
