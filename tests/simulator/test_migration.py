"""The pre-copy model against cases computed by hand, and Nova's own schedule."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.migration import (
    CONTINUOUS,
    DOWNTIME_FIXED_S,
    EV_CONVERGED,
    MigrationSpec,
    PreCopy,
    completion_timeout,
    data_gib,
    downtime_steps,
    main,
    migrate,
)


def test_nova_schedule_for_a_4_gib_guest() -> None:
    # 50 ms from 0 s, 45 ms more every 300 s, 500 ms from 3000 s, abort at 3200 s.
    size = data_gib(4096)
    assert size == 4.0
    assert list(downtime_steps(size)) == [(300 * i, 50 + 45 * i) for i in range(11)]
    assert completion_timeout(size) == 3200


def test_nova_counts_at_least_2_gib_per_device() -> None:
    assert data_gib(1024) == 2.0
    assert data_gib(1024, (1.0, 10.0)) == 2.0 + 2.0 + 10.0
    # A 1 GiB guest gets the schedule of a 2 GiB one: steps every 150 s.
    assert list(downtime_steps(data_gib(1024)))[:3] == [(0, 50), (150, 95), (300, 140)]
    assert completion_timeout(data_gib(1024)) == 1600


def test_nova_truncations_are_mirrored() -> None:
    # 3 GiB, 400 ms, 10 steps, 30 s: the example in nova's docstring.
    assert list(downtime_steps(3.0, 400, 10, 30)) == [
        (0, 40), (90, 76), (180, 112), (270, 148), (360, 184), (450, 220),
        (540, 256), (630, 292), (720, 328), (810, 364), (900, 400),
    ]


def test_converges_in_two_rounds_by_hand() -> None:
    # Round 0: 4096 MiB at 1000 MiB/s = 4.096 s, dirtying 409.6 MiB (> 50 ms * 1000).
    # Round 1: 0.4096 s, dirtying 40.96 MiB (<= 50 MiB): pause, send 40.96 MiB.
    result = migrate(MigrationSpec.for_nova(4096, 100), 1000)
    assert result.outcome == "converged"
    assert result.rounds == 2
    assert result.total_s == pytest.approx(4.096 + 0.4096 + 0.04096)
    assert result.downtime_s == pytest.approx(0.04096)
    assert result.sent_mib == pytest.approx(4096 + 409.6 + 40.96)
    assert result.allowed_downtime_s == 0.05


def test_resume_time_adds_to_downtime() -> None:
    result = migrate(MigrationSpec.for_nova(4096, 100), 1000, resume_s=0.1)
    assert result.downtime_s == pytest.approx(0.14096)


def test_an_idle_guest_pauses_with_nothing_left() -> None:
    result = migrate(MigrationSpec.for_nova(2048, 0.0), 1024)
    assert (result.rounds, result.total_s, result.downtime_s) == (1, 2.0, 0.0)


def test_dirty_rate_at_bandwidth_never_converges_and_nova_aborts() -> None:
    # Every round resends the whole 4 GiB; 500 ms at most allows 500 MiB.
    result = migrate(MigrationSpec.for_nova(4096, 1000), 1000)
    assert result.outcome == "aborted"
    assert not result.completed
    assert result.total_s == 3200.0
    assert result.rounds == 782  # 781 rounds of 4.096 s, the 782nd cut by the timeout
    assert result.sent_mib == pytest.approx(3_200_000)


def test_working_set_converges_when_the_allowed_downtime_steps_up() -> None:
    # Rounds of 80 MiB (0.08 s) after round 0: 50 ms allows 50 MiB, not enough;
    # from 300 s, 95 ms allows 95 MiB: the first round ending after 300 s converges.
    result = migrate(MigrationSpec.for_nova(4096, 2000, working_set_mib=80), 1000)
    assert result.outcome == "converged"
    assert result.switch_s == pytest.approx(4.096 + 3699 * 0.08)
    assert result.rounds == 3700
    assert result.downtime_s == pytest.approx(0.08)
    assert result.allowed_downtime_s == 0.095


def test_slowly_shrinking_rounds_use_the_closed_form_exactly() -> None:
    # r = 0.99: rounds 4096 * 0.99^j; at 95 MiB (from 300 s) round 374 converges.
    result = migrate(MigrationSpec.for_nova(4096, 990), 1000)
    expected_switch = 4096 * (1 - 0.99**375) / (0.01 * 1000)
    assert result.outcome == "converged"
    assert result.rounds == 375
    assert result.switch_s == pytest.approx(expected_switch, rel=1e-9)
    assert result.downtime_s == pytest.approx(4096 * 0.99**375 / 1000, rel=1e-9)


def test_force_complete_pauses_the_guest_without_post_copy() -> None:
    # At 3200 s round 781 has run 1.024 s: 3072 MiB unsent + 2048 MiB dirtied, at
    # most the 4096 MiB of memory, sent with the guest paused.
    spec = MigrationSpec.for_nova(4096, 2000, timeout_action="force_complete")
    result = migrate(spec, 1000)
    assert result.outcome == "paused"
    assert result.switch_s == 3200.0
    assert result.downtime_s == pytest.approx(4.096)
    assert result.total_s == pytest.approx(3204.096)


def test_force_complete_switches_to_post_copy_when_permitted() -> None:
    spec = MigrationSpec.for_nova(4096, 2000, timeout_action="force_complete", permit_post_copy=True)
    result = migrate(spec, 1000, resume_s=0.1)
    assert result.outcome == "post-copy"
    assert result.downtime_s == 0.1  # the guest runs on the destination at once
    assert result.total_s == pytest.approx(3204.096)


def test_auto_converge_throttles_a_guest_that_would_never_converge() -> None:
    plain = migrate(MigrationSpec.for_nova(4096, 2000), 1000)
    throttled = migrate(MigrationSpec.for_nova(4096, 2000, permit_auto_converge=True), 1000)
    assert plain.outcome == "aborted"
    assert throttled.outcome == "converged"
    assert throttled.total_s < 60
    # Nova does not use auto-converge when post-copy is permitted.
    spec = MigrationSpec.for_nova(4096, 2000, permit_auto_converge=True, permit_post_copy=True)
    assert not spec.auto_converge


def test_no_timeout_and_no_hope_is_reported_as_never_converging() -> None:
    result = migrate(MigrationSpec.for_nova(4096, 2000, timeout_s_per_gib=0), 1000)
    assert result.outcome == "never-converges"
    assert math.isinf(result.total_s)


@settings(max_examples=150, deadline=None)
@given(
    memory=st.integers(256, 32768),
    dirty=st.floats(0, 1500),
    working_set=st.integers(0, 4096),
    bandwidth=st.floats(100, 3000),
    chunks=st.lists(st.floats(0.01, 400), min_size=1, max_size=30),
)
def test_advancing_in_pieces_gives_the_same_migration(
    memory: int, dirty: float, working_set: int, bandwidth: float, chunks: list[float]
) -> None:
    """Bandwidth changes cut a migration at arbitrary times: the outcome must not move."""
    spec = MigrationSpec.for_nova(memory, dirty, working_set)
    whole = PreCopy(spec)
    event = whole.advance(bandwidth, math.inf)
    pieces = PreCopy(spec)
    for dt in chunks:
        got = pieces.advance(bandwidth, dt)
        if got is not None:
            assert got == event
            break
    else:
        got = pieces.advance(bandwidth, math.inf)
        assert got == event
    assert pieces.t == pytest.approx(whole.t, rel=1e-6, abs=1e-6)
    if event == EV_CONVERGED:
        assert pieces.final == pytest.approx(whole.final, rel=1e-6, abs=1e-6)


def test_command_line_json(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--memory-mib", "4096", "--dirty-rate-mibps", "100", "--bandwidth-mibps", "1000", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["converged"] is True
    assert out["rounds"] == 2
    assert out["downtime_ms"] == pytest.approx(40.96)
    assert out["total_s"] == pytest.approx(4.54656)
    assert out["sent_mib"] == pytest.approx(4546.56)
    assert out["completion_timeout_s"] == 3200
    assert out["downtime_schedule"][0] == {"from_s": 0.0, "downtime_ms": 50.0}
    assert out["downtime_schedule"][-1] == {"from_s": 3000.0, "downtime_ms": 500.0}


def test_command_line_text_for_a_migration_that_does_not_converge(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--memory-mib", "4096", "--dirty-rate-mibps", "1000", "--bandwidth-mibps", "1000",
                 "--flavor-ram-mib", "8192"])
    out = capsys.readouterr().out
    assert code == 1
    assert "converged:        no" in out
    assert "total:            6400.000 s" in out  # flavor of 8 GiB: timeout 6400 s
    assert "from     600 s:    95 ms" in out


# --- As QEMU does it: the pause decided as data goes, the stop-and-copy at the link's speed.


def test_the_rounds_tail_goes_into_the_stop_and_copy_at_the_links_speed() -> None:
    # 2048 MiB at 1024 MiB/s, 256 MiB/s dirtied over a 256 MiB working set, 50 ms
    # allowed (51.2 MiB). Round 0 (2 s) leaves 256 MiB dirtied; from then a sync
    # would find 256 - 1024 t + 256 t: 51.2 MiB after 0.2667 s, in round 2 (round 1
    # ends at 0.25 s with 64 MiB). The unsent 51.2 MiB go with the guest paused, at
    # the link's 4096 MiB/s.
    spec = MigrationSpec.for_nova(2048, 256.0, working_set_mib=256, convergence=CONTINUOUS)
    result = migrate(spec, 1024, resume_s=0.002, switchover_mibps=4096)
    assert result.outcome == "converged"
    assert result.rounds == 3
    assert result.switch_s == pytest.approx(2 + 204.8 / 768)
    assert result.downtime_s == pytest.approx(51.2 / 4096 + 0.002)
    assert result.total_s == pytest.approx(2 + 204.8 / 768 + 0.0125)
    assert result.sent_mib == pytest.approx(2048 + 1024 * 204.8 / 768 + 51.2)
    # The textbook: rounds of 256 and 64 MiB, then 16 MiB paused, at 1024 MiB/s.
    textbook = migrate(MigrationSpec.for_nova(2048, 256.0, working_set_mib=256), 1024)
    assert (textbook.rounds, textbook.switch_s) == (3, pytest.approx(2.3125))
    assert textbook.downtime_s == pytest.approx(16 / 1024)


def test_an_idle_guest_with_zero_pages_to_scan_pauses_with_nothing_left() -> None:
    # Round 0 of QEMU counts the zero pages it has yet to scan as left: 2048 MiB of
    # a 4096 MiB flavor's RAM, far more than the 51.2 MiB allowed, until the end.
    spec = MigrationSpec.for_nova(2048, 0.0, flavor_ram_mib=4096, convergence=CONTINUOUS,
                                  check_interval_s=0.1)
    result = migrate(spec, 1024, resume_s=0.002, switchover_mibps=4096)
    assert (result.rounds, result.total_s, result.downtime_s) == (1, 2.0, 0.002)


def test_an_idle_guest_using_all_its_ram_sends_round_0s_tail_paused() -> None:
    # No zero pages: QEMU pauses once what is left fits, on average half a look
    # (102.4 MiB here) past 51.2 MiB: 25.6 MiB, sent at the link's speed.
    spec = MigrationSpec.for_nova(2048, 0.0, convergence=CONTINUOUS, check_interval_s=0.1)
    result = migrate(spec, 1024, resume_s=0.002, switchover_mibps=4096)
    assert result.rounds == 1
    assert result.switch_s == pytest.approx((2048 - 25.6) / 1024)
    assert result.downtime_s == pytest.approx(25.6 / 4096 + 0.002)


def test_zero_pages_fewer_than_the_allowed_downtime_leave_the_rest_of_round_0() -> None:
    # 1960 of 2048 MiB in use, 200 ms allowed at 1024 MiB/s (204.8 MiB): QEMU sees
    # the unsent data plus 88 MiB of zero pages; looked at every instant, it pauses
    # with 204.8 - 88 = 116.8 MiB of data left.
    spec = MigrationSpec(memory_mib=1960, ram_mib=2048, schedule=((0.0, 0.2),), convergence=CONTINUOUS)
    result = migrate(spec, 1024, switchover_mibps=2048)
    assert result.switch_s == pytest.approx((1960 - 116.8) / 1024)
    assert result.downtime_s == pytest.approx(116.8 / 2048)


def test_the_pause_comes_within_the_round_that_would_converge() -> None:
    # Round 0 (4.096 s) leaves 409.6 MiB dirtied: too much. In round 1, what a sync
    # would find is 409.6 - 1000 t + 100 t; it falls to 50 MiB after 0.39956 s.
    spec = MigrationSpec.for_nova(4096, 100, convergence=CONTINUOUS)
    result = migrate(spec, 1000, switchover_mibps=2000)
    assert result.rounds == 2
    assert result.switch_s == pytest.approx(4.096 + 359.6 / 900)
    assert result.downtime_s == pytest.approx(50 / 2000)
    assert result.sent_mib == pytest.approx(4096 + 359.6 / 0.9 + 50)
    # The textbook model pauses at the round's end, with 40.96 MiB, sent capped.
    textbook = migrate(MigrationSpec.for_nova(4096, 100), 1000)
    assert textbook.switch_s == pytest.approx(4.5056)
    assert textbook.downtime_s == pytest.approx(0.04096)


def test_a_downtime_step_counts_from_the_moment_it_comes_not_the_rounds_end() -> None:
    # Rounds of 80 MiB (0.08 s) over an 80 MiB working set dirtied at 2000 MiB/s:
    # a sync finds at least 80 MiB, more than the 50 allowed. Nova allows 95 ms from
    # 300 s, 0.064 s into round 3700 (from 299.936 s): 16 MiB unsent + 80 dirtied =
    # 96 MiB, 95 a millisecond later. The textbook waits for the round's end (300.016 s).
    spec = MigrationSpec.for_nova(4096, 2000, working_set_mib=80, convergence=CONTINUOUS)
    result = migrate(spec, 1000)
    assert result.outcome == "converged"
    assert result.rounds == 3700
    assert result.switch_s == pytest.approx(300.001, abs=1e-6)
    assert result.allowed_downtime_s == 0.095
    assert result.downtime_s == pytest.approx(0.095)


def test_a_dirty_rate_above_the_bandwidth_still_never_converges() -> None:
    spec = MigrationSpec.for_nova(4096, 1500, convergence=CONTINUOUS)
    result = migrate(spec, 1000, switchover_mibps=10000)
    assert result.outcome == "aborted"
    assert result.total_s == 3200.0


def test_only_qemus_completion_lifts_the_cap_not_novas_pause() -> None:
    # At the timeout Nova pauses the guest; QEMU still migrates it by (capped)
    # pre-copy: 4096 MiB at 1000 MiB/s whatever the link. Post-copy is QEMU's
    # completion: the rest goes at the link's speed.
    paused = migrate(MigrationSpec.for_nova(4096, 2000, timeout_action="force_complete"), 1000,
                     switchover_mibps=10000)
    assert paused.downtime_s == pytest.approx(4.096)
    post = migrate(MigrationSpec.for_nova(4096, 2000, timeout_action="force_complete",
                                          permit_post_copy=True), 1000, switchover_mibps=10000)
    assert post.total_s == pytest.approx(3200.4096)


def test_qemus_looks_every_100_ms_pause_half_a_look_later_on_average() -> None:
    # As above, looked at every 0.1 s: what is left falls at 1024 - 256 = 768 MiB/s,
    # 76.8 MiB a look, more than the 51.2 allowed: on average QEMU pauses with
    # 25.6 MiB left, 0.3 s into the dirty rounds (round 1 ends at 0.25 s with 64 MiB).
    spec = MigrationSpec.for_nova(2048, 256.0, working_set_mib=256, convergence=CONTINUOUS,
                                  check_interval_s=0.1)
    result = migrate(spec, 1024, switchover_mibps=4096)
    assert result.rounds == 3
    assert result.switch_s == pytest.approx(2.3)
    assert result.downtime_s == pytest.approx(25.6 / 4096)
    # 100 MiB/s over all memory: round 0 leaves 200 MiB; left falls at 924 MiB/s,
    # 92.4 MiB a look: 25.6 MiB again, within round 1 (0.2 s).
    spec = MigrationSpec.for_nova(2048, 100.0, convergence=CONTINUOUS, check_interval_s=0.1)
    result = migrate(spec, 1024)
    assert result.rounds == 2
    assert result.switch_s == pytest.approx(2 + 174.4 / 924)
    assert result.downtime_s == pytest.approx(25.6 / 1024)


def test_an_unknown_convergence_check_is_refused() -> None:
    with pytest.raises(ValueError, match="convergence: one of"):
        MigrationSpec(memory_mib=1024, convergence="sometimes")


@settings(max_examples=150, deadline=None)
@given(
    memory=st.integers(256, 32768),
    dirty=st.floats(0, 1500),
    working_set=st.integers(0, 4096),
    bandwidth=st.floats(100, 3000),
    chunks=st.lists(st.floats(0.01, 400), min_size=1, max_size=30),
    interval=st.sampled_from([0.0, 0.05, 0.1]),
)
def test_continuous_checks_give_the_same_migration_in_pieces(
    memory: int, dirty: float, working_set: int, bandwidth: float, chunks: list[float], interval: float
) -> None:
    spec = MigrationSpec.for_nova(memory, dirty, working_set, convergence=CONTINUOUS,
                                  check_interval_s=interval)
    whole = PreCopy(spec)
    event = whole.advance(bandwidth, math.inf)
    pieces = PreCopy(spec)
    for dt in chunks:
        got = pieces.advance(bandwidth, dt)
        if got is not None:
            assert got == event
            break
    else:
        got = pieces.advance(bandwidth, math.inf)
        assert got == event
    assert pieces.t == pytest.approx(whole.t, rel=1e-6, abs=1e-6)
    assert pieces.total_sent == pytest.approx(whole.total_sent, rel=1e-6, abs=1e-6)
    if event == EV_CONVERGED:
        assert pieces.final == pytest.approx(whole.final, rel=1e-6, abs=1e-6)
        # QEMU pauses only once what is left fits in the allowed downtime.
        assert pieces.final <= bandwidth * pieces.allowed_at_switch + 1e-6


def test_command_line_as_qemu_does_it(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--memory-mib", "4096", "--dirty-rate-mibps", "100", "--bandwidth-mibps", "1000",
                 "--hypervisor", "qemu", "--link-mibps", "2000", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    # Checked every 0.1 s, while what is left falls by 90 MiB a look: 25 MiB left on
    # average, but round 1 ends first (40.96 MiB dirtied), when QEMU's bitmap runs
    # out and it looks at once: 40.96 MiB, sent at the link's 2000 MiB/s.
    assert out["downtime_ms"] == pytest.approx(20.48 + DOWNTIME_FIXED_S * 1000)
    assert out["switch_s"] == pytest.approx(4.5056)
    # Each new flag alone: the round-end check, stop-and-copy at the link's speed.
    main(["--memory-mib", "4096", "--dirty-rate-mibps", "100", "--bandwidth-mibps", "1000",
          "--link-mibps", "2000", "--json"])
    assert json.loads(capsys.readouterr().out)["downtime_ms"] == pytest.approx(20.48)
    main(["--memory-mib", "4096", "--dirty-rate-mibps", "100", "--bandwidth-mibps", "1000",
          "--convergence", "continuous", "--resume-ms", "3", "--json"])
    assert json.loads(capsys.readouterr().out)["downtime_ms"] == pytest.approx(53.0)


def test_command_line_refuses_a_link_without_speed(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--memory-mib", "4096", "--dirty-rate-mibps", "1", "--bandwidth-mibps", "1000",
              "--link-mibps", "0"])
    assert exc.value.code == 2
    assert "--link-mibps must be positive" in capsys.readouterr().err


def test_post_copy_as_nova_switches_after_a_pass_that_made_too_little_progress() -> None:
    # 2000 MiB/s dirtied on a 1000 MiB/s link: after round 0 (4.096 s) the sync finds the
    # whole 4096 MiB dirty, against 500 MiB left half a second before: Nova switches at
    # once. The guest runs on the destination, which pulls the 4096 MiB at the link's speed.
    spec = MigrationSpec.for_nova(4096, 2000, permit_post_copy=True, post_copy_switch="nova")
    result = migrate(spec, 1000, resume_s=0.002, switchover_mibps=10000)
    assert result.outcome == "post-copy"
    assert result.switch_s == pytest.approx(4.096)
    assert result.downtime_s == 0.002  # device state and resume only
    assert result.total_s == pytest.approx(4.096 + 0.4096)
    # Only at the timeout, as before, by default.
    late = migrate(MigrationSpec.for_nova(4096, 2000, timeout_action="force_complete",
                                          permit_post_copy=True), 1000)
    assert late.switch_s == 3200.0


def test_post_copy_as_nova_leaves_a_migration_that_progresses() -> None:
    # 100 MiB/s dirtied: round 1 holds 409.6 MiB against 500 left before the sync
    # (18 % progress): no switch, and round 1 converges as without post-copy.
    with_post = migrate(MigrationSpec.for_nova(4096, 100, permit_post_copy=True,
                                               post_copy_switch="nova"), 1000)
    without = migrate(MigrationSpec.for_nova(4096, 100), 1000)
    assert with_post == without
    assert with_post.outcome == "converged"
    with pytest.raises(ValueError, match="post_copy_switch: one of"):
        MigrationSpec(memory_mib=1, post_copy_switch="soon")


def test_auto_converge_reports_what_it_took_from_the_guest() -> None:
    # QEMU's steps: 20 % after two syncs that dirtied more than half of what was sent,
    # then 10 % more each two; the throttle in force at the pause is what the guest lost.
    result = migrate(MigrationSpec.for_nova(4096, 2000, permit_auto_converge=True), 1000)
    assert result.outcome == "converged"
    assert result.throttle >= 0.2
    assert round((result.throttle - 0.2) / 0.1, 6).is_integer()
    assert result.to_dict()["guest_throttle_pct"] == pytest.approx(result.throttle * 100)
    assert migrate(MigrationSpec.for_nova(4096, 100), 1000).throttle == 0.0


def test_the_command_line_switches_to_post_copy_as_nova_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    from simulator.migration import main

    code = main(["--memory-mib", "4096", "--dirty-rate-mibps", "2000", "--bandwidth-mibps", "1000",
                 "--permit-post-copy", "--post-copy-switch", "nova", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert (code, out["outcome"], out["switch_s"]) == (0, "post-copy", pytest.approx(4.096))
    main(["--memory-mib", "4096", "--dirty-rate-mibps", "2000", "--bandwidth-mibps", "1000",
          "--permit-post-copy", "--json"])
    assert json.loads(capsys.readouterr().out)["outcome"] == "aborted"  # today's meaning
