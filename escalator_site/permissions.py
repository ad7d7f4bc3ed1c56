"""Role checks in one style for every app: pages, the API and the Django admin.

The roles are Django groups (planner/roles.py says who holds which); this
module turns them into a view decorator and DRF permission classes, so that
no app checks ``is_staff`` (which only opens the Django admin).
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from rest_framework import permissions

from escalator_site import roles
from escalator_site.roles import Role


def role_required(role: Role):
    """A page for signed-in users holding ``role``: others get the 403 page."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not roles.has_role(request.user, role):
                raise PermissionDenied(f"This page needs the {role} role.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class ReadOrRole(permissions.BasePermission):
    """Every signed-in user reads; writes need the view's ``write_role`` (admin by default)."""

    def has_permission(self, request, view):
        if not roles.can_view(request.user):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        role = getattr(view, "write_role", Role.ADMIN)
        if roles.has_role(request.user, role):
            return True
        self.message = f"Changing this needs the {role} role."
        return False


def user_roles(request) -> dict:
    """Template context: the signed-in user's roles, for showing what they may use."""
    return {"user_roles": roles.roles_of(getattr(request, "user", None))}
