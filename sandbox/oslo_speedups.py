"""Costs of the OpenStack libraries that a long-lived sandbox need not pay.

Shared by the nova process (``sandbox/speedups.py``) and the Placement
process (``sandbox/placement_service.py``); imports no nova. Each change
leaves what the APIs answer untouched; each says why.
"""

from __future__ import annotations

import gc
import inspect
from typing import Any

from oslo_db.sqlalchemy import engines as oslo_engines
from oslo_policy import _checks as policy_checks
from sqlalchemy import pool as sqla_pool

# Collect the young generation after this many allocations, not 700.
_GC_THRESHOLDS = (20_000, 20, 20)


def _pooled_sqlite_files(url: Any, engine_args: dict[str, Any], kw: dict[str, Any]) -> None:
    """Keep SQLite file connections in a pool instead of opening one per transaction.

    oslo.db puts NullPool on SQLite files; every transaction then opens a
    connection, which parses the whole schema again: over a quarter of
    the CPU while servers boot. Runs after oslo.db's own handler for
    sqlite. Writes are serialised per database anyway (nova's fixture, and
    the Placement process's own lock), and a pooled connection checked out
    by one thread at a time needs no ping.
    """
    if engine_args.get("poolclass") is sqla_pool.NullPool:
        engine_args.update(poolclass=sqla_pool.QueuePool, pool_size=16, max_overflow=-1,
                           pool_pre_ping=False)
        engine_args["connect_args"]["check_same_thread"] = False


def _no_thread_yield(dbapi_con: Any, con_record: Any) -> None:
    """oslo.db sleeps 0 s at every connection check-in so that eventlet's
    green threads get a turn; with native threads it only hands the GIL
    to another thread, once per transaction."""


_arg_counts: dict[type, int] = {}


def _policy_check(rule: Any, target: Any, creds: Any, enforcer: Any, current_rule: Any) -> Any:
    """oslo.policy's rule call, without inspecting the rule's signature every time.

    The original runs ``inspect.getfullargspec`` on each rule of each check
    of each request to learn whether it takes ``current_rule``; a class's
    answer never changes.
    """
    kind = type(rule)
    count = _arg_counts.get(kind)
    if count is None:
        count = _arg_counts[kind] = len(inspect.getfullargspec(rule.__call__).args)
    if count > 4:
        return rule(target, creds, enforcer, current_rule)
    return rule(target, creds, enforcer)


_installed = False


def install() -> None:
    """Patch the libraries, once, before any engine is created."""
    global _installed
    if _installed:
        return
    _installed = True
    oslo_engines._thread_yield = _no_thread_yield
    policy_checks._check = _policy_check
    oslo_engines._init_connection_args.dispatch_for("sqlite")(_pooled_sqlite_files)


def settle_heap() -> None:
    """Once the services are up: the millions of objects that the OpenStack
    libraries leave for the process's life go out of the collector's sight
    (every full collection walked them again), and the young are collected
    less often. The collector's share of a build's CPU halves (perf)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*_GC_THRESHOLDS)
