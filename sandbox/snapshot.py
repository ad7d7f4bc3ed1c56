"""Nova's databases after a cold build, kept to start the same cloud again.

A real cloud that restarts its control plane does not boot its servers
again: Nova and Placement read back what their databases hold, and each
compute finds its servers on its hypervisor. The sandbox does the same:
after building a cloud from an inventory it copies the API, cell and
Placement databases (SQLite's backup API, consistent while heartbeats
write) with the random identifiers nova's fixtures drew (cell, compute
node uuids), keyed by what decides the result (the inventory, the
installed Nova and Placement, the sandbox's own code). Restoring copies
them back under the freshly started services before any compute starts;
each fake hypervisor then takes back the servers its host holds.

Imports nova: sandbox process only.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from nova import context as nova_context
from nova.db.api import api as api_db
from nova.db.main import api as main_db
from oslo_utils.fixture import uuidsentinel
from placement import db_api as placement_db

from domain.snapshot import Snapshot
from inventory.files import dumps_inventory

_SENTINELS = "sentinels.json"
# Saved clouds kept per cache directory, the most recently used first.
KEEP = 4


def cache_key(seed: Snapshot) -> str:
    """What a saved cloud depends on: a change to any of it builds anew."""
    digest = hashlib.sha256(dumps_inventory(seed, "json").encode())
    for dist in ("nova", "openstack-placement", "SQLAlchemy"):
        digest.update(f"{dist}={importlib.metadata.version(dist)}".encode())
    for source in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(source.read_bytes())
    return digest.hexdigest()[:20]


def databases(cell_mappings: dict[str, Any]) -> dict[str, Any]:
    """The engines behind the running cloud, by a stable name."""
    engines = {"api": api_db.get_engine(),
               "placement": placement_db.get_placement_engine()}
    admin = nova_context.get_admin_context()
    for name, cell in sorted(cell_mappings.items()):
        with nova_context.target_cell(admin, cell) as cctx:
            engines[name] = main_db.get_engine(context=cctx)
    return engines


def seed_sentinels(entry: Path) -> None:
    """Draw nova's 'random' identifiers as the saved cloud did: before setUp."""
    saved = json.loads((entry / _SENTINELS).read_text())
    uuidsentinel._sentinels.update(saved)


def save(entry: Path, engines: dict[str, Any]) -> None:
    """Write the databases to ``entry`` (a directory), all or nothing."""
    tmp = entry.with_name(entry.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name, engine in engines.items():
        raw = engine.raw_connection()
        target = sqlite3.connect(tmp / f"{name}.sqlite")
        try:
            raw.driver_connection.backup(target)
        finally:
            target.close()
            raw.close()
    (tmp / _SENTINELS).write_text(json.dumps(uuidsentinel._sentinels, sort_keys=True))
    shutil.rmtree(entry, ignore_errors=True)
    tmp.rename(entry)
    saved = sorted((p for p in entry.parent.iterdir() if p.is_dir() and p.suffix != ".partial"),
                   key=lambda p: p.stat().st_mtime, reverse=True)
    for old in saved[KEEP:]:
        shutil.rmtree(old, ignore_errors=True)


def restore(entry: Path, engines: dict[str, Any]) -> None:
    """Copy the saved databases over the live ones (same schema, same names)."""
    entry.touch()  # recently used: pruned last
    for name, engine in engines.items():
        source = sqlite3.connect(entry / f"{name}.sqlite")
        raw = engine.raw_connection()
        try:
            source.backup(raw.driver_connection)
        finally:
            raw.close()
            source.close()


def is_complete(entry: Path, names: list[str]) -> bool:
    return (entry / _SENTINELS).is_file() and all(
        (entry / f"{name}.sqlite").is_file() for name in names)
