"""Reasons not to take the next host down yet, and the wait until there are none (pure).

A *hold* is something that keeps the next host from starting: an active
alarm (executor/alarms.py), or being outside the plan's maintenance window
(executor/windows.py). The machine asks before each host and through every
soak; while any hold has a reason the execution is *paused* there (a safe
point between hosts: no host is down on its account; ``pause`` is told the
cause), says why in the log, and once every reason is gone it runs again by
itself (``resume``). The worker keeps the execution meanwhile: the operator
may still pause it for good (it then stays paused when the hold clears) or
abort it.
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
    # The execution pauses with the cause (called again when the cause changes) and
    # runs again with what cleared it.
    pause: Callable[[str], None] | None = None
    resume: Callable[[str], None] | None = None
    _said: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _paused: tuple[tuple[str, tuple[str, ...]], ...] = ()
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def paused(self) -> bool:
        return bool(self._paused)

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
            self._say(found, where)
            # What holds, not where it is asked from: hosts of one wave ask at once.
            now = tuple((kind, tuple(why)) for kind, why in sorted(found.items()))
            if now == self._paused:
                return
            before, self._paused = self._paused, now
            if now and self.pause is not None:
                self.pause(f"{where}: " + "; ".join(f"held by {kind}: " + "; ".join(why)
                                                    for kind, why in now))
            elif not now and before and self.resume is not None:
                self.resume(f"{where}: " + ", ".join(kind for kind, _ in before)
                            + " clear, going on")

    def _say(self, found: dict[str, list[str]], where: str) -> None:
        """One event per hold kind whose reasons changed (the page's cause box)."""
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
