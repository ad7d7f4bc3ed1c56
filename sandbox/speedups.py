"""Work nova does in one process that costs the sandbox's start-up, cut out.

Each change leaves what the Compute API and Placement answer untouched;
each says why. Loaded only in the sandbox process (imports nova).
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from concurrent import futures
from typing import Any

from futurist import _thread as futurist_thread
from futurist import _utils as futurist_utils
from nova.scheduler.client import report
from oslo_db.sqlalchemy import enginefacade
from oslo_messaging._drivers import impl_fake
from oslo_versionedobjects import base as ovo_base

from sandbox import oslo_speedups

# How often an idle pool thread looks whether its pool is shutting down.
_IDLE_POLL_S = 1.0


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


def _stop_worker(self: Any) -> None:
    """futurist's worker stop, which also wakes the worker if it is idle,
    so that a stopping service does not wait out ``_IDLE_POLL_S``."""
    self.should_stop = True
    self.work_queue.put(futurist_utils.WorkItem(futures.Future(), _nothing))


def _nothing() -> None:
    pass


# oslo.db's own, taken before nova's DatabaseWriteLock fixture wraps it.
_transaction_scope = enginefacade._TransactionContextManager._transaction_scope
_write_locks: dict[str, threading.RLock] = {}
_lock_of_factory: weakref.WeakKeyDictionary[Any, threading.RLock] = weakref.WeakKeyDictionary()
_locks_guard = threading.Lock()


def _write_lock(tcm: Any) -> threading.RLock:
    factory = tcm._factory
    lock = _lock_of_factory.get(factory)
    if lock is None:
        url = str(tcm.reader.get_engine().url)
        with _locks_guard:
            lock = _lock_of_factory[factory] = _write_locks.setdefault(url, threading.RLock())
    return lock


@contextlib.contextmanager
def _serialised_scope(self: Any, context: Any):
    """Nova's DatabaseWriteLock fixture, one reentrant lock per database
    around each writer transaction, with the lock found once per engine
    factory: the fixture cloned a reader, asked it for its engine and
    rendered and hashed the engine's URL at every transaction."""
    if self._mode is enginefacade._WRITER:
        with _write_lock(self), _transaction_scope(self, context) as resource:
            yield resource
    else:
        with _transaction_scope(self, context) as resource:
            yield resource


def install() -> None:
    oslo_speedups.install()
    report.SchedulerReportClient.get_allocations_for_provider_tree = _no_reshape_allocations
    ovo_base.VersionedObject.obj_attr_is_set = _obj_attr_is_set
    # The fake bus dumps every message to JSON only to prove it could be
    # sent; nova's serializer already made it primitives.
    impl_fake.FakeDriver._check_serialize = staticmethod(lambda message: None)


def after_setup() -> None:
    """What must follow nova's test set-up, which sets it otherwise."""
    # Nova's tests make idle pool threads wake every 10 ms, so that a test's
    # executors end soon: with some three hundred idle threads that was
    # tens of thousands of GIL hand-offs a second, half the CPU of a build
    # and most of it in the kernel. A stopping worker is woken instead.
    futurist_thread.ThreadWorker.MAX_IDLE_FOR = _IDLE_POLL_S
    futurist_thread.ThreadWorker.stop = _stop_worker
    # Replaces the fixture's wrapper (restored by its cleanup at stop).
    enginefacade._TransactionContextManager._transaction_scope = _serialised_scope
    oslo_speedups.settle_heap()
