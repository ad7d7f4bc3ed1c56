"""Users of each role, with or without Django's staff flag, for the security tests."""

from __future__ import annotations

from django.contrib.auth.models import Group

PASSWORD = "correct horse battery"


def user_with(django_user_model, name: str, role: str | None, *, staff: bool = False):
    user = django_user_model.objects.create_user(name, password=PASSWORD, is_staff=staff)
    if role:
        group, _ = Group.objects.get_or_create(name=role)
        user.groups.add(group)
    return user
