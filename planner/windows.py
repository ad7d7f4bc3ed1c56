"""Maintenance windows: a weekly schedule with exclusions, and how many windows a plan needs (pure).

A plan's policy may say when work may happen (``PlanOptions``)::

    maintenance_windows: [{days: [sat, sun], start: "22:00", end: "04:00"}]
    window_exclusions:   [{from: "2026-12-24", to: "2026-12-26"}]
    window_timezone:     Europe/Paris

A window whose end is not after its start ends the next day. A window that
*starts* on an excluded date (inclusive range, in the window's time zone)
does not happen. No windows at all: work may happen at any time.

The executor starts a host only inside a window (executor/windows.py): a
host in progress at a window's end is finished (a safe point is between
hosts), the next one waits for the next window. ``fit`` predicts the same
from a plan's wave durations: the hosts of a wave start together, so a wave
starts only inside a window and may run past its end.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# How far ahead the next window is looked for: a schedule that never opens
# within a year is a mistake, not a plan.
HORIZON_DAYS = 400


@dataclass(frozen=True)
class Window:
    days: frozenset[int]  # 0 = Monday
    start: time
    end: time

    def describe(self) -> str:
        days = ",".join(DAYS[d] for d in sorted(self.days))
        return f"{days} {self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class Schedule:
    windows: tuple[Window, ...] = ()
    exclusions: tuple[tuple[date, date], ...] = ()
    timezone: str = "UTC"

    @property
    def always(self) -> bool:
        return not self.windows

    @property
    def tz(self) -> tzinfo:
        return ZoneInfo(self.timezone)

    def _excluded(self, day: date) -> bool:
        return any(a <= day <= b for a, b in self.exclusions)

    def _occurrences(self, first: date, days: int) -> Iterable[tuple[datetime, datetime]]:
        for offset in range(days):
            day = first + timedelta(days=offset)
            if self._excluded(day):
                continue
            for window in self.windows:
                if day.weekday() not in window.days:
                    continue
                start = datetime.combine(day, window.start, self.tz)
                end = datetime.combine(day, window.end, self.tz)
                if end <= start:
                    end = datetime.combine(day + timedelta(days=1), window.end, self.tz)
                yield start, end

    def open_at(self, at: datetime) -> tuple[datetime, datetime] | None:
        """The window occurrence that ``at`` falls in (the latest-ending one), else None."""
        local = at.astimezone(self.tz)
        found = [(s, e) for s, e in self._occurrences(local.date() - timedelta(days=1), 2)
                 if s <= local < e]
        return max(found, key=lambda se: se[1]) if found else None

    def next_open(self, at: datetime) -> datetime:
        """When work may next happen from ``at`` on (``at`` itself inside a window)."""
        if self.always or self.open_at(at) is not None:
            return at
        local = at.astimezone(self.tz)
        starts = sorted(s for s, _ in self._occurrences(local.date(), HORIZON_DAYS)
                        if s > local)
        if not starts:
            raise ValueError(f"the maintenance windows never open within {HORIZON_DAYS} days "
                             f"of {at:%Y-%m-%d}")
        return starts[0]

    def intervals(self, start: datetime, days: int = HORIZON_DAYS) -> tuple[tuple[float, float], ...]:
        """The windows from ``start`` on as ``(open, close)`` seconds after ``start``,
        in order, overlapping ones merged (the simulator's ``SimParams.windows``)."""
        if self.always:
            return ()
        local = start.astimezone(self.tz)
        spans = sorted((max((s - local).total_seconds(), 0.0), (e - local).total_seconds())
                       for s, e in self._occurrences(local.date() - timedelta(days=1), days + 1)
                       if e > local)
        merged: list[tuple[float, float]] = []
        for a, b in spans:
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
            else:
                merged.append((a, b))
        return tuple(merged)

    def describe(self) -> str:
        if self.always:
            return "any time"
        return "; ".join(w.describe() for w in self.windows) + f" ({self.timezone})"


def _time(value: Any, where: str) -> time:
    try:
        return time.fromisoformat(str(value))
    except ValueError as exc:
        raise ValueError(f"{where}: expected HH:MM or HH:MM:SS, got {value!r}") from exc


def _date(value: Any, where: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ValueError(f"{where}: expected YYYY-MM-DD, got {value!r}") from exc


def parse_schedule(windows: Sequence[Mapping[str, Any]] = (),
                   exclusions: Sequence[Mapping[str, Any]] = (),
                   timezone: str = "UTC") -> Schedule:
    """A schedule from the plan options' plain data; a mistake names its place."""
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"window_timezone: unknown time zone {timezone!r}") from exc
    parsed = []
    for i, item in enumerate(windows):
        where = f"maintenance_windows[{i}]"
        if not isinstance(item, Mapping) or set(item) - {"days", "start", "end"}:
            raise ValueError(f"{where}: expected {{days, start, end}}")
        days = item.get("days") or []
        bad = [d for d in days if str(d).lower() not in DAYS]
        if bad or not days or isinstance(days, str):
            raise ValueError(f"{where}.days: a list of {', '.join(DAYS)}")
        start, end = _time(item.get("start"), f"{where}.start"), _time(item.get("end"),
                                                                       f"{where}.end")
        if start == end:
            raise ValueError(f"{where}: start and end are the same time")
        parsed.append(Window(frozenset(DAYS.index(str(d).lower()) for d in days), start, end))
    ranges = []
    for i, item in enumerate(exclusions):
        where = f"window_exclusions[{i}]"
        if not isinstance(item, Mapping) or set(item) != {"from", "to"}:
            raise ValueError(f"{where}: expected {{from, to}}")
        first, last = _date(item["from"], f"{where}.from"), _date(item["to"], f"{where}.to")
        if last < first:
            raise ValueError(f"{where}: 'to' is before 'from'")
        ranges.append((first, last))
    return Schedule(tuple(parsed), tuple(ranges), timezone)


@dataclass(frozen=True)
class WindowFit:
    """How a plan's waves fall into the windows from ``start`` on."""

    windows: int  # distinct window occurrences used
    end: datetime
    waiting_s: float  # time spent between windows
    overrun_s: float  # the most a wave ran past its window's end

    def to_dict(self) -> dict[str, Any]:
        return {"windows": self.windows, "end": self.end.isoformat(),
                "waiting_s": round(self.waiting_s, 1), "overrun_s": round(self.overrun_s, 1)}


def fit(schedule: Schedule, wave_durations: Sequence[float], start: datetime) -> WindowFit:
    """Waves (their durations, soaks included) started only inside a window, in order."""
    now, used, waiting, overrun = start, 0, 0.0, 0.0
    current: tuple[datetime, datetime] | None = None
    for duration in wave_durations:
        if not schedule.always:
            opened = schedule.next_open(now)
            waiting += (opened - now).total_seconds()
            now = opened
            window = schedule.open_at(now)
            if window != current:
                used += 1
                current = window
        elif used == 0:
            used = 1
        now = now + timedelta(seconds=duration)
        if current is not None and now > current[1]:
            overrun = max(overrun, (now - current[1]).total_seconds())
    return WindowFit(used, now, waiting, overrun)
