"""The pure state machine on an in-memory cloud: the exact requests it makes."""

from __future__ import annotations

import pytest

from domain.plan import ActionKind, HostStep, Plan, ServerAction, Wave
from executor.actions import Policy
from executor.machine import Machine, Outcome, StepState, Wanted
from executor.steps import StepKind, build_steps
from tests.executor.fakes import (
    NEW,
    FakeCloud,
    FakeUpgrade,
    MemoryStore,
    RecordingVnfm,
    raise_permanent,
)

REASON = "escalator: plan 'rolling' (execution 1) to 2026.2"
A = ServerAction


def serial_plan() -> Plan:
    return Plan("serial", "2026.2", (
        Wave((HostStep("cmp1", (A("fw-a", ActionKind.SWITCHOVER, "cmp1"),
                                A("lb-1", ActionKind.LIVE_MIGRATE, "cmp1", "cmp3"))),)),
        Wave((HostStep("cmp2", (A("fw-b", ActionKind.LIVE_MIGRATE, "cmp2", "cmp1"),
                                A("batch-1", ActionKind.STAY, "cmp2"))),)),
        Wave((HostStep("cmp3", (A("lb-1", ActionKind.COLD_MIGRATE, "cmp3", "cmp4"),
                                A("lb-2", ActionKind.STOP_START, "cmp3"))),)),
    ))


def make_cloud() -> FakeCloud:
    return FakeCloud({"cmp1": [("fw-a", "ACTIVE"), ("lb-1", "ACTIVE")],
                      "cmp2": [("fw-b", "ACTIVE"), ("batch-1", "SHUTOFF")],
                      "cmp3": [("lb-2", "ACTIVE")], "cmp4": []})


def machine(cloud, store, plan=None, sleeps=None, lost=None, **policy) -> Machine:
    specs = build_steps(plan or serial_plan(), {"fw-a": "firewall", "fw-b": "firewall",
                                                "lb-1": "lb", "lb-2": "lb"})
    clock = _Clock(sleeps)
    return Machine(specs, cloud, store, vnf_manager=RecordingVnfm(cloud),
                   upgrade_driver=FakeUpgrade(cloud, lost), policy=Policy(**policy),
                   plan_label="plan 'rolling' (execution 1) to 2026.2",
                   target_versions=NEW, now=clock.now, sleep=clock.sleep)


class _Clock:
    """Simulated time: a sleep advances it at once, so a wait bounded by time ends."""

    def __init__(self, sleeps: list[float] | None) -> None:
        self.t, self.sleeps = 0.0, sleeps

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds
        if self.sleeps is not None:
            self.sleeps.append(seconds)


EXPECTED = [
    ("disable", "cmp1", REASON), ("vnfm-switchover", "firewall", "fw-a"), ("stop", "fw-a"),
    ("live_migrate", "lb-1", "cmp3"), ("upgrade", "cmp1"), ("enable", "cmp1"),
    ("start", "fw-a"), ("vnfm-restore", "firewall", "fw-a"),
    ("disable", "cmp2", REASON), ("live_migrate", "fw-b", "cmp1"), ("upgrade", "cmp2"),
    ("enable", "cmp2"),
    ("disable", "cmp3", REASON), ("cold_migrate", "lb-1", "cmp4"), ("confirm_resize", "lb-1"),
    ("stop", "lb-2"), ("upgrade", "cmp3"), ("enable", "cmp3"), ("start", "lb-2"),
]


def test_the_steps_of_a_host_follow_the_seed_documents_order():
    specs = build_steps(serial_plan())
    assert [(s.kind.value, s.server) for s in specs if s.host == "cmp1"] == [
        ("precheck", ""), ("disable", ""), ("switchover", "fw-a"), ("move", "lb-1"),
        ("drain", ""), ("upgrade", ""), ("verify", ""), ("enable", ""), ("restore", "fw-a")]
    assert [s.label for s in specs if s.host == "cmp3" and s.kind is StepKind.MOVE] == [
        "cold-migrate lb-1 cmp3 -> cmp4", "stop lb-2 on cmp3"]
    assert len({s.key for s in specs}) == len(specs)


