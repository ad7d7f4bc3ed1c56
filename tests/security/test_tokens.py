"""API tokens: printed once at creation, stored only as a hash, never shown again."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.security.helpers import user_with

pytestmark = pytest.mark.django_db


def _token_for(username: str, *args: str) -> str:
    out = io.StringIO()
    call_command("api_token", username, *args, stdout=out)
    return out.getvalue().strip()


def _rows_hold(key: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM knox_authtoken")
        return any(key in str(value) for row in cursor.fetchall() for value in row)


def test_a_new_token_works_and_is_stored_hashed(django_user_model, lab_cloud):
    user_with(django_user_model, "script", "viewer")
    key = _token_for("script")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/hosts/").json()["count"] == 4
    assert AuthToken.objects.count() == 1
    assert not _rows_hold(key)

    api.credentials(HTTP_AUTHORIZATION=f"Token {key[:-1]}0" if key[-1] != "0" else f"Token {key[:-1]}1")
    assert api.get("/api/hosts/").status_code == 401


def test_the_admin_lists_tokens_without_their_keys(client, django_user_model):
    user_with(django_user_model, "script", "viewer")
    key = _token_for("script")
    admin = django_user_model.objects.create_superuser("root", password="x-root-123")
    client.force_login(admin)
    page = client.get("/admin/knox/authtoken/")
    assert page.status_code == 200
    assert "script" in page.content.decode() and key not in page.content.decode()
    token = AuthToken.objects.get()
    detail = client.get(f"/admin/knox/authtoken/{token.pk}/change/")
    assert key not in detail.content.decode()


def test_revoke_all_leaves_one_token(django_user_model):
    user_with(django_user_model, "script", "viewer")
    old = _token_for("script")
    new = _token_for("script", "--revoke-all")
    assert old != new and AuthToken.objects.count() == 1
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {old}")
    assert api.get("/api/hosts/").status_code == 401


def test_old_clear_text_tokens_are_hashed_by_the_migration(django_user_model, lab_cloud):
    """A site that used DRF's clear tokens keeps its keys working, without the clear text."""
    user = user_with(django_user_model, "legacy", "viewer")
    key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, "
                       "user_id integer, created datetime)")
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, %s, CURRENT_TIMESTAMP)",
                       [key, user.pk])
    migration = __import__("escalator_site.migrations.0001_hashed_api_tokens",
                           fromlist=["hash_old_tokens"])
    # The function reads only the editor's connection (a schema editor cannot open
    # inside the test's transaction on SQLite).
    migration.hash_old_tokens(apps, SimpleNamespace(connection=connection))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM authtoken_token")
        assert cursor.fetchone() == (0,)
        cursor.execute("DROP TABLE authtoken_token")
    assert not _rows_hold(key)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/hosts/").json()["count"] == 4


def test_drf_s_command_name_still_prints_a_working_hashed_token(django_user_model, lab_cloud):
    user_with(django_user_model, "script", "viewer")
    out = io.StringIO()
    call_command("drf_create_token", "script", "--reset", stdout=out)
    key = out.getvalue().strip()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/hosts/").status_code == 200
    assert not _rows_hold(key)


def test_unknown_user_is_a_clear_error(django_user_model):
    with pytest.raises(Exception, match="no user named 'nobody'"):
        call_command("api_token", "nobody")
