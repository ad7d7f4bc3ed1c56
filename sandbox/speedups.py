"""Work nova does in one process that costs the sandbox's start-up, cut out.

Each change leaves what the Compute API and Placement answer untouched;
each says why. Loaded only in the sandbox process (imports nova).
"""

from __future__ import annotations

from typing import Any

from nova.scheduler.client import report
from oslo_db.sqlalchemy import engines as oslo_engines
from oslo_messaging._drivers import impl_fake
from oslo_versionedobjects import base as ovo_base
from sqlalchemy import pool as sqla_pool


def _pooled_sqlite_files(url: Any, engine_args: dict[str, Any], kw: dict[str, Any]) -> None:
    """Keep SQLite file connections in a pool instead of opening one per transaction.

    oslo.db puts NullPool on SQLite files; every transaction then opens a
    connection, which parses nova's whole schema again: over a quarter of
    the CPU while servers boot. Runs after oslo.db's own handler for
    sqlite. Nova's fixture serialises the writes per database anyway, and
    a pooled connection checked out by one thread at a time needs no ping.
    """
    if engine_args.get("poolclass") is sqla_pool.NullPool:
        engine_args.update(poolclass=sqla_pool.QueuePool, pool_size=16, max_overflow=-1,
                           pool_pre_ping=False)
        engine_args["connect_args"]["check_same_thread"] = False


def _no_reshape_allocations(self: Any, context: Any, nodename: str) -> dict[str, Any]:
    """Nova's resource tracker fetches every allocation on a host, one request
    per server, each time it claims, for a reshape that only a driver raising
    ReshapeNeeded at start-up would read; the sandbox's fake driver never
    does. Fetching them made each boot cost grow with the servers on its host.
    """
    return {}


def _obj_attr_is_set(self: Any, attrname: str) -> bool:
    """oslo.versionedobjects' check, without a list of every field per call.

    The original builds ``obj_fields`` (a new list of some seventy names
    for an Instance) and searches it, for each field that
    ``obj_what_changed`` visits: a twentieth of the CPU of a boot.
    Same answer, same error.
    """
    if attrname not in self.fields and attrname not in self.obj_extra_fields:
        raise AttributeError(
            f"{self.obj_name()} object has no attribute '{attrname}'")
    return hasattr(self, ovo_base._get_attrname(attrname))


def install() -> None:
    oslo_engines._init_connection_args.dispatch_for("sqlite")(_pooled_sqlite_files)
    report.SchedulerReportClient.get_allocations_for_provider_tree = _no_reshape_allocations
    ovo_base.VersionedObject.obj_attr_is_set = _obj_attr_is_set
    # The fake bus dumps every message to JSON only to prove it could be
    # sent; nova's serializer already made it primitives.
    impl_fake.FakeDriver._check_serialize = staticmethod(lambda message: None)
