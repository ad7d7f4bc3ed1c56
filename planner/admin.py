"""The plans' audit log in the Django admin: append-only, so read only here."""

from django.contrib import admin

from escalator_site.readonly_admin import ReadOnlyAdmin
from planner.models import PlanEvent


@admin.register(PlanEvent)
class PlanEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "plan", "actor", "action", "from_state", "to_state", "content_hash"]
    list_filter = ["action"]
    list_select_related = ["plan", "actor"]
