"""The cloud-wide limit of migrations in flight: the simulator holds it as the executor does."""

from __future__ import annotations

import dataclasses
import time

import pytest

from domain.plan import ActionKind
from executor.actions import Policy
from executor.machine import Machine, Outcome
from executor.steps import build_steps
from simulator.engine import simulate
from tests.executor.fakes import NEW, FakeCloud, FakeUpgrade, MemoryStore, RecordingVnfm
from tests.simulator.builders import cloud, fixed_params, host, plan, server, step

HOSTS = ("cmp1", "cmp2", "cmp3")


def _one_wave(limit: int):
    """Three hosts out at once, three servers each, all to cmp4."""
    wave = [step(h, *((f"vm{h[-1]}{j}", ActionKind.LIVE_MIGRATE, "cmp4") for j in range(3))) for h in HOSTS]
    the_plan = plan(wave)
    return dataclasses.replace(the_plan, options={"concurrent_migrations": limit})


class _SlowCloud(FakeCloud):
    """Each migration stays in flight a moment, so hosts of a wave overlap."""

    def live_migrate(self, server_id, host=None):
        result = super().live_migrate(server_id, host)
        time.sleep(0.05)
        return result


def _executor_most_in_flight(limit: int) -> int:
    fake = _SlowCloud({**{h: [(f"vm{h[-1]}{j}", "ACTIVE") for j in range(3)] for h in HOSTS}, "cmp4": []})
    machine = Machine(build_steps(_one_wave(limit)), fake, MemoryStore(), vnf_manager=RecordingVnfm(fake),
                      upgrade_driver=FakeUpgrade(fake, None), policy=Policy(concurrent_migrations=limit),
                      plan_label="limit", target_versions=NEW, now=time.monotonic, sleep=lambda s: None)
    assert machine.run().outcome is Outcome.DONE
    return fake.max_in_flight


def _simulated_most_in_flight(limit: int) -> int:
    snapshot = cloud([host(h) for h in (*HOSTS, "cmp4")],
                     [server(f"vm{h[-1]}{j}", h) for h in HOSTS for j in range(3)])
    result = simulate(snapshot, _one_wave(limit), fixed_params(), seed=1)
    assert result.live_migrations == 9
    return result.most_moves_in_flight


@pytest.mark.parametrize("limit", [1, 2])
def test_simulator_and_executor_agree_on_migrations_in_flight(limit):
    assert _simulated_most_in_flight(limit) == limit
    assert _executor_most_in_flight(limit) == limit


def test_without_a_cloud_wide_limit_each_host_sends_one_at_a_time():
    # Nova's max_concurrent_live_migrations (1): one per source host of the wave.
    assert _simulated_most_in_flight(0) == len(HOSTS)


def test_the_limit_makes_the_wave_longer_in_simulation():
    snapshot = cloud([host(h) for h in (*HOSTS, "cmp4")],
                     [server(f"vm{h[-1]}{j}", h) for h in HOSTS for j in range(3)])
    free, one = (simulate(snapshot, _one_wave(n), fixed_params(), seed=1).duration_s for n in (0, 1))
    assert one > free
