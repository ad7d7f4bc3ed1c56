from __future__ import annotations

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from inventory.services import CloudNotFound
from planner import services
from planner.strategies import STRATEGIES


def operator(name: str | None):
    """The user a command acts as: named, or the first superuser."""
    users = get_user_model().objects
    user = users.filter(username=name).first() if name else (
        users.filter(is_superuser=True).order_by("pk").first()
    )
    if user is None:
        raise CommandError(
            f"No user {name!r}." if name else "No superuser to act as: pass --user NAME."
        )
    return user


class Command(BaseCommand):
    help = "Plan the stored inventory with a strategy, validate the plan and save it as a draft."

    def add_arguments(self, parser):
        parser.add_argument("--strategy", required=True, choices=sorted(STRATEGIES))
        parser.add_argument("--name", default="")
        parser.add_argument("--cloud", help="Cloud name (default: the only or latest one).")
        parser.add_argument("--hosts-per-wave", type=int)
        parser.add_argument("--concurrent-migrations", type=int)
        parser.add_argument("--az-share", type=float)
        parser.add_argument("--aggregate-share", type=float)
        parser.add_argument("--allowed-actions", help="Comma-separated, e.g. switchover,live-migrate")
        parser.add_argument("--evaluations", type=int,
                            help="Candidate plans the optimized search builds (default: by size).")
        parser.add_argument("--time-budget", type=float, dest="time_budget_s",
                            help="Seconds that cap the optimized search.")
        parser.add_argument("--seed", type=int, help="Seed of the optimized search (default 0).")
        parser.add_argument("--user", help="Act as this user (a planner; default: first superuser).")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        plan_options = {
            key: options[key]
            for key in ("hosts_per_wave", "concurrent_migrations", "az_share",
                        "aggregate_share", "evaluations", "time_budget_s", "seed")
            if options[key] is not None
        }
        if options["allowed_actions"]:
            plan_options["allowed_actions"] = options["allowed_actions"].split(",")
        try:
            plan = services.create_plan(
                operator(options["user"]), options["strategy"], plan_options,
                name=options["name"], cloud=options["cloud"],
            )
        except (services.WorkflowError, CloudNotFound) as exc:
            raise CommandError(str(exc)) from exc
        summary = {
            "id": plan.pk, "name": plan.name, "strategy": plan.strategy, "state": plan.state,
            "waves": len(plan.content["waves"]), "valid": plan.is_valid,
            "violations": [v["message"] for v in plan.validation.get("violations", [])],
            "migrations": plan.validation.get("migrations"),
            "lower_bound_s": plan.lower_bound_s, "content_hash": plan.content_hash,
            "warnings": plan.content.get("warnings", []),
        }
        if options["json"]:
            self.stdout.write(json.dumps(summary))
            return
        verdict = "valid" if plan.is_valid else f"{len(summary['violations'])} violation(s)"
        self.stdout.write(
            f"Plan {plan.pk} ({plan.strategy}): {summary['waves']} waves, "
            f"{summary['migrations']} migrations, {verdict}; lower bound "
            f"{(plan.lower_bound_s or 0) / 60:.1f} min. Export: manage.py export_plan {plan.pk}"
        )
        for message in summary["violations"]:
            self.stdout.write(f"  - {message}")
        for message in summary["warnings"]:
            self.stdout.write(f"  warning: {message}")
