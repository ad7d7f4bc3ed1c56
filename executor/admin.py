from django.contrib import admin

from executor.models import Execution, ExecutionEvent, StepRecord


class StepInline(admin.TabularInline):
    model = StepRecord
    extra = 0
    fields = ["index", "key", "state", "attempts", "error", "started_at", "finished_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(Execution)
class ExecutionAdmin(admin.ModelAdmin):
    list_display = ["id", "plan", "state", "wanted", "cloud_name", "started_by", "created"]
    list_filter = ["state"]
    readonly_fields = ["plan", "plan_hash", "runner", "lease_until", "last_seq"]
    inlines = [StepInline]


@admin.register(ExecutionEvent)
class ExecutionEventAdmin(admin.ModelAdmin):
    list_display = ["execution", "seq", "at", "kind", "message", "actor"]
    list_filter = ["kind"]
