"""`make run` gives every role a demo user whose printed password works."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from escalator_site import roles

pytestmark = pytest.mark.django_db


def test_demo_users_for_every_role_with_working_passwords(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    out = StringIO()
    call_command("demo_users", stdout=out)
    lines = [line.split() for line in out.getvalue().splitlines()[1:]]
    credentials = {words[2]: words[4] for words in lines}
    assert set(credentials) == {"admin", "planner", "planner2", "approver", "viewer"}
    users = {name: authenticate(username=name, password=pw) for name, pw in credentials.items()}
    assert all(users.values())
    assert roles.can_execute(users["admin"]) and users["admin"].is_staff
    assert roles.can_plan(users["planner"]) and not roles.can_approve(users["planner"])
    assert roles.can_approve(users["approver"]) and not roles.can_plan(users["approver"])
    assert roles.roles_of(users["viewer"]) == {"viewer"}
    # Run again (make run twice): same passwords, still valid.
    again = StringIO()
    call_command("demo_users", stdout=again)
    assert again.getvalue() == out.getvalue()
