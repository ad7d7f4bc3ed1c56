from django.db import models


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


class StepState(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class Wanted(models.TextChoices):
    RUN = "run", "Run"
    PAUSE = "pause", "Pause"
    ABORT = "abort", "Abort"
