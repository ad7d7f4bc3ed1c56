"""ESCALATOR_PROFILE=production: HTTPS behind a proxy, and Django's deploy checks clean."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOST = "escalator.example.net"

# Run in the production profile, the page requests through Django's test client.
PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
settings.ALLOWED_HOSTS.append("testserver")
client = Client()
HOST = "@HOST@"
plain = client.get("/accounts/login/", HTTP_HOST=HOST)
proxied = client.get("/accounts/login/", HTTP_HOST=HOST, HTTP_X_FORWARDED_PROTO="https")
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location", "")],
    "proxied": proxied.status_code,
    "hsts": proxied.get("Strict-Transport-Security", ""),
    "csp": proxied.get("Content-Security-Policy", ""),
    "cookies": {name: {"secure": bool(c["secure"]), "httponly": bool(c["httponly"])}
                for name, c in proxied.cookies.items()},
}))
""".replace("@HOST@", HOST)


def _env(tmp_path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "DEBUG", "ALLOWED_HOSTS", "ESCALATOR_PROFILE",
                        "DJANGO_ALLOW_ASYNC_UNSAFE")}  # the test run sets it, never a site
    env.update(ESCALATOR_VAR_DIR=str(tmp_path / "var"), DJANGO_SETTINGS_MODULE="escalator_site.settings")
    env.update(extra)
    return env


def _manage(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_in_the_production_profile(tmp_path):
    env = _env(tmp_path, ESCALATOR_PROFILE="production", ALLOWED_HOSTS=HOST,
               DATABASE_URL="postgres://escalator@127.0.0.1:5432/escalator")
    result = _manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_the_embedded_default_is_not_deployable_as_is(tmp_path):
    result = _manage(_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr + result.stdout


def test_production_pages_are_https_only(tmp_path):
    env = _env(tmp_path, ESCALATOR_PROFILE="production", ALLOWED_HOSTS=HOST)
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120, check=True).stdout
    seen = json.loads(out.strip().splitlines()[-1])
    assert seen["plain"] == [301, f"https://{HOST}/accounts/login/"]
    assert seen["proxied"] == 200
    assert seen["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert "upgrade-insecure-requests" in seen["csp"] and "script-src 'self'" in seen["csp"]
    assert seen["cookies"]["csrftoken"]["secure"]


def test_production_refuses_debug_and_a_missing_host_list(tmp_path):
    debug = _manage(_env(tmp_path, ESCALATOR_PROFILE="production", ALLOWED_HOSTS=HOST,
                         DEBUG="1"), "check")
    assert debug.returncode != 0 and "tracebacks would be public" in debug.stderr
    hosts = _manage(_env(tmp_path, ESCALATOR_PROFILE="production"), "check")
    assert hosts.returncode != 0 and "needs ALLOWED_HOSTS" in hosts.stderr
    typo = _manage(_env(tmp_path, ESCALATOR_PROFILE="prod"), "check")
    assert typo.returncode != 0 and "expected embedded or production" in typo.stderr
