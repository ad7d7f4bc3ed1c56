"""Fixtures of the security tests: browser tests here drive Debian's Chromium too."""

from __future__ import annotations

from tests.browser.conftest import browser_type_launch_args, live_site  # noqa: F401
