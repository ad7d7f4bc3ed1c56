"""Executions in the Django admin: read only (the workflow owns their state)."""

from django.contrib import admin

from escalator_site.readonly_admin import ReadOnlyAdmin, ReadOnlyInline
from executor.models import Execution, ExecutionEvent, StepRecord


class StepInline(ReadOnlyInline):
    model = StepRecord
    fields = ["index", "key", "state", "attempts", "error", "started_at", "finished_at"]
    readonly_fields = fields


@admin.register(Execution)
class ExecutionAdmin(ReadOnlyAdmin):
    list_display = ["id", "plan", "state", "wanted", "cloud_name", "started_by", "created"]
    list_filter = ["state"]
    # ``config`` is left out: it may hold hook credentials.
    fields = ["plan", "plan_hash", "cloud_name", "state", "wanted", "cause", "started_by",
              "created", "started", "finished", "last_seq", "runner", "lease_until"]
    inlines = [StepInline]


@admin.register(ExecutionEvent)
class ExecutionEventAdmin(ReadOnlyAdmin):
    list_display = ["execution", "seq", "at", "kind", "message", "actor"]
    list_filter = ["kind"]