def test_a_plan_runs_end_to_end_with_exactly_these_requests():
    cloud, store = make_cloud(), MemoryStore()

    result = machine(cloud, store).run()

    assert result.outcome is Outcome.DONE
    assert cloud.calls == EXPECTED
    where = {s.name: (s.host, s.status) for s in cloud.servers()}
    assert where == {"fw-a": ("cmp1", "ACTIVE"), "lb-1": ("cmp4", "ACTIVE"),
                     "fw-b": ("cmp1", "ACTIVE"), "batch-1": ("cmp2", "SHUTOFF"),
                     "lb-2": ("cmp3", "ACTIVE")}
    assert {h: cloud.versions[h] == NEW for h in ("cmp1", "cmp2", "cmp3")} == {
        "cmp1": True, "cmp2": True, "cmp3": True}
    assert all(s.status == "enabled" for s in cloud.services())
    assert set(store.states().values()) == {"done"}


def test_running_a_finished_execution_again_asks_nothing():
    cloud, store = make_cloud(), MemoryStore()
    machine(cloud, store).run()
    cloud.calls.clear()

    assert machine(cloud, store).run().outcome is Outcome.DONE
    assert cloud.calls == []


def test_a_step_cut_after_its_request_is_not_done_twice_on_restart():
    cloud, store = make_cloud(), MemoryStore()

    class Killed(BaseException):
        pass

    def crash(call):
        if call[0] == "live_migrate" and call[1] == "fw-b":
            raise Killed()
    cloud.on_call = crash
    with pytest.raises(Killed):
        machine(cloud, store).run()
    # The request reached the cloud; the record still says "running".
    key = next(k for k in store.rows if k.endswith("move.fw-b"))
    assert store.rows[key].state is StepState.RUNNING
    cloud.on_call = None
    # The migration completed in the cloud meanwhile (the fake only raised).
    fw_b = next(s for s in cloud.servers() if s.name == "fw-b")
    cloud.servers_[fw_b.id] = fw_b.__class__(**{**fw_b.__dict__, "host": "cmp1"})
    before = len(cloud.calls)

    assert machine(cloud, store).run().outcome is Outcome.DONE
    assert cloud.calls[before:] == EXPECTED[EXPECTED.index(("live_migrate", "fw-b", "cmp1")) + 1:]
    assert [c for c in cloud.calls if c[:2] == ("live_migrate", "fw-b")] == [
        ("live_migrate", "fw-b", "cmp1")]
    assert store.rows[key].attempts == 2


def test_transient_errors_are_retried_with_exponential_backoff():
    cloud, store, sleeps = make_cloud(), MemoryStore(), []
    cloud.faults["disable"] = 3

    result = machine(cloud, store, sleeps=sleeps, backoff_s=0.5).run()

    assert result.outcome is Outcome.DONE
    assert sleeps == [0.5, 1.0, 2.0]
    assert [e[1] for e in store.events if e[0] == "retry"] == [
        "disable cmp1: injected disable; retry 1 in 0.5 s",
        "disable cmp1: injected disable; retry 2 in 1 s",
        "disable cmp1: injected disable; retry 3 in 2 s"]
    assert cloud.calls == EXPECTED


def test_transient_errors_beyond_the_policy_fail_the_step():
    cloud, store = make_cloud(), MemoryStore()
    cloud.faults["disable"] = 10

    result = machine(cloud, store, transient_retries=2).run()

    assert result.outcome is Outcome.BLOCKED
    assert result.cause == ("cmp1: injected disable (after 2 retries) "
                            "(the execution pauses for the operator)")


def test_a_failed_migration_is_retried_then_the_execution_pauses_with_the_host_disabled():
    cloud, store = make_cloud(), MemoryStore()
    cloud.fail_migrations_of["lb-1"] = 5

    result = machine(cloud, store, migration_attempts=2).run()

    assert result.outcome is Outcome.BLOCKED
    assert result.failed_step.endswith("move.lb-1")
    assert result.cause == ("cmp1: lb-1: live-migrate failed 2 time(s); last: migration 101 "
                            "failed, server still on cmp1 (the execution pauses for the operator)")
    assert cloud.calls == EXPECTED[:3] + [("live_migrate", "lb-1", "cmp3")] * 2
    assert cloud.compute_service("cmp1").status == "disabled"
    assert store.rows[result.failed_step].state is StepState.FAILED

    # The operator fixed the cause and retries: only the rest is done.
    cloud.fail_migrations_of.clear()
    store.rows[result.failed_step].state = StepState.PENDING
    store.rows[result.failed_step].data.clear()
    cloud.calls.clear()
    assert machine(cloud, store).run().outcome is Outcome.DONE
    assert cloud.calls == EXPECTED[3:]


