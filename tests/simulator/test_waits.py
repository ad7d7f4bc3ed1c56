"""The waits of an execution that are not work, in the simulated estimate, with exact logs.

An active-standby VNF v: a (active) on h1, b (standby) on h2; h3 holds
nothing of a VNF. Serial upgrade of h1, then h2 and h3 together, every
duration fixed (tests/simulator/builders.fixed_params): wave 1 is disable
0-5, switchover 5-7, upgrade 7-607, reboot -907, verify -967, enable -972,
a started again 972-1002; wave 2 starts at 1002.

- the VNF managers' reply before each host holding a member (its deadline:
  the VNF's lead_time_s, else the policy's vnfm_reply_deadline_s);
- a VNF's recovery_time_s after its member came back before the next goes;
- the gaps between maintenance windows (SimParams.windows).
"""

from __future__ import annotations

import pytest

from domain.plan import ActionKind as K
from domain.snapshot import HaModel, MemberRole
from simulator.distributions import Fixed
from simulator.engine import simulate
from simulator.records import RunResult
from tests.simulator.builders import cloud, fixed_params, host, plan, server, step, vnf

BASE = 1002.0 + 5 + 2 + 600 + 300 + 60 + 5 + 30  # wave 2 ends when b is started again: 2004


def setup(**vnf_args: float):
    snap = cloud([host("h1"), host("h2"), host("h3"), host("h4")],
                 [server("a", "h1"), server("b", "h2"), server("c", "h3")],
                 [vnf("v", HaModel.ACTIVE_STANDBY, [("a", MemberRole.ACTIVE),
                                                   ("b", MemberRole.STANDBY)], **vnf_args)])
    p = plan([step("h1", ("a", K.SWITCHOVER, None))],
             [step("h2", ("b", K.SWITCHOVER, None)), step("h3", ("c", K.LIVE_MIGRATE, "h4"))])
    return snap, p


def spans(run: RunResult, kind: str) -> list[tuple[str, float, float]]:
    return [(e.host, round(e.time, 3), round(e.end, 3)) for e in run.events if e.kind == kind]


def begins(run: RunResult, kind: str, host: str) -> float:
    return round(next(e.time for e in run.events if e.kind == kind and e.host == host), 3)


def test_the_baseline_the_others_are_measured_against():
    run = simulate(*setup(), fixed_params(), seed=1)
    assert run.duration_s == pytest.approx(BASE)
    assert spans(run, "start") == [("h1", 972.0, 1002.0), ("h2", 1974.0, 2004.0)]
    assert (run.vnfm_wait_s, run.recovery_wait_s, run.windows_used) == (0.0, 0.0, 0)


def test_each_host_with_a_member_waits_for_the_vnf_managers_reply():
    run = simulate(*setup(), fixed_params(vnfm=True, vnfm_reply_s=Fixed(40.0)), seed=1)
    # After the disable, before the switchover; h3 (no VNF member) does not wait.
    assert spans(run, "vnfm-wait") == [("h1", 5.0, 45.0), ("h2", 1047.0, 1087.0)]
    assert begins(run, "switchover", "h1") == 45.0
    assert begins(run, "upgrade", "h3") == pytest.approx(1042 + 5 + 9.196, abs=0.01)
    assert run.duration_s == pytest.approx(BASE + 80)
    assert run.vnfm_wait_s == pytest.approx(80)


def test_the_reply_wait_ends_at_the_lead_time_or_the_policys_deadline():
    # A VNF with a lead time has a VNF manager (no vnfm flag): a late reply is cut there.
    led = simulate(*setup(lead_time_s=25.0), fixed_params(vnfm_reply_s=Fixed(400.0)), seed=1)
    assert spans(led, "vnfm-wait") == [("h1", 5.0, 30.0), ("h2", 1032.0, 1057.0)]
    assert led.duration_s == pytest.approx(BASE + 50)
    silent = simulate(*setup(), fixed_params(vnfm=True, vnfm_reply_s=Fixed(400.0),
                                             vnfm_reply_deadline_s=300.0), seed=1)
    assert silent.duration_s == pytest.approx(BASE + 600)
    assert [e.detail for e in silent.events if e.kind == "vnfm-wait"] == [
        "v; no reply by the deadline: v"] * 2
    # Without a VNF manager nobody waits.
    assert simulate(*setup(), fixed_params(vnfm_reply_s=Fixed(400.0)), seed=1).duration_s == (
        pytest.approx(BASE))


def test_the_next_member_goes_only_recovery_time_after_the_previous_came_back():
    run = simulate(*setup(recovery_time_s=120.0), fixed_params(), seed=1)
    # a is back at 1002; h2 is disabled by 1007 and waits until 1122 to switch b over.
    assert spans(run, "recovery-wait") == [("h2", 1007.0, 1122.0)]
    assert begins(run, "switchover", "h2") == 1122.0 == 1002.0 + 120
    assert run.duration_s == pytest.approx(BASE + 115)
    assert run.recovery_wait_s == pytest.approx(115)
    # h3 holds nothing of v: it does not wait.
    assert begins(run, "live-migrate", "h3") == 1007.0


def test_a_window_end_pauses_between_hosts_until_the_next_window():
    params = fixed_params(windows=((0.0, 500.0), (5000.0, 90000.0)))
    run = simulate(*setup(), params, seed=1)
    # h1 began inside the first window and ran past its end (a host is finished);
    # wave 2 waited for the second window.
    assert spans(run, "window-wait") == [("h2", 1002.0, 5000.0), ("h3", 1002.0, 5000.0)]
    assert begins(run, "disable", "h2") == 5000.0
    assert run.duration_s == pytest.approx(BASE + 3998)
    assert (run.windows_used, run.window_wait_s, run.window_overrun_s) == (2, 3998.0, 502.0)
    figures = run.figures()
    assert (figures["windows_used"], figures["window_wait_s"]) == (2, 3998.0)


def test_every_wait_adds_up_in_the_estimate():
    params = fixed_params(vnfm=True, vnfm_reply_s=Fixed(40.0),
                          windows=((0.0, 500.0), (5000.0, 90000.0)))
    run = simulate(*setup(recovery_time_s=120.0), params, seed=1)
    # a is back at 1042; wave 2 waits for 5000, where the recovery is long over.
    assert run.duration_s == pytest.approx(BASE + 40 + (5000 - 1042) + 40)
    assert spans(run, "recovery-wait") == []
    close = simulate(*setup(recovery_time_s=120.0),
                     fixed_params(vnfm=True, vnfm_reply_s=Fixed(40.0)), seed=1)
    # Without the gap, h2 waits 40 s for the reply and then what is left of the 120 s.
    assert spans(close, "recovery-wait") == [("h2", 1087.0, 1162.0)]
    assert close.duration_s == pytest.approx(BASE + 40 + 40 + 75)


def test_the_waits_parameters_round_trip_as_json_and_mistakes_are_named():
    import json

    from simulator.params import SimParams

    params = fixed_params(vnfm=True, vnfm_reply_s=Fixed(40.0), vnfm_reply_deadline_s=90.0,
                          windows=((0.0, 500.0), (5000.0, 90000.0)))
    assert SimParams.from_dict(json.loads(json.dumps(params.to_dict()))) == params
    with pytest.raises(ValueError, match="windows: .* in order, not overlapping"):
        SimParams(windows=((0.0, 500.0), (400.0, 900.0)))
    with pytest.raises(ValueError, match="windows: a list of"):
        SimParams.from_dict({"windows": "22:00-04:00"})
