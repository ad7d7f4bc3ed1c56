"""Simulation parameters: Nova's defaults, distributions, and the form/JSON round trip."""

from __future__ import annotations

import json
import random

import pytest

from planner.timing import timings_from
from simulator.distributions import Fixed, LogNormal, Triangular, Uniform, dist_from_dict
from simulator.params import SimParams


def test_defaults_are_novas() -> None:
    params = SimParams()
    assert params.live_migration_downtime_ms == 500
    assert params.downtime_steps == 10
    assert params.downtime_delay_s == 75
    assert params.completion_timeout_s_per_gib == 800
    assert params.timeout_action == "abort"
    assert params.max_concurrent_live_migrations == 1
    assert not params.permit_post_copy and not params.permit_auto_converge


def test_round_trip_through_json() -> None:
    params = SimParams(upgrade_s=LogNormal(900, 0.3, cap=3600), fabric_bandwidth_mibps=5000.0, permit_post_copy=True)
    again = SimParams.from_dict(json.loads(json.dumps(params.to_dict())))
    assert again == params


def test_a_form_gives_strings_and_partial_values() -> None:
    params = SimParams.from_dict({
        "max_concurrent_live_migrations": "2", "permit_auto_converge": "on", "fabric_bandwidth_mibps": "",
        "reboot_s": 240, "verify_s": {"kind": "uniform", "low": "30", "high": "90"},
    })
    assert params.max_concurrent_live_migrations == 2
    assert params.permit_auto_converge is True
    assert params.fabric_bandwidth_mibps is None
    assert params.reboot_s == Fixed(240.0)
    assert params.verify_s == Uniform(30.0, 90.0)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"nope": 1}, "unknown simulation parameters: nope"),
        ({"downtime_steps": 2}, "Nova's minimum is 3"),
        ({"live_migration_failure_p": 1.5}, "probability"),
        ({"migration_fallback": "pray"}, "migration_fallback"),
        ({"upgrade_s": {"kind": "gamma", "k": 1}}, "unknown distribution kind"),
        ({"upgrade_s": {"kind": "triangular", "low": 5, "mode": 1, "high": 9}}, "low <= mode <= high"),
        ({"max_concurrent_live_migrations": 1.5}, "max_concurrent_live_migrations: not an integer"),
    ],
)
def test_bad_values_are_refused_with_their_name(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SimParams.from_dict(data)


def test_distributions_draw_from_the_given_generator_only() -> None:
    dists = [Fixed(3.0), Uniform(1.0, 2.0), Triangular(1.0, 2.0, 4.0), LogNormal(10.0, 0.5, cap=12.0)]
    first = [d.sample(random.Random(4)) for d in dists]
    random.seed(123)  # the global generator must not matter
    assert [d.sample(random.Random(4)) for d in dists] == first
    assert first[0] == 3.0 and 1.0 <= first[1] <= 2.0 and 1.0 <= first[2] <= 4.0 and first[3] <= 12.0
    assert [d.mean for d in dists[:3]] == [3.0, 1.5, 7.0 / 3.0]
    assert [dist_from_dict(d.to_dict()) for d in dists] == dists


def test_the_planner_reads_the_means() -> None:
    timings = timings_from(SimParams(upgrade_s=Triangular(600.0, 900.0, 1200.0), reboot_s=Fixed(200.0)))
    assert timings.upgrade_s == 900.0
    assert timings.reboot_s == 200.0
