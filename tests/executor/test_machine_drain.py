"""The machine follows the cloud as it is now: drains, destinations, abort, attempts (pure)."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest

from domain.plan import ActionKind, HostStep, Plan, ServerAction, Wave
from executor.actions import Policy
from executor.destinations import Need, candidates, choose, rank_of
from executor.machine import Machine, Outcome, StepState, Wanted
from executor.port import HostCapacity, ServerGroupInfo, ServerInfo, ServiceInfo
from executor.steps import build_steps
from tests.executor.fakes import NEW, FakeCloud, FakeUpgrade, MemoryStore, RecordingVnfm

A = ServerAction


def serial(*hosts: tuple[str, tuple[str, ...]]) -> Plan:
    """One host a wave, every server live-migrated with no destination named (Watcher's way)."""
    return Plan("serial", "2026.2", tuple(
        Wave((HostStep(h, tuple(A(s, ActionKind.LIVE_MIGRATE, h) for s in servers)),))
        for h, servers in hosts))


def four_by_two() -> FakeCloud:
    cloud = FakeCloud({f"cmp{i}": [(f"vm{i}{j}", "ACTIVE") for j in (1, 2)]
                       for i in range(1, 5)})
    for sid, server in cloud.servers_.items():
        cloud.servers_[sid] = replace(server, vcpus=2, ram_mib=2048, disk_gib=20)
    return cloud


def run(cloud, plan, store=None, **policy):
    store = store or MemoryStore()
    machine = Machine(build_steps(plan), cloud, store, vnf_manager=RecordingVnfm(cloud),
                      upgrade_driver=FakeUpgrade(cloud), policy=Policy(**policy),
                      plan_label="p", target_versions=NEW, now=time.monotonic,
                      sleep=lambda s: None)
    return machine.run(), store


def migrations(cloud):
    return [c[1:] for c in cloud.calls if c[0] == "live_migrate"]


def test_a_serial_plan_names_every_destination_and_moves_no_server_more_than_needed():
    cloud = four_by_two()
    plan = serial(*((f"cmp{i}", (f"vm{i}1", f"vm{i}2")) for i in range(1, 5)))

    result, store = run(cloud, plan)

    assert result.outcome is Outcome.DONE
    # Wave 1 has nothing upgraded: the latest wave's host takes its servers;
    # from then on upgraded hosts do (the emptiest first), and cmp4 gives
    # back what it was lent: 10 moves, two servers moved twice (Watcher's 10).
    assert migrations(cloud) == [
        ("vm11", "cmp4"), ("vm12", "cmp4"),
        ("vm21", "cmp1"), ("vm22", "cmp1"),
        ("vm31", "cmp2"), ("vm32", "cmp2"),
        ("vm41", "cmp3"), ("vm42", "cmp3"), ("vm11", "cmp1"), ("vm12", "cmp2")]
    assert not any(h is None for _, h in migrations(cloud))
    unplanned = [m for k, m, _ in store.events if k == "log" and m.startswith("unplanned move:")]
    assert unplanned == [
        "unplanned move: vm11 is on cmp4 now (placed there since planning)",
        "unplanned move: vm11 cmp4 -> cmp1 done",
        "unplanned move: vm12 is on cmp4 now (placed there since planning)",
        "unplanned move: vm12 cmp4 -> cmp2 done"]


def test_a_server_nova_placed_on_a_later_host_after_planning_is_drained_too():
    cloud = four_by_two()
    plan = serial(("cmp1", ("vm11", "vm12")), ("cmp2", ("vm21", "vm22")))
    # After planning, Nova boots a server onto cmp2.
    cloud.servers_["id-new"] = replace(cloud.servers_["id-vm21"], id="id-new", name="new-1")

    result, store = run(cloud, plan)

    assert result.outcome is Outcome.DONE
    assert cloud.servers(host="cmp2") == []
    assert cloud.server("id-new").host == "cmp1"  # upgraded by then, with room
    drain = store.rows[next(k for k in store.rows if k.startswith("w2.cmp2.") and "drain" in k)]
    assert drain.observed["moves"] == [
        {"server": "new-1", "source": "cmp2", "dest": "cmp1", "requests": 1}]


def test_destinations_respect_anti_affinity_room_zones_and_never_a_host_going_down():
    def service(host, zone="az1", status="enabled", state="up"):
        return ServiceInfo(host, host, "nova-compute", status, state, zone)

    def server(name, host, ram=4096):
        return ServerInfo("id-" + name, name, "ACTIVE", host, vcpus=2, ram_mib=ram,
                          disk_gib=20, az="az1")

    hosts = ["cmp1", "cmp2", "cmp3", "cmp4", "cmp5", "cmp6"]
    services = [service(h) for h in hosts[:5]] + [service("cmp6", zone="az2")]
    caps = [HostCapacity(h, 16, 8192, 400) for h in hosts]
    servers = [server("fw-a", "cmp1"), server("fw-b", "cmp3"), server("big", "cmp4", 8192)]
    groups = [ServerGroupInfo("g", "fw", "anti-affinity", ("id-fw-a", "id-fw-b"))]
    # cmp1 and cmp2 are in the wave running now; cmp3 (wave 3), cmp4 (wave 5),
    # cmp5 (wave 4) come later; cmp6 is not in the plan, in another zone.
    status = {"cmp1": "now", "cmp2": "now", "cmp3": 2, "cmp4": 4, "cmp5": 3}

    def pick(**kw):
        found = candidates(services, caps, servers, status, kw.pop("reserved", {}))
        return choose(servers[0], "cmp1", found, groups=groups,
                      host_of={s.id: s.host for s in servers}, **kw)

    # cmp4 (the latest wave) is full; cmp3 holds fw-b: cmp5 is next best.
    assert pick() == "cmp5"
    # ... unless a move in flight already fills it.
    assert pick(reserved={"cmp5": Need(2, 8192, 20)}) is None
    # Outside the zone rule, the host that never goes down wins.
    assert pick(keep_az=False) == "cmp6"
    assert rank_of("cmp1", status) is None and rank_of("cmp6", status) == (0, 0)


class SlowCloud(FakeCloud):
    """Live migrations run until the test lets them end, or until aborted in Nova."""

    def __init__(self, hosts):
        super().__init__(hosts)
        self.started = threading.Event()

    def live_migrate(self, server_id, host=None):
        server = self.servers_[server_id]
        self._log("live_migrate", server.name, host)
        self._record(server, "live-migration", host, "running")
        self.servers_[server_id] = replace(server, status="MIGRATING", task_state="migrating")
        self.started.set()

    def abort_migration(self, server_id, migration_id):
        super().abort_migration(server_id, migration_id)
        self.migrations_ = [replace(m, status="cancelled") if m.id == migration_id else m
                            for m in self.migrations_]
        self.servers_[server_id] = replace(self.servers_[server_id], status="ACTIVE",
                                           task_state="")


def test_abort_cancels_the_running_migration_in_nova_and_retries_nothing():
    cloud = SlowCloud({"cmp1": [("vm11", "ACTIVE")], "cmp2": []})
    store = MemoryStore()
    plan = serial(("cmp1", ("vm11",)), ("cmp2", ()))
    outcome: list = []
    machine = Machine(build_steps(plan), cloud, store, vnf_manager=RecordingVnfm(cloud),
                      upgrade_driver=FakeUpgrade(cloud), plan_label="p", target_versions=NEW,
                      policy=Policy(poll_s=0.05, control_poll_s=0.02))
    worker = threading.Thread(target=lambda: outcome.append(machine.run()))
    worker.start()
    assert cloud.started.wait(5)
    t0 = time.monotonic()
    store.want = Wanted.ABORT
    worker.join(10)

    assert time.monotonic() - t0 < 1.0  # the wait ended at once
    result = outcome[0]
    assert result.outcome is Outcome.ABORTED
    assert [c[0] for c in cloud.calls] == ["disable", "live_migrate", "abort_migration",
                                           "enable"]
    assert cloud.server("id-vm11").host == "cmp1"
    assert cloud.migrations_[0].status == "cancelled"
    move = next(k for k in store.rows if k.endswith("move.vm11"))
    assert store.rows[move].state is StepState.PENDING
    assert result.cause == ("aborted by the operator; cmp1: back in service, not upgraded "
                            "(aborted); cmp2: untouched (not started)")
    assert not [e for e in store.events if e[0] == "retry"]


def test_a_worker_killed_before_its_request_reaches_nova_spends_no_attempt():
    cloud = FakeCloud({"cmp1": [("vm11", "ACTIVE")], "cmp2": []})
    store = MemoryStore()
    plan = serial(("cmp1", ("vm11",)))

    class Killed(BaseException):
        pass

    real = cloud.live_migrate
    cloud.live_migrate = lambda *a: (_ for _ in ()).throw(Killed())
    with pytest.raises(Killed):
        run(cloud, plan, store, migration_attempts=2)
    # Restarted: the first real request fails; the policy's second attempt remains.
    cloud.live_migrate = real
    cloud.fail_migrations_of["vm11"] = 1

    result, _ = run(cloud, plan, store, migration_attempts=2)

    assert result.outcome is Outcome.DONE
    assert [m.status for m in cloud.migrations_] == ["failed", "completed"]


@pytest.mark.parametrize("pause", [False, True])
def test_a_step_running_past_its_simulated_p95_is_flagged_and_pauses_if_the_policy_says(pause):
    cloud = SlowCloud({"cmp1": [("vm11", "ACTIVE")], "cmp2": []})
    store = MemoryStore()
    specs = build_steps(serial(("cmp1", ("vm11",))))
    move = next(s.key for s in specs if s.key.endswith("move.vm11"))
    machine = Machine(specs, cloud, store, vnf_manager=RecordingVnfm(cloud),
                      upgrade_driver=FakeUpgrade(cloud), plan_label="p", target_versions=NEW,
                      policy=Policy(poll_s=0.02, control_poll_s=0.02, watchdog_factor=2.0,
                                    watchdog_pause=pause),
                      expected_s={move: 0.1})
    outcome: list = []
    worker = threading.Thread(target=lambda: outcome.append(machine.run()))
    worker.start()
    deadline = time.monotonic() + 5
    while not [e for e in store.events if e[0] == "watchdog"] and time.monotonic() < deadline:
        time.sleep(0.02)
    # Nova's migration ends at last.
    cloud.servers_["id-vm11"] = replace(cloud.servers_["id-vm11"], status="ACTIVE",
                                        task_state="", host="cmp2")
    worker.join(5)

    flagged = [(m, step) for kind, m, step in store.events if kind == "watchdog"]
    assert len(flagged) == 1 and flagged[0][1] == move
    assert flagged[0][0].startswith("watchdog: live-migrate vm11 cmp1 -> a host the rule "
                                    "picks running 0 s, p95 was 0.1 s")
    result = outcome[0]
    if pause:
        assert result.outcome is Outcome.PAUSED
        assert result.cause.startswith("paused by the watchdog: watchdog: live-migrate vm11")
        assert store.rows[move].state is StepState.DONE  # the step in flight finished
    else:
        assert result.outcome is Outcome.DONE


def test_abort_ends_a_long_upgrade_wait_at_once_and_says_the_host_is_left_disabled():
    cloud = FakeCloud({"cmp1": [], "cmp2": []})
    store = MemoryStore()
    plan = serial(("cmp1", ()), ("cmp2", ()))
    machine = Machine(build_steps(plan), cloud, store, vnf_manager=RecordingVnfm(cloud),
                      upgrade_driver=FakeUpgrade(cloud, lost={"cmp1"}), plan_label="p",
                      target_versions=NEW,
                      policy=Policy(poll_s=0.05, control_poll_s=0.02,
                                    host_return_timeout_s=1800))
    outcome: list = []
    worker = threading.Thread(target=lambda: outcome.append(machine.run()))
    worker.start()
    deadline = time.monotonic() + 5
    while ("upgrade", "cmp1") not in cloud.calls and time.monotonic() < deadline:
        time.sleep(0.01)
    t0 = time.monotonic()
    store.want = Wanted.ABORT
    worker.join(5)

    assert time.monotonic() - t0 < 1.0
    assert outcome[0].outcome is Outcome.ABORTED
    assert outcome[0].cause == ("aborted by the operator; cmp1: LEFT DISABLED: its upgrade was "
                                "requested when the execution was aborted; cmp2: untouched "
                                "(not started)")
    assert cloud.compute_service("cmp1").status == "disabled"


def test_a_planned_target_nova_refuses_gives_way_to_the_rules_destination():
    # The make run demo's case: the plan sends vm11 to cmp2, which Nova refuses at once
    # ("No valid host": just upgraded, not serving yet); the upgrade must go on.
    from executor.port import Permanent

    cloud = four_by_two()
    plan = Plan("custom", "2026.2", (
        Wave((HostStep("cmp1", tuple(A(s, ActionKind.LIVE_MIGRATE, "cmp1", "cmp2")
                                     for s in ("vm11", "vm12"))),)),))
    moved, asked = cloud.live_migrate, []

    def refuse_cmp2(server_id, host=None):
        asked.append((cloud.servers_[server_id].name, host))
        if host == "cmp2":
            raise Permanent("No valid host was found. There are not enough hosts available.",
                            status=400)
        return moved(server_id, host)

    cloud.live_migrate = refuse_cmp2
    result, _ = run(cloud, plan)

    assert result.outcome is Outcome.DONE, result.cause
    homes = {s.name: s.host for s in cloud.servers() if s.name in ("vm11", "vm12")}
    assert "cmp1" not in homes.values() and "cmp2" not in homes.values()
    assert [host for name, host in asked if name == "vm11"][0] == "cmp2"  # the plan's first
