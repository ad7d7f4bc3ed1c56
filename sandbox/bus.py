"""Make oslo.messaging's in-process fake bus wait for messages instead of polling.

Every RPC server of the fake driver checks its queues every 50 ms: with two
per service that is some 900 wake-ups a second for a 20-host cloud, a fifth
of a core when idle and a fight for the GIL when busy. Here a listener sleeps
on one condition that every delivery notifies; a generation counter closes
the window between looking at the queues and waiting. Sandbox process only.
"""

from __future__ import annotations

import threading
import time

from oslo_messaging._drivers import base, impl_fake

_delivered = threading.Condition()
_generation = 0
# A stop() is noticed within this long even if nothing is delivered.
_MAX_WAIT_S = 0.5


def _deliver_message(self, *args, **kwargs):
    global _generation
    result = _original_deliver(self, *args, **kwargs)
    with _delivered:
        _generation += 1
        _delivered.notify_all()
    return result


@base.batch_poll_helper
def _poll(self, timeout=None):
    deadline = None if timeout is None else time.time() + timeout
    while not self._stopped.is_set():
        with _delivered:
            seen = _generation
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
        with _delivered:
            if _generation == seen:
                _delivered.wait(wait)
    return None


_original_deliver = impl_fake.FakeExchange.deliver_message


def install() -> None:
    """Patch the fake driver (idempotent)."""
    if impl_fake.FakeExchange.deliver_message is not _deliver_message:
        impl_fake.FakeExchange.deliver_message = _deliver_message
        impl_fake.FakeListener.poll = _poll
