"""Outbound webhook notifications for the on-call team, signed, retried, in the background.

Receivers are configured on the server, never by a web user
(``settings.ESCALATOR_NOTIFICATIONS``, from the YAML file named by
``ESCALATOR_NOTIFICATIONS_FILE`` or from ``ESCALATOR_NOTIFY_URL`` /
``ESCALATOR_NOTIFY_SECRET``)::

    receivers:
      - name: oncall
        url: https://hooks.example/escalator
        secret: "a long random string"
        events: [execution.blocked, execution.finished]   # default: every event

Events: ``plan.submitted``, ``plan.approved``, ``execution.started``,
``execution.paused`` (by the operator, the watchdog, an alarm or a window's
end, with the cause), ``execution.resumed``, ``execution.blocked``,
``execution.finished``.

Each delivery is one JSON POST with the headers ``X-Escalator-Event``,
``X-Escalator-Delivery`` (the same id on every retry: receivers drop
repeats), ``X-Escalator-Timestamp`` and ``X-Escalator-Signature:
sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the receiver's
secret>`` (the timestamp inside the signature makes an old delivery
useless to replay). A 2xx is delivered; a refused connection, a timeout,
408, 429 or a 5xx is tried again after 1, 2, 4 ... s (at most
``NOTIFY_BACKOFF_MAX_S``), up to ``NOTIFY_ATTEMPTS``; any other answer is
logged and dropped. Nothing waits for a receiver: deliveries are queued
after the transaction commits and sent by one background thread of the
process, so neither a request nor the executor is held up by a slow or
dead receiver.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import transaction

from escalator_site.notify_config import EVENTS, Receiver, sign

logger = logging.getLogger(__name__)

# A delivery not sent after this many waiting in the queue is dropped (bounded memory).
MAX_QUEUED = 1000


@dataclass(order=True)
class _Delivery:
    due: float
    order: int
    receiver: Receiver = field(compare=False)
    event: str = field(compare=False)
    body: bytes = field(compare=False)
    delivery_id: str = field(compare=False)
    attempt: int = field(default=1, compare=False)


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code in (408, 429) or exc.code >= 500
    return isinstance(exc, (urllib.error.URLError, OSError, TimeoutError))


class Outbox:
    """One background thread that sends due deliveries and schedules their retries."""

    def __init__(self) -> None:
        self._heap: list[_Delivery] = []
        self._cv = threading.Condition()
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def put(self, receiver: Receiver, event: str, body: bytes) -> None:
        with self._cv:
            if len(self._heap) >= MAX_QUEUED:
                logger.error("notification %s to %s dropped: %d deliveries queued", event,
                             receiver.name, len(self._heap))
                return
            heapq.heappush(self._heap, _Delivery(time.monotonic(), next(self._order), receiver,
                                                 event, body, uuid.uuid4().hex))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="notifications",
                                                daemon=True)
                self._thread.start()
            self._cv.notify()

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._heap or self._heap[0].due > time.monotonic():
                    wait = self._heap[0].due - time.monotonic() if self._heap else None
                    self._cv.wait(wait)
                delivery = heapq.heappop(self._heap)
            self._send(delivery)

    def _send(self, delivery: _Delivery) -> None:
        receiver = delivery.receiver
        timestamp = str(int(time.time()))
        request = urllib.request.Request(receiver.url, data=delivery.body, method="POST", headers={
            "Content-Type": "application/json", "User-Agent": "escalator-notifications",
            "X-Escalator-Event": delivery.event, "X-Escalator-Delivery": delivery.delivery_id,
            "X-Escalator-Timestamp": timestamp,
            "X-Escalator-Signature": sign(receiver.secret, timestamp, delivery.body)})
        try:
            with urllib.request.urlopen(request, timeout=receiver.timeout_s):
                return
        except Exception as exc:  # every failure is logged; a retryable one is tried again
            attempts = int(getattr(settings, "NOTIFY_ATTEMPTS", 5))
            if not _retryable(exc) or delivery.attempt >= attempts:
                logger.error("notification %s to %s failed after %d attempts: %s",
                             delivery.event, receiver.name, delivery.attempt, exc)
                return
            delay = min(float(getattr(settings, "NOTIFY_BACKOFF_S", 1.0))
                        * 2 ** (delivery.attempt - 1),
                        float(getattr(settings, "NOTIFY_BACKOFF_MAX_S", 60.0)))
            logger.warning("notification %s to %s: %s; attempt %d in %.1f s", delivery.event,
                           receiver.name, exc, delivery.attempt + 1, delay)
            delivery.due = time.monotonic() + delay
            delivery.attempt += 1
            with self._cv:
                heapq.heappush(self._heap, delivery)
                self._cv.notify()


OUTBOX = Outbox()


def receivers() -> list[Receiver]:
    return list(getattr(settings, "ESCALATOR_NOTIFICATIONS", []) or [])


def notify(event: str, payload: dict[str, Any]) -> None:
    """Queue ``event`` for every receiver that wants it, once the transaction commits."""
    if event not in EVENTS:
        raise ValueError(f"unknown notification event {event!r}")
    wanted = [r for r in receivers() if event in r.events]
    if not wanted:
        return
    body = json.dumps({"event": event, "at": datetime.now(UTC).isoformat(), **payload},
                      sort_keys=True, default=str).encode()

    def queue() -> None:
        for receiver in wanted:
            OUTBOX.put(receiver, event, body)

    transaction.on_commit(queue)
