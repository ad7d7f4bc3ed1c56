from rest_framework import permissions

from escalator_site import roles


class PlanPermission(permissions.BasePermission):
    """Signed-in users read; planners create and change; actions check their own role."""

    def has_permission(self, request, view):
        if not roles.can_view(request.user):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        if getattr(view, "action", None) in ("create", "update", "partial_update", "destroy"):
            return roles.can_plan(request.user)
        return True  # @actions call services, which check the role they need
