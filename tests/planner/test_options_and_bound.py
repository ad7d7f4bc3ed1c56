"""Plan options round-trip and refuse nonsense; the lower bound's three terms; timings."""

from __future__ import annotations

import pytest

from domain.plan import ActionKind
from planner.estimate import estimate_duration
from planner.lowerbound import lower_bound
from planner.options import PlanOptions
from planner.strategies import make_plan
from planner.timing import Timings, default_timings, estimate_live_migration, timings_from
from simulator.distributions import Fixed, Uniform
from simulator.params import SimParams
from tests.planner.builder import cloud, host, server, three_hosts


def test_options_round_trip_through_a_dict():
    options = PlanOptions(hosts_per_wave=4, allowed_actions={"live-migrate", "stay"}, seed=7)
    data = options.to_dict()
    assert data == {
        "hosts_per_wave": 4,
        "concurrent_migrations": 0,
        "az_share": 1.0,
        "aggregate_share": 0.5,
        "allowed_actions": ["live-migrate", "stay"],
        "keep_az": True,
        "evaluations": 0,
        "time_budget_s": 5.0,
        "seed": 7,
        "alarm_mode": "strict",
        "alarm_ignore": [],
        "maintenance_windows": [],
        "window_exclusions": [],
        "window_timezone": "UTC",
        "canary": False,
        "canary_soak_s": 0.0,
        "soak_s": 0.0,
        "vnfm_reply_s": 300.0,
        "vnfm_timeout": "proceed",
    }
    assert PlanOptions.from_dict(data) == options
    assert PlanOptions.from_dict(None) == PlanOptions()


def test_options_refuse_nonsense_with_clear_messages():
    with pytest.raises(ValueError, match="unknown plan options: speed"):
        PlanOptions.from_dict({"speed": 3})
    with pytest.raises(ValueError, match="hosts_per_wave must be at least 1"):
        PlanOptions(hosts_per_wave=0)
    with pytest.raises(ValueError, match=r"aggregate_share must be in \(0, 1\], got 1.5"):
        PlanOptions(aggregate_share=1.5)
    with pytest.raises(ValueError, match="allowed_actions: 'teleport' is not a valid ActionKind"):
        PlanOptions.from_dict({"allowed_actions": ["teleport"]})
    with pytest.raises(ValueError, match="evaluations must be 0 \\(by size\\) to 100000, got -1"):
        PlanOptions(evaluations=-1)
    assert not PlanOptions().allows(ActionKind.STOP_START)


def test_timings_read_the_simulators_means():
    params = SimParams(upgrade_s=Fixed(600.0), reboot_s=Uniform(100.0, 200.0), live_migration_downtime_ms=300)
    t = timings_from(params)
    assert (t.upgrade_s, t.reboot_s, t.downtime_s) == (600.0, 150.0, 0.3)
    assert t.switchover_s == 2.0  # Uniform(1, 3)
    assert timings_from(None) == Timings()


def test_live_migration_estimate_follows_the_precopy_model():
    idle = server("idle", "h1", ram_gib=8, memory_used_mib=4096, dirty_rate_mibps=0.0)
    est = estimate_live_migration(idle, 1024.0, Timings(migration_overhead_s=5.0, resume_s=0.1))
    # 4 GiB at 1 GiB/s, nothing dirtied: one round then a tiny stop-and-copy.
    assert est.converges
    assert est.duration_s == pytest.approx(9.0, abs=0.2)
    assert est.downtime_s < 0.5
    hot = server("hot", "h1", ram_gib=8, memory_used_mib=8192, dirty_rate_mibps=2000.0, working_set_mib=8192)
    never = estimate_live_migration(hot, 1000.0, Timings())
    assert not never.converges  # dirtier than the link: falls back to a cold migration
    assert never.duration_s > est.duration_s and never.downtime_s > 30


