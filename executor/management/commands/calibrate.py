"""Write a calibration file from executions: ``manage.py calibrate ID [ID ...] -o FILE``.

The file (``simulator.calibration_file``, format 2) is what ``manage.py
simulate PLAN --calibration FILE`` applies: the step durations measured in
these executions, the live migrations' overhead and, when their sizes tell
it, the bandwidth factor. ``--base`` starts from a bench's fit (its
stop-and-copy speed and downtime fixed part are kept).
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from executor.calibrations import fit_executions
from executor.models import Execution
from simulator.calibration_file import load, save


class Command(BaseCommand):
    help = "Fit the simulator's durations from executions' step records and write a calibration file."

    def add_arguments(self, parser):
        parser.add_argument("executions", type=int, nargs="+", help="execution ids")
        parser.add_argument("-o", "--output", required=True, help="calibration file to write")
        parser.add_argument("--base", metavar="FILE",
                            help="a calibration file to start from (bench/fidelity.py's)")
        parser.add_argument("--json", action="store_true", help="print the calibration as JSON")

    def handle(self, *args, **options):
        ids = options["executions"]
        found = {e.pk: e for e in Execution.objects.filter(pk__in=ids).select_related("plan")}
        missing = [str(i) for i in ids if i not in found]
        if missing:
            raise CommandError(f"No execution {', '.join(missing)}.")
        base = None
        if options["base"]:
            try:
                base = load(options["base"])
            except (OSError, ValueError) as exc:
                raise CommandError(f"--base {options['base']}: {exc}") from exc
        try:
            calibration = fit_executions([found[i] for i in dict.fromkeys(ids)], base)
        except ValueError as exc:
            raise CommandError(f"Executions {', '.join(map(str, ids))}: {exc}") from exc
        try:
            save(calibration, options["output"])
        except OSError as exc:
            raise CommandError(f"--output {options['output']}: {exc}") from exc
        if options["json"]:
            self.stdout.write(json.dumps(calibration.to_dict()))
            return
        self.stdout.write(
            f"Calibration from {calibration.source} ({calibration.points} samples) written to "
            f"{options['output']}: bandwidth factor {calibration.bandwidth_factor:g}; "
            + ", ".join(f"{name} {_show(d)}" for name, d in calibration.durations.items())
        )


def _show(dist: dict) -> str:
    if dist["kind"] == "fixed":
        return f"{dist['value']:g} s"
    if dist["kind"] == "lognormal":
        return f"median {dist['median']:g} s"
    return dist["kind"]
