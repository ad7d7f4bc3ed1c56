from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from planner.exports import EXPORT_FORMATS, export_plan
from planner.models import Plan


class Command(BaseCommand):
    help = "Write a stored plan to stdout in the versioned format (docs/plan.md)."

    def add_arguments(self, parser):
        parser.add_argument("plan_id", type=int)
        parser.add_argument("--format", choices=EXPORT_FORMATS, default="json")

    def handle(self, *args, **options):
        plan = Plan.objects.select_related("cloud", "author", "approved_by").filter(
            pk=options["plan_id"]
        ).first()
        if plan is None:
            raise CommandError(f"No plan {options['plan_id']}.")
        text, _ = export_plan(plan, options["format"])
        self.stdout.write(text, ending="")
