"""The maintenance window as a hold of the executor (pure; planner/windows.py has the schedule).

Outside every window the next host waits (executor/holds.py), so an
execution that reaches a window's end stops between hosts and goes on by
itself when the next window opens; a host in progress is finished.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar

from planner.windows import Schedule


@dataclass(frozen=True)
class WindowHold:
    schedule: Schedule
    clock: Callable[[], float] = field(default=time.time)
    kind: ClassVar[str] = "window"

    def reasons(self) -> list[str]:
        if self.schedule.always:
            return []
        now = datetime.fromtimestamp(self.clock(), UTC)
        if self.schedule.open_at(now) is not None:
            return []
        opens = self.schedule.next_open(now).astimezone(self.schedule.tz)
        return [f"outside the maintenance windows ({self.schedule.describe()}); the next "
                f"opens {opens:%a %Y-%m-%d %H:%M:%S %Z}"]
