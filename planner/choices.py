from django.db import models


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


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    PLANNER = "planner", "Planner"
    APPROVER = "approver", "Approver"
    ADMIN = "admin", "Admin"
