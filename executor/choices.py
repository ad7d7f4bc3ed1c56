"""Choices of the executor's fields; step and wanted states come from the pure core."""

from __future__ import annotations

from django.db import models

from escalator_site.choices import text_choices
from executor import machine


class ExecutionState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    PAUSING = "pausing", "Pausing"
    PAUSED = "paused", "Paused"
    BLOCKED = "blocked", "Blocked (a step failed)"
    ABORTING = "aborting", "Aborting"
    ABORTED = "aborted", "Aborted"
    DONE = "done", "Done"


# States in which a worker is (or should be) running the execution.
ACTIVE_STATES = (ExecutionState.QUEUED, ExecutionState.RUNNING, ExecutionState.PAUSING,
                 ExecutionState.ABORTING)
FINAL_STATES = (ExecutionState.ABORTED, ExecutionState.DONE)
# States in which an execution holds its cloud: one such execution per cloud.
UNDER_WAY = ACTIVE_STATES + (ExecutionState.PAUSED, ExecutionState.BLOCKED)


StepState = text_choices(machine.StepState)
Wanted = text_choices(machine.Wanted)
