"""What var/ holds (database, secret key, clouds.yaml, demo passwords) only its owner reads."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from sandbox.server import write_clouds_yaml

ROOT = Path(__file__).resolve().parents[2]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_fresh_site_makes_var_private(tmp_path):
    var = tmp_path / "var"
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text("clouds: {}\n")
    clouds.chmod(0o644)  # made by hand before, as the issue found it
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env.update(ESCALATOR_VAR_DIR=str(var), OS_CLIENT_CONFIG_FILE=str(clouds))
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0", "--noinput"],
                   cwd=ROOT, env=env, check=True, timeout=300)
    assert _mode(var) == 0o700
    assert _mode(var / "escalator.sqlite3") == 0o600
    assert (var / "escalator.sqlite3").stat().st_size > 0  # migrated into the file made 0600
    assert _mode(var / "secret_key") == 0o600
    assert _mode(clouds) == 0o600
    for companion in var.glob("escalator.sqlite3-*"):  # journal / WAL, if left
        assert _mode(companion) == 0o600


def test_an_old_world_readable_database_is_tightened(tmp_path):
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    database = var / "escalator.sqlite3"
    database.write_bytes(b"")
    database.chmod(0o644)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["ESCALATOR_VAR_DIR"] = str(var)
    subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, check=True,
                   timeout=120, capture_output=True)
    assert _mode(var) == 0o700 and _mode(database) == 0o600


def test_the_sandbox_writes_clouds_yaml_owner_only(tmp_path):
    path = tmp_path / "clouds.yaml"
    write_clouds_yaml(path, "sandbox", 12345)
    assert _mode(path) == 0o600
    write_clouds_yaml(path, "other", 12346)  # rewritten: still private, both entries kept
    assert _mode(path) == 0o600 and "other" in path.read_text() and "sandbox" in path.read_text()


@pytest.mark.django_db
def test_demo_passwords_are_owner_only(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    call_command("demo_users", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert _mode(tmp_path / "demo-users.txt") == 0o600
