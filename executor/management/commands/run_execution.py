"""Run (or continue) an execution in this process: ``manage.py run_execution ID``.

What a worker does; also how an execution left running by a dead web
process is taken over (its lease runs out first).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from executor.runner import run_execution


class Command(BaseCommand):
    help = "Run or continue an execution until it ends, pauses or blocks."

    def add_arguments(self, parser):
        parser.add_argument("execution", type=int)

    def handle(self, *args, **options):
        state = run_execution(options["execution"])
        self.stdout.write(state)
