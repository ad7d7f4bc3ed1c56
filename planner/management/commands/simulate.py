from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from planner import services
from planner.charts import stat
from planner.management.commands.plan import operator
from planner.models import Plan, Simulation
from planner.tasks import run_simulation
from simulator import calibration


class Command(BaseCommand):
    help = "Simulate a stored plan now (Monte Carlo), with a progress bar; the result is kept."

    def add_arguments(self, parser):
        parser.add_argument("plan_id", type=int)
        parser.add_argument("--runs", type=int, default=20)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--params", default="{}",
                            help='JSON of simulation parameters, e.g. {"bandwidth_factor": 0.5}')
        parser.add_argument("--calibration", metavar="FILE",
                            help="apply a calibration file (python -m simulator.calibration fit) "
                            "on top of --params; the figures are recorded with the simulation")
        parser.add_argument("--user", help="Act as this user (default: first superuser).")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        plan = Plan.objects.filter(pk=options["plan_id"]).first()
        if plan is None:
            raise CommandError(f"No plan {options['plan_id']}.")
        try:
            params = json.loads(options["params"])
        except ValueError as exc:
            raise CommandError(f"--params: not JSON: {exc}") from exc
        if not isinstance(params, dict):
            raise CommandError("--params: a JSON object of parameters")
        if options["calibration"]:
            try:
                params = calibration.overrides(calibration.load(options["calibration"]), params)
            except (OSError, ValueError) as exc:
                raise CommandError(f"--calibration {options['calibration']}: {exc}") from exc
        try:
            simulation = services.request_simulation(
                plan, operator(options["user"]), runs=options["runs"], seed=options["seed"],
                params=params, start=False,
            )
        except services.WorkflowError as exc:
            raise CommandError(str(exc)) from exc
        show = None if options["json"] else self._bar
        try:
            run_simulation(simulation.pk, on_progress=show)
        except Exception as exc:
            raise CommandError(f"The simulation failed: {exc}") from exc
        finally:
            if show:
                sys.stderr.write("\n")
        simulation = Simulation.objects.get(pk=simulation.pk)
        summary = simulation.summary
        if options["json"]:
            self.stdout.write(json.dumps({"simulation": simulation.pk, "summary": summary}))
            return
        p50, p95 = stat(summary, "duration_s", "p50"), stat(summary, "duration_s", "p95")
        self.stdout.write(
            f"Simulation {simulation.pk} of plan {plan.pk}: {simulation.runs} runs, duration "
            f"p50 {p50 / 60:.1f} min, p95 {p95 / 60:.1f} min; total VNF outage p50 "
            f"{stat(summary, 'total_vnf_outage_s', 'p50'):.1f} s; worst VNF outage p95 "
            f"{stat(summary, 'worst_vnf_outage_s', 'p95'):.1f} s."
        )

    @staticmethod
    def _bar(done: int, total: int) -> None:
        width = 40
        filled = int(width * done / total) if total else width
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} runs")
        sys.stderr.flush()
