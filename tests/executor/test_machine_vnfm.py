"""The pure machine with the VNF managers' exchange and recovery_time, on a simulated clock.

The channel here keeps sessions in memory (the Django one is tested against
the real site and the reference VNFM: test_vnfm_reply.py, test_sandbox_vnfm.py);
these tests pin the exact requests and waits.
"""

from __future__ import annotations

from dataclasses import replace

from executor.machine import Machine, Outcome
from executor.steps import build_steps
from executor.vnfm import EXPIRED, REPLIED, WAITING, Exchange, Session, VnfRules
from tests.executor.fakes import NEW, FakeUpgrade, MemoryStore, RecordingVnfm
from tests.executor.test_machine import EXPECTED, make_cloud, serial_plan

VNF_OF = {"fw-a": "firewall", "fw-b": "firewall", "lb-1": "lb", "lb-2": "lb"}


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0
        self.slept: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


class Channel:
    """Sessions in memory; ``answers``: host -> instance id -> action (absent: silence)."""

    def __init__(self, clock: Clock, answers: dict[str, dict[str, str]],
                 reply_after_s: float = 1.0) -> None:
        self.clock = clock
        self.answers = answers
        self.reply_after_s = reply_after_s
        self.sessions: dict[int, dict] = {}
        self.told: list[tuple[str, str]] = []

    def open(self, host, project_id, instances, reply_s):
        sid = len(self.sessions) + 1
        self.sessions[sid] = {"host": host, "sent": self.clock.now(),
                              "deadline": self.clock.now() + reply_s, "state": WAITING,
                              "instances": [i.name for i in instances]}
        return self.look(sid, sent_now=True)

    def look(self, session_id, sent_now=False):
        row = self.sessions[session_id]
        answer = self.answers.get(row["host"])
        if (row["state"] == WAITING and answer is not None
                and self.clock.now() >= row["sent"] + self.reply_after_s):
            row["state"], row["actions"] = REPLIED, answer
        return Session(session_id, "p1", row["state"], row["deadline"],
                       actions=row.get("actions", {}), sent_now=sent_now)

    def expire(self, session_id):
        row = self.sessions[session_id]
        if row["state"] == WAITING:
            row["state"] = EXPIRED
        return self.look(session_id)

    def host_state(self, host, state):
        self.told.append((host, state))
        return ["p1"]


def cloud_of_p1():
    """The fake cloud with every server in project p1."""
    cloud = make_cloud()
    cloud.servers_ = {k: replace(v, project_id="p1") for k, v in cloud.servers_.items()}
    return cloud


def machine(cloud, store, clock, exchange=None, vnfs=None) -> Machine:
    return Machine(build_steps(serial_plan(), VNF_OF), cloud, store,
                   vnf_manager=RecordingVnfm(cloud), upgrade_driver=FakeUpgrade(cloud),
                   plan_label="plan 'rolling' (execution 1) to 2026.2", target_versions=NEW,
                   now=clock.now, sleep=clock.sleep, vnfm=exchange, vnfs=vnfs)


def exchange(channel, clock, timeout="proceed", vnfs=None) -> Exchange:
    return Exchange(channel, say=lambda *a, **k: None, reply_s=10.0, timeout_policy=timeout,
                    vnfs=vnfs, now=clock.now, poll_s=0.5)


def test_the_vnfms_choice_replaces_the_plans_action_and_the_host_states_are_told():
    cloud, store, clock = cloud_of_p1(), MemoryStore(), Clock()
    # cmp1: lb-1 is live-migrated by the plan; its VNFM wants a cold migration.
    channel = Channel(clock, {"cmp1": {"id-lb-1": "MIGRATE"}, "cmp2": {}, "cmp3": {}})
    run = machine(cloud, store, clock, exchange(channel, clock)).run()
    assert run.outcome is Outcome.DONE
    live = EXPECTED.index(("live_migrate", "lb-1", "cmp3"))
    assert cloud.calls == (EXPECTED[:live] + [("cold_migrate", "lb-1", "cmp3"),
                                               ("confirm_resize", "lb-1")]
                           + EXPECTED[live + 1:])
    assert [s["instances"] for s in channel.sessions.values()] == [
        ["fw-a", "lb-1"], ["fw-b"], ["lb-1", "lb-2"]]
    assert channel.told == [(h, s) for h in ("cmp1", "cmp2", "cmp3")
                            for s in ("IN_MAINTENANCE", "MAINTENANCE_COMPLETE")]
    # Each host waited for its reply (1 s after the notification), not for the deadline.
    assert sum(clock.slept) < 3 * 2.0 + 1


def test_silence_pauses_the_execution_by_the_plans_policy_and_moves_nothing():
    cloud, store, clock = cloud_of_p1(), MemoryStore(), Clock()
    channel = Channel(clock, {})
    run = machine(cloud, store, clock, exchange(channel, clock, timeout="pause")).run()
    assert run.outcome is Outcome.PAUSED
    assert run.cause == ("paused: vnfm: no reply from project p1 for cmp1 by 00:16:50; "
                         "the plan's policy pauses the execution")
    assert [c[0] for c in cloud.calls] == ["disable"]
    assert 10.0 <= sum(clock.slept) < 11.0  # the deadline, not more


def test_recovery_time_holds_the_next_member_after_one_came_back():
    cloud, store, clock = make_cloud(), MemoryStore(), Clock()
    run = machine(cloud, store, clock, vnfs={"lb": VnfRules(recovery_time_s=30.0)}).run()
    assert run.outcome is Outcome.DONE
    waits = [m for kind, m, _ in store.events if kind == "recovery"]
    # cmp3: lb-1 cold-migrated (back), then lb-2 is stopped only 30 s later.
    assert waits == ["recovery_time: lb-2 waits 30.0 s: lb-1 of lb came back 0.0 s ago "
                     "(recovery_time 30 s)"]
    lb1 = next(r for k, r in store.rows.items() if k.endswith("move.lb-1")
               and k.startswith("w3"))
    lb2 = next(r for k, r in store.rows.items() if k.endswith("move.lb-2"))
    assert lb2.finished - lb1.finished >= 30.0
