"""Guessing passwords: after the limit, even the right password is refused for a while."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.utils import timezone

from tests.security.helpers import PASSWORD, user_with

pytestmark = pytest.mark.django_db


def _sign_in(client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_a_hundred_wrong_passwords_lock_the_name_out(client, django_user_model):
    user_with(django_user_model, "ops", "admin")
    user_with(django_user_model, "someone-else", "viewer")
    answers = [_sign_in(client, "ops", f"guess-{i}").status_code for i in range(100)]
    # The form says "did not match" until the limit, then the lock-out page.
    limit = settings.AXES_FAILURE_LIMIT
    assert set(answers[:limit - 1]) == {200}
    assert set(answers[limit:]) == {429}

    right = _sign_in(client, "ops", PASSWORD)
    assert right.status_code == 429
    assert "Too many failed sign-ins" in right.content.decode()
    assert not _signed_in(client)
    # Another user name from the same address is not locked.
    assert _sign_in(client, "someone-else", PASSWORD).status_code == 302
    assert _signed_in(client)


def test_the_lock_lifts_after_the_cool_off(client, django_user_model):
    user_with(django_user_model, "ops", "admin")
    for i in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, "ops", f"guess-{i}")
    assert _sign_in(client, "ops", PASSWORD).status_code == 429
    past = timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    AccessAttempt.objects.update(attempt_time=past)
    assert _sign_in(client, "ops", PASSWORD).status_code == 302
    assert _signed_in(client)


def test_a_right_password_before_the_limit_starts_the_count_again(client, django_user_model):
    user_with(django_user_model, "ops", "admin")
    for round_ in range(3):
        for i in range(settings.AXES_FAILURE_LIMIT - 1):
            assert _sign_in(client, "ops", f"typo-{round_}-{i}").status_code == 200
        assert _sign_in(client, "ops", PASSWORD).status_code == 302
        client.post("/accounts/logout/")


def test_the_admin_sign_in_is_throttled_too(client, django_user_model):
    django_user_model.objects.create_superuser("root", password=PASSWORD)
    for i in range(settings.AXES_FAILURE_LIMIT):
        client.post("/admin/login/", {"username": "root", "password": f"guess-{i}"})
    locked = client.post("/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD})
    assert locked.status_code == 429
    assert not _signed_in(client)
