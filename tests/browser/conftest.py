from __future__ import annotations

import shutil

import pytest

from tests.livesite import LiveSite

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Debian's Chromium: Playwright cannot download its own browser here.
    return {**browser_type_launch_args, "executable_path": CHROMIUM}


@pytest.fixture(scope="session")
def live_site(django_db_setup, django_db_blocker):
    from django.db import connection

    with django_db_blocker.unblock():
        site = LiveSite(connection.settings_dict)
    yield site
    site.stop()


@pytest.fixture
def signed_in(page, live_site, transactional_db, django_user_model):
    """A page signed in as a staff operator, for each test its own fresh data."""
    django_user_model.objects.create_user(
        "operator", password="correct horse battery", is_staff=True, is_superuser=True
    )
    page.goto(live_site.url + "/accounts/login/")
    page.fill("input[name=username]", "operator")
    page.fill("input[name=password]", "correct horse battery")
    page.click("button[type=submit]")
    page.wait_for_url(live_site.url + "/")
    return page
