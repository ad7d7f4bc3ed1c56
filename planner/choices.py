from django.db import models

from escalator_site.roles import Role  # noqa: F401 - the roles are the site's


class PlanState(models.TextChoices):
    PLANNING = "planning", "Planning"
    FAILED = "failed", "No plan possible"
    DRAFT = "draft", "Draft"
    SIMULATED = "simulated", "Simulated"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    EXECUTING = "executing", "Executing"
    EXECUTED = "executed", "Executed"


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
