"""Stored plans, their simulations and the audit log of their approval.

A plan's ``content`` is the versioned export of the pure Plan (planner/export);
``content_hash`` fingerprints it so that an approval is bound to exactly what
was approved.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from inventory.models import Cloud, InventoryVersion
from planner.choices import JobState, PlanState


class Plan(models.Model):
    """An upgrade plan of one cloud, from draft to executed."""

    cloud = models.ForeignKey(Cloud, on_delete=models.PROTECT, related_name="plans")
    inventory_version = models.ForeignKey(
        InventoryVersion, on_delete=models.PROTECT, related_name="plans", null=True, blank=True,
        help_text="The inventory version the plan was made from.",
    )
    name = models.CharField(max_length=200)
    strategy = models.CharField(max_length=50)
    # The plan's policy: the limits that bound it (waves, shares, allowed
    # actions, budgets). Kept apart from the editable content; the validator
    # reads it from here and the approval covers it.
    options = models.JSONField(default=dict, blank=True)
    target_release = models.CharField(max_length=255, blank=True)
    content = models.JSONField(help_text="The plan in the export format (waves and actions).")
    content_hash = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=PlanState.choices, default=PlanState.DRAFT)
    validation = models.JSONField(default=dict, blank=True)
    lower_bound_s = models.FloatField(null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="plans"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="approved_plans",
        null=True,
        blank=True,
    )
    approved_hash = models.CharField(max_length=64, blank=True)
    approved_simulation = models.ForeignKey(
        "Simulation", on_delete=models.PROTECT, related_name="+", null=True, blank=True,
        help_text="The estimate the approver saw, pinned with the approval.",
    )
    approved_hooks = models.JSONField(
        default=dict, blank=True,
        help_text="The named hooks the approval covers: upgrade_driver and vnf_manager "
        "(empty: approved before hooks were covered).",
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.name} ({self.strategy}, {self.state})"

    def get_absolute_url(self) -> str:
        return reverse("planner:plan-detail", args=[self.pk])

    @property
    def is_valid(self) -> bool:
        return bool(self.validation.get("ok"))

    @property
    def latest_simulation(self) -> Simulation | None:
        return self.simulations.filter(state=JobState.DONE).order_by("-finished").first()

    @property
    def headline_simulation(self) -> Simulation | None:
        """The estimate to show: the one approved with the plan, else the latest baseline.

        A what-if variant (simulation parameters changed) never becomes the headline.
        """
        if self.approved_simulation_id and self.approved_hash:
            return self.approved_simulation
        return self.simulations.filter(
            state=JobState.DONE, content_hash=self.content_hash, params={}
        ).order_by("-finished").first()


class PlanEvent(models.Model):
    """One line of a plan's audit log: who did what, when."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    action = models.CharField(max_length=50)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16, blank=True)
    comment = models.TextField(blank=True)
    content_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action}"


class Simulation(models.Model):
    """A Monte Carlo simulation of a plan, run in the background."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="simulations")
    inventory_version = models.ForeignKey(
        InventoryVersion, on_delete=models.PROTECT, related_name="simulations", null=True,
        blank=True,
    )
    params = models.JSONField(default=dict, blank=True)
    runs = models.PositiveIntegerField(default=20)
    seed = models.IntegerField(default=0)
    content_hash = models.CharField(max_length=64, help_text="The plan content simulated.")
    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.QUEUED)
    done_runs = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
    sample_run = models.JSONField(default=dict, blank=True, help_text="One run's records (Gantt).")
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"simulation {self.pk} of plan {self.plan_id} ({self.state})"

    @property
    def percent(self) -> int:
        return int(100 * self.done_runs / self.runs) if self.runs else 0

    @property
    def group(self) -> str:
        return f"simulation-{self.pk}"


class PrecheckRun(models.Model):
    """The pre-check of a cloud at one moment, item by item."""

    cloud = models.ForeignKey(Cloud, on_delete=models.PROTECT, related_name="prechecks")
    inventory_version = models.ForeignKey(
        InventoryVersion, on_delete=models.PROTECT, related_name="prechecks", null=True,
        blank=True,
    )
    at = models.DateTimeField(auto_now_add=True)
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    ok = models.BooleanField()
    counts = models.JSONField(default=dict)
    items = models.JSONField(default=list)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"pre-check of {self.cloud} at {self.at:%Y-%m-%d %H:%M}"
