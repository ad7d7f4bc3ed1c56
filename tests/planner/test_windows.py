"""Maintenance windows: when work may happen, and how many windows a plan's waves need."""

from __future__ import annotations

from datetime import datetime

import pytest

from planner.options import PlanOptions
from planner.windows import fit, parse_schedule
from simulator.params import SimParams

# Saturday and Sunday nights, 22:00 to 04:00 Paris time, not over Christmas.
WEEKENDS = parse_schedule([{"days": ["sat", "sun"], "start": "22:00", "end": "04:00"}],
                          [{"from": "2026-12-26", "to": "2026-12-26"}], "Europe/Paris")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_a_window_crossing_midnight_is_open_until_its_end_and_exclusions_skip_it():
    # 2026-12-05 is a Saturday; Paris is UTC+1 in December.
    assert WEEKENDS.open_at(at("2026-12-05T20:59:59+00:00")) is None
    start, end = WEEKENDS.open_at(at("2026-12-05T21:00:00+00:00"))
    assert (start.isoformat(), end.isoformat()) == ("2026-12-05T22:00:00+01:00",
                                                   "2026-12-06T04:00:00+01:00")
    assert WEEKENDS.open_at(at("2026-12-06T02:59:00+00:00")) is not None
    assert WEEKENDS.open_at(at("2026-12-06T03:00:00+00:00")) is None
    # Saturday the 26th is excluded: the next window after Sunday the 20th's is the 27th's.
    assert WEEKENDS.next_open(at("2026-12-21T04:00:00+01:00")).isoformat() == \
        "2026-12-27T22:00:00+01:00"


def test_waves_start_only_inside_a_window_and_a_wave_in_progress_runs_past_its_end():
    hour = 3600.0
    # Four 2-hour waves from Saturday 22:00: three fit in the 6-hour window
    # (the third starts at 02:00 and ends at 04:00), the fourth waits for Sunday's.
    result = fit(WEEKENDS, [2 * hour] * 4, at("2026-12-05T22:00:00+01:00"))
    assert (result.windows, result.overrun_s) == (2, 0.0)
    assert result.end == at("2026-12-07T00:00:00+01:00")
    assert result.waiting_s == 18 * hour
    # A 5-hour wave started at 03:00 overruns its window by 4 hours.
    late = fit(WEEKENDS, [5 * hour], at("2026-12-06T03:00:00+01:00"))
    assert (late.windows, late.overrun_s) == (1, 4 * hour)
    assert fit(parse_schedule(), [hour, hour], at("2026-12-05T10:00:00+00:00")).windows == 1


def test_windows_are_plan_policy_and_mistakes_are_named():
    options = PlanOptions.from_dict({
        "maintenance_windows": [{"days": ["sat"], "start": "22:00", "end": "04:00"}],
        "canary": True, "canary_soak_s": 600, "soak_s": 120})
    assert PlanOptions.from_dict(options.to_dict()) == options
    assert [options.soak_before(w) for w in range(4)] == [0, 600, 120, 120]
    assert options.schedule().describe() == "sat 22:00-04:00 (UTC)"
    with pytest.raises(ValueError, match=r"maintenance_windows\[0\]\.start: expected HH:MM"):
        PlanOptions.from_dict({"maintenance_windows": [{"days": ["sat"], "start": "25:00",
                                                        "end": "04:00"}]})
    with pytest.raises(ValueError, match="window_timezone: unknown time zone 'Mars/Olympus'"):
        PlanOptions(window_timezone="Mars/Olympus")
    with pytest.raises(ValueError, match=r"soak_s must be 0 to 86400 s, got -5"):
        PlanOptions(soak_s=-5)
    never = parse_schedule([{"days": ["mon"], "start": "01:00", "end": "02:00"}],
                           [{"from": "2026-01-01", "to": "2028-01-01"}])
    with pytest.raises(ValueError, match="never open within 400 days"):
        never.next_open(at("2026-06-01T00:00:00+00:00"))


def test_the_windows_as_the_simulator_takes_them_seconds_from_the_start():
    start = at("2026-12-05T23:00:00+01:00")  # a Saturday, inside sat 22:00-04:00
    spans = WEEKENDS.intervals(start, days=8)
    hour = 3600.0
    # Open now until 04:00 (5 h), then Sunday 22:00-04:00, then next Saturday's.
    assert spans[:3] == ((0.0, 5 * hour), (23 * hour, 29 * hour), (167 * hour, 173 * hour))
    assert parse_schedule().intervals(start) == ()
    options = PlanOptions(maintenance_windows=[{"days": ["sat", "sun"], "start": "22:00",
                                                "end": "04:00"}],
                          window_timezone="Europe/Paris")
    assert options.simulated(SimParams(), start=start).windows[:2] == spans[:2]
    assert options.simulated(SimParams()).windows == ()  # no start: no windows


def test_the_policys_reply_deadline_bounds_the_simulated_vnfm_wait():
    from simulator.distributions import Fixed

    params = PlanOptions(vnfm_reply_s=45.0).simulated(SimParams(vnfm=True,
                                                                vnfm_reply_s=Fixed(400.0)))
    assert params.vnfm_reply_deadline_s == 45.0
    # A simulation's own deadline wins.
    mine = SimParams(vnfm_reply_deadline_s=12.0)
    assert PlanOptions(vnfm_reply_s=45.0).simulated(
        mine, given=["vnfm_reply_deadline_s"]).vnfm_reply_deadline_s == 12.0
