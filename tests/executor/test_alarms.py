"""The alarm gate reads a real Alertmanager: strict, relaxed, the ignore list, no answer."""

from __future__ import annotations

import time

from executor.alarms import AlarmGate, Alertmanager
from tests.livesite import free_port


def until(condition, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def test_strict_holds_on_every_alert_but_the_ignored_relaxed_only_on_grave_ones(alertmanager):
    source = Alertmanager(alertmanager.url)
    strict = AlarmGate(source, "strict", frozenset({"Watchdog"}))
    relaxed = AlarmGate(source, "relaxed", frozenset({"Watchdog"}))
    assert strict.blocking() == [] and relaxed.blocking() == []

    alertmanager.fire("Watchdog", severity="none")
    alertmanager.fire("DiskAlmostFull", severity="warning", summary="85 % used",
                      instance="cmp2")
    until(lambda: len(alertmanager.active()) == 2)
    assert strict.blocking() == ["DiskAlmostFull on cmp2 (warning, 85 % used)"]
    assert relaxed.blocking() == []

    alertmanager.fire("NovaComputeDown", severity="critical", instance="cmp3")
    until(lambda: len(alertmanager.active()) == 3)
    assert relaxed.blocking() == ["NovaComputeDown on cmp3 (critical)"]
    assert strict.blocking() == ["DiskAlmostFull on cmp2 (warning, 85 % used)",
                                 "NovaComputeDown on cmp3 (critical)"]

    alertmanager.resolve("NovaComputeDown", severity="critical", instance="cmp3")
    alertmanager.resolve("DiskAlmostFull", severity="warning", instance="cmp2")
    assert until(lambda: strict.blocking() == [])
    assert AlarmGate(source, "off").blocking() == []


def test_an_alertmanager_that_does_not_answer_holds():
    url = f"http://127.0.0.1:{free_port()}"
    (reason,) = AlarmGate(Alertmanager(url, timeout_s=1)).blocking()
    assert reason.startswith(f"Alertmanager at {url} unreadable:")