def test_a_host_that_does_not_come_back_stops_its_wave():
    cloud, store = make_cloud(), MemoryStore()

    result = machine(cloud, store, lost={"cmp2"}, host_return_timeout_s=0).run()

    assert result.outcome is Outcome.BLOCKED
    assert result.cause == ("cmp2: cmp2 did not come back at the target versions within 0 s "
                            "(the host did not come back; its wave stops)")
    assert ("disable", "cmp3", REASON) not in cloud.calls
    assert cloud.compute_service("cmp2").status == "disabled"


def test_pause_takes_effect_after_the_step_in_flight_and_resume_continues():
    cloud, store = make_cloud(), MemoryStore()

    def pause_after_upgrade(call):
        if call == ("upgrade", "cmp1"):
            store.want = Wanted.PAUSE
    cloud.on_call = pause_after_upgrade

    assert machine(cloud, store).run().outcome is Outcome.PAUSED
    assert cloud.calls == EXPECTED[:5]
    store.want = Wanted.RUN
    cloud.on_call = None
    assert machine(cloud, store).run().outcome is Outcome.DONE
    assert cloud.calls == EXPECTED


def test_abort_puts_hosts_not_yet_upgraded_back_in_service():
    cloud, store = make_cloud(), MemoryStore()

    def abort_after_migration(call):
        if call[:2] == ("live_migrate", "lb-1"):
            store.want = Wanted.ABORT
    cloud.on_call = abort_after_migration

    result = machine(cloud, store).run()

    assert result.outcome is Outcome.ABORTED
    assert cloud.calls == EXPECTED[:4] + [("enable", "cmp1")]
    # Every host's state is said, in the log and in the cause.
    said = ["cmp1: back in service, not upgraded (aborted)", "cmp2: untouched (not started)",
            "cmp3: untouched (not started)"]
    assert [e[1] for e in store.events if e[0] == "host"] == said
    assert result.cause == "aborted by the operator; " + "; ".join(said)


def test_a_pre_condition_stops_a_step_before_it_acts():
    cloud, store = make_cloud(), MemoryStore()
    cloud.live_migrate = raise_permanent("No valid host was found")

    result = machine(cloud, store, migration_attempts=1).run()

    assert result.outcome is Outcome.BLOCKED
    assert "No valid host was found" in result.cause
    assert ("upgrade", "cmp1") not in cloud.calls


def test_hosts_of_a_wave_run_in_parallel_within_the_migration_limit():
    cloud = FakeCloud({f"cmp{i}": [(f"vm{i}{j}", "ACTIVE") for j in range(3)]
                       for i in range(1, 5)})
    cloud.services_["cmp4"] = cloud.services_["cmp4"]
    plan = Plan("parallel", "2026.2", (
        Wave(tuple(HostStep(f"cmp{i}", tuple(A(f"vm{i}{j}", ActionKind.LIVE_MIGRATE,
                                               f"cmp{i}", "cmp4") for j in range(3)))
                   for i in (1, 2, 3))),))
    store = MemoryStore()

    result = machine(cloud, store, plan=plan, concurrent_migrations=1).run()

    assert result.outcome is Outcome.DONE
    assert cloud.max_in_flight == 1
    assert sorted(s.name for s in cloud.servers(host="cmp4")) == sorted(
        f"vm{i}{j}" for i in range(1, 5) for j in range(3))
    for host in ("cmp1", "cmp2", "cmp3"):
        mine = [c for c in cloud.calls if host in c or any(
            c[1:2] == (f"vm{host[-1]}{j}",) for j in range(3))]
        assert mine[0] == ("disable", host, REASON)
        assert mine[-1] == ("enable", host)
