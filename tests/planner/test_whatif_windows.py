"""The what-if counts soaks in the estimate and says how many maintenance windows a plan needs."""

from __future__ import annotations

from datetime import datetime

import pytest

from planner.options import PlanOptions
from planner.whatif import compare, format_table
from simulator.engine import simulate
from simulator.params import SimParams
from tests.planner.builder import three_hosts

EVERY_DAY = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
START = datetime.fromisoformat("2026-12-05T22:00:00+00:00")


def test_soaks_lengthen_the_estimate_by_exactly_their_sum():
    snap = three_hosts()
    plain = compare(snap, ["serial"], PlanOptions(), runs=3, seed=4).result("serial")
    soaked_options = PlanOptions(canary=True, canary_soak_s=600, soak_s=120)
    soaked = compare(snap, ["serial"], soaked_options, runs=3, seed=4).result("serial")
    waves = soaked.waves
    assert waves == plain.waves >= 3
    expected = 600 + 120 * (waves - 2)
    for p in ("p50", "p95"):
        assert soaked.simulation.duration_s[p] == pytest.approx(
            plain.simulation.duration_s[p] + expected)
    run = simulate(snap, soaked.plan, soaked_options.simulated(SimParams()), 4)
    assert [round(e.end - e.time) for e in run.events if e.kind == "soak"] == [
        600] + [120] * (waves - 2)


def test_a_one_minute_daily_window_needs_one_window_per_wave():
    options = PlanOptions(maintenance_windows=[{"days": EVERY_DAY, "start": "22:00",
                                                "end": "22:01"}])
    comparison = compare(three_hosts(), ["serial"], options, runs=2, start=START)
    serial = comparison.result("serial")
    assert serial.windows.windows == serial.waves
    # Each wave but the first waits for the next evening; each runs past its minute.
    assert serial.windows.waiting_s > (serial.waves - 1) * 23 * 3600
    assert serial.windows.overrun_s > 0
    assert serial.to_dict(comparison.lower_bound)["windows"]["windows"] == serial.waves
    assert f"serial: fits in {serial.waves} windows" in format_table(comparison)

    anytime = compare(three_hosts(), ["serial"], PlanOptions(), runs=2, start=START)
    assert anytime.result("serial").windows is None


def test_the_fit_is_the_simulated_run_and_ends_in_the_windows_zone():
    options = PlanOptions(maintenance_windows=[{"days": EVERY_DAY, "start": "23:00",
                                                "end": "23:01"}],
                          window_timezone="Europe/Paris")
    comparison = compare(three_hosts(), ["serial"], options, runs=2, start=START)
    serial = comparison.result("serial")
    # 22:00 UTC is 23:00 in Paris: the first wave starts at once, each later one a day on.
    assert serial.windows.windows == serial.waves
    assert serial.windows.end.tzname() == "CET"
    assert serial.windows.end.date().isoformat() == f"2026-12-{5 + serial.waves - 1:02d}"
    # The Monte Carlo's duration is wall-clock: the gaps are in it.
    assert serial.simulation.duration_s["p50"] > serial.windows.waiting_s
    assert " CET (mon,tue,wed,thu,fri,sat,sun 23:00-23:01 (Europe/Paris))" in format_table(
        comparison)
