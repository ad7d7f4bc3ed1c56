"""Reasons not to take the next host down yet, and the wait until there are none (pure).

A *hold* is something that keeps the next host from starting: an active
alarm (executor/alarms.py), or being outside the plan's maintenance window
(executor/windows.py). The machine asks before each host and through every
soak; while any hold has a reason it waits (as a pause between hosts: no
host is down on its account), says why in the log, and goes on by itself
once every reason is gone. The operator may still pause or abort meanwhile.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol


class Hold(Protocol):
    kind: str  # the event kind it is reported under: "alarm", "window"

    def reasons(self) -> list[str]:
        """Why the next host must wait now; empty: it may go."""
        ...


@dataclass
class Holds:
    """The holds of one execution; ``say`` reports a change of reasons (kind, message, data)."""

    holds: Sequence[Hold]
    say: Callable[..., None]
    poll_s: float = 5.0
    _said: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reasons(self) -> dict[str, list[str]]:
        found = {}
        for hold in self.holds:
            why = hold.reasons()
            if why:
                found[hold.kind] = why
        return found

    def wait_clear(self, wait: Callable[[float], None], may_go_on: Callable[[], bool],
                   where: str) -> bool:
        """Wait until nothing holds; False when the operator paused meanwhile.

        ``wait`` raises when the operator aborts; ``where`` says what waits
        ("before cmp3", "soak after wave 1").
        """
        while True:
            found = self.reasons()
            self._report(found, where)
            if not found:
                return True
            if not may_go_on():
                return False
            wait(self.poll_s)

    def _report(self, found: dict[str, list[str]], where: str) -> None:
        with self._lock:
            for hold in self.holds:
                now = tuple(found.get(hold.kind, ()))
                before = self._said.get(hold.kind, ())
                if now == before:
                    continue
                self._said[hold.kind] = now
                if now:
                    self.say(hold.kind, f"{where}: held by {hold.kind}: " + "; ".join(now),
                             holding=True, reasons=list(now))
                else:
                    self.say(hold.kind, f"{where}: {hold.kind} clear, going on",
                             holding=False, reasons=[])