def test_lower_bound_terms_on_a_small_cloud():
    t = Timings(disable_s=0, upgrade_s=100, reboot_s=0, verify_s=0, enable_s=0, start_s=10, switchover_s=2)
    snap = three_hosts()
    bound = lower_bound(snap, PlanOptions(hosts_per_wave=2), t)
    lone = estimate_live_migration(snap.server_by_name["lone"], 1000.0, t)
    # h1: lone must live-migrate, then 100 s; fw-a may switch over or move
    # (its 5 s switchover may overlap nothing the bound can count on).
    h1 = lone.duration_s + 100
    # h2: fw-b's 5 s switchover or its live migration, the quicker.
    fw_b = min(5.0, estimate_live_migration(snap.server_by_name["fw-b"], 1000.0, t).duration_s)
    h2 = fw_b + 100
    h3 = 100.0
    assert bound.longest_host_s == pytest.approx(h1)
    assert bound.slots_s == pytest.approx((h1 + h2 + h3) / 2)
    assert bound.hosts_at_once == 2
    assert bound.must_move_mib == pytest.approx(lone.sent_mib)
    assert bound.transfer_s == pytest.approx(lone.sent_mib / 1500.0)
    # Three hosts, two at once: two waves, the longest host's and one of 100 s at least.
    assert (bound.forced_waves, bound.forced_by) == (2, "hosts_per_wave 2 over 3 hosts")
    assert bound.waves_s == pytest.approx(h1 + 100)
    assert bound.value == bound.waves_s and bound.binding == "waves_s"
    assert bound.value == max(bound.slots_s, bound.longest_host_s, bound.transfer_s, bound.waves_s)
    data = bound.to_dict()
    assert data["value"] == bound.value and data["binding"] == "waves_s"
    assert [t["term"] for t in data["terms"]] == ["waves_s", "transfer_s", "longest_host_s", "slots_s"]
    # Bare timings are the laws: the floor is the bound.
    assert bound.floor_s == pytest.approx(bound.value)


def test_no_plan_is_shorter_than_the_lower_bound_by_the_estimate():
    snap = cloud([host(f"h{i}") for i in range(6)], [server(f"s{i}", f"h{i}") for i in range(6)])
    options = PlanOptions(hosts_per_wave=2, time_budget_s=0.2)
    # The estimate's view of time: every duration at its mean, no laws.
    bound = lower_bound(snap, options, default_timings()).value
    for name in ("serial", "parallel", "optimized"):
        assert estimate_duration(snap, make_plan(name, snap, options)) >= bound * 0.999, name


def test_a_wave_lasts_its_slowest_hosts_expected_draw():
    # Ten empty hosts, ten at once: one wave, as long as the slowest of ten
    # draws of the fixed steps (about 1,486 s), not their mean (1,256 s).
    snap = cloud([host(f"h{i}") for i in range(10)])
    params = SimParams()
    bound = lower_bound(snap, PlanOptions(hosts_per_wave=10), timings_from(params), params=params)
    assert bound.forced_waves == 1
    assert 1480 < bound.waves_s < 1490 and bound.binding == "waves_s"
    alone = lower_bound(snap, PlanOptions(hosts_per_wave=1), timings_from(params), params=params)
    assert alone.waves_s == pytest.approx(10 * timings_from(params).host_fixed_s, rel=0.01)


def test_hosts_that_pairwise_share_a_vnf_each_need_a_wave():
    from tests.planner.builder import pool

    # Three pools of two, over h1-h2, h2-h3 and h1-h3: each pool alone forces
    # two waves, the triangle forces three.
    servers = [server(n, h, ram_gib=2) for n, h in
               (("a1", "h1"), ("a2", "h2"), ("b1", "h2"), ("b2", "h3"), ("c1", "h1"), ("c2", "h3"))]
    vnfs = [pool("a", "a1", "a2"), pool("b", "b1", "b2"), pool("c", "c1", "c2")]
    snap = cloud([host(f"h{i}") for i in range(1, 5)], servers, vnfs=vnfs)
    bound = lower_bound(snap, PlanOptions(hosts_per_wave=4, aggregate_share=1.0))
    assert bound.forced_waves == 3
    assert bound.forced_by.startswith("3 hosts that pairwise share a VNF that may lose one member")
    plan = make_plan("optimized", snap, PlanOptions(hosts_per_wave=4, aggregate_share=1.0))
    assert len(plan.waves) == 3
