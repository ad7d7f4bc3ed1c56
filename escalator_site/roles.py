"""Who may do what, in every app: the four roles are Django groups (created by a migration).

An admin holds every role; a superuser is an admin.
"""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    PLANNER = "planner", "Planner"
    APPROVER = "approver", "Approver"
    ADMIN = "admin", "Admin"


def roles_of(user) -> set[str]:
    if not user or not user.is_authenticated:
        return set()
    if user.is_superuser:
        return {r.value for r in Role}
    cached = getattr(user, "_escalator_roles", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True)) & {r.value for r in Role}
        if Role.ADMIN in cached:
            cached = {r.value for r in Role}
        user._escalator_roles = cached
    return cached


def has_role(user, role: Role | str) -> bool:
    return str(role) in roles_of(user)


def can_view(user) -> bool:
    return bool(user and user.is_authenticated)


def can_plan(user) -> bool:
    return has_role(user, Role.PLANNER)


def can_approve(user) -> bool:
    return has_role(user, Role.APPROVER)


def can_execute(user) -> bool:
    return has_role(user, Role.ADMIN)
