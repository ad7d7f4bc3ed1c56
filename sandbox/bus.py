"""Make oslo.messaging's in-process fake bus wake a listener only for its messages.

Every RPC server of the fake driver checks its queues every 50 ms: with two
per service that is some 900 wake-ups a second for a 20-host cloud, a fifth
of a core when idle and a fight for the GIL when busy. Here a listener
sleeps on its own event, which a delivery sets only for the listeners whose
queues it fills (by topic and server), so one message wakes one service
rather than all of them. The event is cleared before the queues are looked
at, so a delivery in between is never slept through. Sandbox process only.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import defaultdict

from oslo_messaging._drivers import base, impl_fake

# A stop() is noticed within this long even if nothing is delivered.
_MAX_WAIT_S = 0.5
_registry_lock = threading.Lock()
# (topic, server or None) -> events of the listeners that consume that queue;
# weak, so that a stopped service's listener drops out.
_by_queue: dict[tuple[str, str | None], weakref.WeakSet] = defaultdict(weakref.WeakSet)
# topic -> events of the listeners that have a server queue on it (fanout)
_by_topic: dict[str, weakref.WeakSet] = defaultdict(weakref.WeakSet)


def _deliver_message(self, topic, ctxt, message, server=None, fanout=False, reply_q=None):
    _original_deliver(self, topic, ctxt, message, server=server, fanout=fanout,
                      reply_q=reply_q)
    with _registry_lock:
        waiting = list(_by_topic[topic] if fanout else _by_queue[(topic, server)])
    for event in waiting:
        event.set()


def _event_of(listener) -> threading.Event:
    event = listener.__dict__.get("_sandbox_wakeup")
    if event is None:
        event = threading.Event()
        with _registry_lock:
            for target in listener._targets:
                _by_queue[(target.topic, target.server)].add(event)
                if target.server:
                    _by_topic[target.topic].add(event)
        listener._sandbox_wakeup = event
    return event


@base.batch_poll_helper
def _poll(self, timeout=None):
    deadline = None if timeout is None else time.time() + timeout
    event = _event_of(self)
    while not self._stopped.is_set():
        event.clear()
        for target in self._targets:
            exchange = self._exchange_manager.get_exchange(target.exchange)
            ctxt, message, reply_q, requeue = exchange.poll(target, self._pool)
            if message is not None:
                return impl_fake.FakeIncomingMessage(ctxt, message, reply_q, requeue)
        wait = _MAX_WAIT_S
        if deadline is not None:
            wait = min(wait, deadline - time.time())
            if wait < 0:
                break
        event.wait(wait)
    return None


_original_deliver = impl_fake.FakeExchange.deliver_message


def install() -> None:
    """Patch the fake driver (idempotent)."""
    if impl_fake.FakeExchange.deliver_message is not _deliver_message:
        impl_fake.FakeExchange.deliver_message = _deliver_message
        impl_fake.FakeListener.poll = _poll
