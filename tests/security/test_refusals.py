"""Refusals: 401 with WWW-Authenticate for the API, error pages, one log line each."""

from __future__ import annotations

import io
import logging

import pytest
from rest_framework.test import APIClient

from tests.security.helpers import user_with

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/hosts/", "/api/plans/", "/api/executions/", "/api/"])
def test_the_api_without_credentials_answers_401_with_the_scheme(path):
    answer = APIClient().get(path)
    assert answer.status_code == 401
    assert answer["WWW-Authenticate"] == "Token"
    assert answer.json() == {"detail": "Authentication credentials were not provided."}


def test_a_bad_token_is_401_too():
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token 0000")
    answer = api.get("/api/hosts/")
    assert answer.status_code == 401 and answer.json() == {"detail": "Invalid token."}


def test_a_signed_in_user_without_the_role_gets_403_not_401(django_user_model, lab_cloud):
    api = APIClient()
    api.force_authenticate(user_with(django_user_model, "v", "viewer"))
    assert api.post("/api/clouds/import/", {}, format="multipart").status_code == 403


def test_error_pages_say_what_happened(client, django_user_model):
    client.force_login(user_with(django_user_model, "v", "viewer", staff=True))
    forbidden = client.get("/inventory/import/")
    assert forbidden.status_code == 403
    body = forbidden.content.decode()
    assert "403 · Not allowed" in body and "This page needs the admin role." in body
    assert "Sign out" in body  # the site's own page, with its navigation
    missing = client.get("/inventory/hosts/999999/")
    assert missing.status_code == 404 and "404 · Not found" in missing.content.decode()
    assert client.get("/no/such/page/").status_code == 404


def test_the_server_error_page_stands_alone():
    from django.template.loader import render_to_string

    page = render_to_string("500.html")
    assert "500 · Server error" in page and "{%" not in page


@pytest.fixture
def site_log():
    """What the site's console handler writes (the configured handler, its filter included)."""
    handler = next(h for h in logging.getLogger().handlers
                   if isinstance(h, logging.StreamHandler) and h.filters)
    stream = io.StringIO()
    old = handler.setStream(stream)
    yield stream
    handler.setStream(old)


def test_refusals_are_logged_as_one_line(client, django_user_model, site_log):
    client.force_login(user_with(django_user_model, "v", "viewer"))
    client.get("/inventory/import/")
    client.get("/inventory/hosts/999999/")
    client.get("/", HTTP_HOST="evil.example")
    client.post("/api/clouds/import/", {})  # DRF's refusal (signed in, no role)
    APIClient().get("/api/hosts/")  # DRF's 401
    lines = site_log.getvalue().splitlines()
    assert "Traceback" not in site_log.getvalue()
    assert lines[0] == ("Forbidden (Permission denied): /inventory/import/ "
                        "(This page needs the admin role.) user=v")
    assert lines[1].startswith("Not Found: /inventory/hosts/999999/")
    assert "Invalid HTTP_HOST header: 'evil.example'" in lines[2]
    assert lines[3:] == ["Forbidden: /api/clouds/import/", "Unauthorized: /api/hosts/"]
