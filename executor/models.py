"""Executions of approved plans, their steps' durable records and their event log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from executor.choices import UNDER_WAY, ExecutionState, StepState, Wanted
from planner.models import Plan


class Execution(models.Model):
    """One run of an approved plan, bound to the content hash that was approved.

    ``wanted`` is what the operator asks of the worker (run, pause, abort);
    ``runner`` and ``lease_until`` say which worker holds the execution, so
    that two workers never run it at once and a dead one's lease runs out.
    """

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="executions")
    plan_hash = models.CharField(max_length=64, help_text="The approved content hash run.")
    cloud_name = models.CharField(max_length=255, help_text="The clouds.yaml entry used.")
    state = models.CharField(max_length=16, choices=ExecutionState.choices,
                             default=ExecutionState.QUEUED)
    wanted = models.CharField(max_length=8, choices=Wanted.choices, default=Wanted.RUN)
    config = models.JSONField(default=dict, blank=True,
                              help_text="Hooks and policy: vnf_manager, upgrade_driver, policy.")
    target_versions = models.JSONField(default=dict, blank=True)
    cause = models.TextField(blank=True, help_text="Why it is blocked, paused or aborted.")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="executions")
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    last_seq = models.PositiveIntegerField(default=0)
    runner = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            # Two executions draining the same cloud fight over its servers:
            # the database lets only one be under way (two web processes,
            # two workers, the same instant: one insert wins).
            models.UniqueConstraint(
                fields=["cloud_name"], condition=models.Q(state__in=list(UNDER_WAY)),
                name="one_execution_per_cloud",
                violation_error_message="This cloud already has an execution under way."),
        ]

    def __str__(self) -> str:
        return f"execution {self.pk} of {self.plan.name} ({self.state})"

    def get_absolute_url(self) -> str:
        return reverse("executor:execution-detail", args=[self.pk])

    @property
    def group(self) -> str:
        return f"execution-{self.pk}"


class StepRecord(models.Model):
    """One step of an execution: what it is (from the plan) and its stored state.

    Times are epoch seconds as the worker measured them (floats: the report
    compares them with simulated durations).
    """

    execution = models.ForeignKey(Execution, on_delete=models.CASCADE, related_name="steps")
    index = models.PositiveIntegerField()
    key = models.CharField(max_length=255)
    wave = models.PositiveIntegerField()
    host = models.CharField(max_length=255)
    kind = models.CharField(max_length=16)
    server = models.CharField(max_length=255, blank=True)
    action = models.CharField(max_length=16, blank=True)
    source = models.CharField(max_length=255, blank=True)
    target = models.CharField(max_length=255, blank=True, help_text="Empty: the scheduler chooses.")
    vnf = models.CharField(max_length=255, blank=True)
    state = models.CharField(max_length=8, choices=StepState.choices, default=StepState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    data = models.JSONField(default=dict, blank=True)
    observed = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    started_at = models.FloatField(null=True, blank=True)
    finished_at = models.FloatField(null=True, blank=True)
    expected_s = models.FloatField(
        null=True, blank=True,
        help_text="The simulated p95 duration (s), for the watchdog; empty: not simulated.")
    skip_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["execution", "index"]
        constraints = [
            models.UniqueConstraint(fields=["execution", "key"], name="unique_step_key",
                                    violation_error_message="A step key is unique per execution."),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.state})"

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at


class ExecutionEvent(models.Model):
    """One line of an execution's log, numbered per execution for replay."""

    execution = models.ForeignKey(Execution, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=16)
    message = models.TextField()
    step = models.CharField(max_length=255, blank=True)
    host = models.CharField(max_length=255, blank=True)
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              null=True, blank=True)

    class Meta:
        ordering = ["execution", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["execution", "seq"], name="unique_event_seq",
                                    violation_error_message="Event numbers are unique."),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.kind}: {self.message}"

    def as_message(self) -> dict:
        """The JSON a websocket client receives."""
        return {"seq": self.seq, "at": self.at.isoformat(), "kind": self.kind,
                "message": self.message, "step": self.step, "host": self.host,
                "data": self.data, "actor": self.actor.username if self.actor_id else ""}


class VnfmSession(models.Model):
    """One maintenance notification to a VNF manager and its reply (docs/vnfm.md).

    Per execution, host and project (tenant); ``round`` counts the times it
    was asked (again after the execution paused over it). Only a hash of the
    reply token is kept: the token itself travels in the notification.
    """

    class State(models.TextChoices):
        WAITING = "waiting", "Waiting for the reply"
        REPLIED = "replied", "Replied"
        REFUSED = "refused", "Refused (NACK)"
        EXPIRED = "expired", "No reply by the deadline"

    execution = models.ForeignKey(Execution, on_delete=models.CASCADE,
                                  related_name="vnfm_sessions")
    host = models.CharField(max_length=255)
    project_id = models.CharField(max_length=255, blank=True)
    round = models.PositiveIntegerField(default=1)
    token_hash = models.CharField(max_length=64, help_text="SHA-256 of the reply token.")
    instances = models.JSONField(
        default=dict, help_text="Instance id -> name, vnf, planned action, allowed actions.")
    state = models.CharField(max_length=8, choices=State.choices, default=State.WAITING)
    deadline = models.DateTimeField(help_text="actions_at: the reply is due by then.")
    created = models.DateTimeField(auto_now_add=True)
    sent = models.DateTimeField(null=True, blank=True, help_text="When the VNFM took it.")
    delivery_error = models.TextField(blank=True)
    reply = models.JSONField(default=dict, blank=True)
    replied = models.DateTimeField(null=True, blank=True)
    told = models.JSONField(default=list, blank=True,
                            help_text="Host states told since: IN_MAINTENANCE, ...")

    class Meta:
        ordering = ["execution", "host", "project_id", "round"]
        constraints = [
            models.UniqueConstraint(
                fields=["execution", "host", "project_id", "round"], name="unique_vnfm_round",
                violation_error_message="One session per execution, host, project and round."),
        ]

    def __str__(self) -> str:
        return f"vnfm session {self.pk}: {self.host} / {self.project_id} ({self.state})"

    @property
    def session_id(self) -> str:
        """Fenix's maintenance session: the execution."""
        return f"exec-{self.execution_id}"
