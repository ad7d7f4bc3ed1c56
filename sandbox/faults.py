"""Faults the sandbox injects, and the rules that decide when one applies.

Pure and thread-safe: the nova driver (on compute threads) and the HTTP
front (on request threads) both consult the one ``FaultBook`` of the
process. Nothing here imports nova.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

# kind -> what it does
FAULT_KINDS = {
    "live_migration_fail": "the live migration runs, then fails; the server stays on its source",
    "live_migration_slow": "the live migration takes `seconds` longer (abortable meanwhile)",
    "precheck_fail": "the destination pre-check fails: HTTP 400 to the live-migrate request",
    "http_error": "answer `status` (500 or 503) instead of serving a share `ratio` of requests",
    "hang": "hold matching requests for `seconds` before serving them (or until reset)",
}


class FaultError(ValueError):
    """A control request described a fault that cannot exist."""


@dataclass
class Fault:
    """One injected fault.

    ``host`` narrows a migration fault to a source host (``live_migration_*``)
    or a destination host (``precheck_fail``). ``method`` and ``path`` narrow
    an HTTP fault (``path`` is a prefix of the request path, e.g.
    ``/v2.1/os-services``). ``count`` is how many times it may still fire
    (``None``: until cleared).
    """

    id: int
    kind: str
    host: str | None = None
    count: int | None = None
    seconds: float = 0.0
    status: int = 500
    ratio: float = 1.0
    method: str | None = None
    path: str | None = None
    fired: int = 0
    # Matching requests seen, for the deterministic share of http_error.
    seen: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_fault(fault_id: int, body: Mapping[str, Any]) -> Fault:
    kind = body.get("kind")
    if kind not in FAULT_KINDS:
        raise FaultError(f"kind: must be one of {sorted(FAULT_KINDS)}")
    fault = Fault(
        id=fault_id,
        kind=kind,
        host=body.get("host"),
        count=body.get("count"),
        seconds=float(body.get("seconds", 0.0)),
        status=int(body.get("status", 500)),
        ratio=float(body.get("ratio", 1.0)),
        method=(body.get("method") or None) and str(body["method"]).upper(),
        path=body.get("path"),
    )
    if fault.count is not None and (not isinstance(fault.count, int) or fault.count < 1):
        raise FaultError("count: must be a positive integer or absent")
    if kind == "http_error" and fault.status not in (500, 502, 503, 504):
        raise FaultError("status: must be 500, 502, 503 or 504")
    if not 0.0 < fault.ratio <= 1.0:
        raise FaultError("ratio: must be in (0, 1]")
    if kind in ("live_migration_slow", "hang") and fault.seconds <= 0:
        raise FaultError("seconds: must be positive")
    return fault


class FaultBook:
    """The faults in force, consumed as they fire."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        # Set on reset so that hanging requests are let go at once.
        self.release = threading.Event()

    def add(self, body: Mapping[str, Any]) -> Fault:
        with self._lock:
            fault = parse_fault(next(self._ids), body)
            self._faults.append(fault)
            self.release.clear()
            return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
        self.release.set()

    def remove(self, fault_id: int) -> bool:
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if f.id != fault_id]
            return len(self._faults) != before

    def listing(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.as_dict() for f in self._faults]

    def take(self, kind: str, host: str | None = None) -> Fault | None:
        """Fire the first fault of ``kind`` that matches ``host``, if any."""
        with self._lock:
            for fault in self._faults:
                if fault.kind == kind and fault.host in (None, host):
                    return self._fire(fault)
        return None

    def take_http(self, method: str, path: str) -> Fault | None:
        """Fire an http_error or hang fault for this request, if one applies.

        The share of failed requests is deterministic: with ratio r, the n-th
        matching request fails when floor(n*r) grows, so 0.5 fails every
        second request and tests do not depend on luck.
        """
        with self._lock:
            for fault in self._faults:
                if fault.kind not in ("http_error", "hang"):
                    continue
                if fault.method and fault.method != method.upper():
                    continue
                if fault.path and not path.startswith(fault.path):
                    continue
                fault.seen += 1
                if int(fault.seen * fault.ratio) == int((fault.seen - 1) * fault.ratio):
                    continue
                return self._fire(fault)
        return None

    def _fire(self, fault: Fault) -> Fault:
        fault.fired += 1
        if fault.count is not None:
            fault.count -= 1
            if fault.count == 0:
                self._faults.remove(fault)
        return fault
