"""A live migration's downtime in a whole simulation: as QEMU decides it, or by the textbook.

Durations as in tests/simulator/builders.fixed_params: disable 5 s, migration
overhead 5 s, resume (the fixed part of the downtime) 0.1 s.
"""

from __future__ import annotations

import pytest

from domain.plan import ActionKind as K
from domain.snapshot import HaModel, MemberRole
from simulator.engine import simulate
from simulator.params import SimParams
from tests.simulator.builders import cloud, fixed_params, host, plan, server, step, vnf


def solo_migration(**params: object) -> tuple[float, float, str, float]:
    """A lone VNF member, 2048 MiB, 256 MiB/s dirtied over 256 MiB, on 1024 MiB/s NICs."""
    snap = cloud(
        [host("h1", nic=1024.0), host("h2", nic=1024.0)],
        [server("s", "h1", ram=2048, dirty=256.0, working_set=256)],
        [vnf("solo", HaModel.NONE, [("s", MemberRole.MEMBER)], outage_budget_s=1.0)],
    )
    result = simulate(snap, plan([step("h1", ("s", K.LIVE_MIGRATE, "h2"))]), fixed_params(**params), seed=1)
    [migration] = [e for e in result.events if e.kind == "live-migrate"]
    return migration.downtime_s, migration.end, migration.detail, result.vnf_outage_s["solo"]


def test_by_default_the_pause_is_decided_as_qemu_does() -> None:
    assert SimParams().migration_convergence == "continuous"
    # Round 0 (2 s) leaves 256 MiB; what is left then falls at 1024 - 256 MiB/s.
    # QEMU looks every 0.1 s (76.8 MiB of that fall) against 51.2 MiB allowed:
    # on average it pauses with 25.6 MiB left, 0.3 s into the dirty rounds.
    downtime, end, detail, outage = solo_migration(migration_convergence="continuous")
    assert detail == "to h2, 3 rounds"
    assert downtime == pytest.approx(25.6 / 1024 + 0.1)
    assert end == pytest.approx(10 + 2.3 + 25.6 / 1024 + 0.1)
    assert outage == pytest.approx(downtime)


def test_the_textbook_pauses_at_a_rounds_end() -> None:
    # Rounds of 2048, 256 and 64 MiB; 16 MiB dirtied meanwhile fit in 51.2: paused.
    downtime, end, detail, _ = solo_migration(migration_convergence="round-end")
    assert detail == "to h2, 3 rounds"
    assert downtime == pytest.approx(16 / 1024 + 0.1)
    assert end == pytest.approx(10 + 2.3125 + 16 / 1024 + 0.1)


def test_looking_at_every_instant_pauses_as_soon_as_the_rest_fits() -> None:
    # 256 - 768 t falls to 51.2 MiB after 0.2667 s of dirty rounds.
    downtime, end, _, _ = solo_migration(migration_convergence="continuous", migration_check_interval_s=0.0)
    assert downtime == pytest.approx(51.2 / 1024 + 0.1)
    assert end == pytest.approx(10 + 2 + 204.8 / 768 + 51.2 / 1024 + 0.1)


def test_an_unknown_convergence_check_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="migration_convergence: one of"):
        fixed_params(migration_convergence="sometimes")


def test_a_guest_that_outruns_its_link_goes_post_copy_where_permitted() -> None:
    # 2048 MiB dirtied at 2048 MiB/s on 1024 MiB/s NICs: never converges. With post-copy
    # permitted Nova switches after round 0 (2 s): the VNF is out for the resume only.
    snap = cloud(
        [host("h1", nic=1024.0), host("h2", nic=1024.0)],
        [server("s", "h1", ram=2048, dirty=2048.0)],
        [vnf("solo", HaModel.NONE, [("s", MemberRole.MEMBER)], outage_budget_s=1.0)],
    )
    result = simulate(snap, plan([step("h1", ("s", K.LIVE_MIGRATE, "h2"))]),
                      fixed_params(permit_post_copy=True), seed=1)
    [migration] = [e for e in result.events if e.kind == "live-migrate"]
    assert migration.detail.endswith("post-copy")
    assert migration.downtime_s == pytest.approx(0.1)
    assert result.vnf_outage_s["solo"] == pytest.approx(0.1)
    # From the disable's end (5 s): overhead 5 s, round 0 in 2 s, the 2048 MiB pulled in 2 s
    # while the guest runs on the destination.
    assert (migration.time, migration.end, migration.detail) == (5.0, 14.0, "to h2, 2 rounds, post-copy")
