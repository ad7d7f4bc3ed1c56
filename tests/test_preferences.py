"""A user's time zone: kept per user, refused when unknown, never sending them off the site."""

from __future__ import annotations

import pytest

from escalator_site.models import UserPreference

pytestmark = pytest.mark.django_db


def test_a_chosen_zone_is_kept_and_names_the_times(admin_client, admin_user):
    response = admin_client.post("/preferences/", {"time_zone": "America/New_York",
                                                   "next": "/planning/plans/"})
    assert response.status_code == 302 and response["Location"] == "/planning/plans/"
    assert UserPreference.objects.get(user=admin_user).time_zone == "America/New_York"
    page = admin_client.get("/planning/plans/").content.decode()
    assert "Times in America/New_York" in page and "Created (America/New_York)" in page
    # The API stays in UTC.
    assert admin_client.get("/api/plans/").status_code == 200


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../etc/passwd", "x" * 500, "utc"])
def test_an_unknown_zone_is_refused_and_changes_nothing(admin_client, admin_user, zone):
    UserPreference.objects.create(user=admin_user, time_zone="Europe/Paris")
    response = admin_client.post("/preferences/", {"time_zone": zone})
    assert response.status_code == 400
    assert "is not a time zone this site knows" in response.content.decode()
    assert UserPreference.objects.get(user=admin_user).time_zone == "Europe/Paris"


def test_next_off_the_site_is_ignored(admin_client):
    response = admin_client.post("/preferences/", {"time_zone": "UTC",
                                                   "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/preferences/"


def test_signed_out_goes_to_the_login(client):
    response = client.get("/preferences/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("path", ["/planning/plans/", "/executions/"])
def test_plans_and_executions_pages_take_any_page_size_safely(admin_client, path):
    for query in ("per_page=25", "per_page=1e400", "per_page=-1&page=99999", "page=abc"):
        response = admin_client.get(f"{path}?{query}")
        assert response.status_code == 200, query
        assert b'class="page-size"' in response.content
