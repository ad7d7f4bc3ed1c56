"""The `make run` demo's block in its smallest form, on a real Nova sandbox of its own.

Nova's scheduler keeps a live-migrated server counted on the host it left
until that host's nova-compute next sends its instance list (a periodic task,
``scheduler_instance_sync_interval``): meanwhile a peer of its hard
anti-affinity group is refused that host with "No valid host", although the
host is empty. Here three servers of one anti-affinity group sit on three of
four hosts of one zone, so each move's only possible destination is the host
another member has just left, as vnf-hss-01-b's and vnf-ims-02-c's were in
the demo. Every strategy's plan ends `done`, with nothing left running on a
host when it went down. (The whole demo: bench/executor_rolling.py --cloud
demo, docs/performance.md.)
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.snapshot import GroupPolicy, Server, ServerGroup
from executor import services
from planner.strategies import make_plan
from sandbox.process import start_sandbox, stop_sandbox
from sandbox.seed import small_cloud
from tests.executor.helpers import newest_migration_id, run_to_end, sandbox_config, wait_settled

pytestmark = [pytest.mark.sandbox]

SMALL = {"flavor": "m1.small", "vcpus": 2, "ram_mib": 2048, "disk_gib": 20}


def group_cloud():
    """Four hosts in one zone; a-1, a-2, a-3 of one anti-affinity group on cmp1..cmp3."""
    base = small_cloud()
    return replace(
        base, hosts=tuple(replace(h, az="az1") for h in base.hosts),
        servers=tuple(Server(name=f"a-{i}", host=f"cmp{i}", memory_used_mib=900,
                             dirty_rate_mibps=10.0, **SMALL) for i in (1, 2, 3)),
        server_groups=(ServerGroup("aa", GroupPolicy.ANTI_AFFINITY, ("a-1", "a-2", "a-3")),),
        vnfs=())


@pytest.fixture(scope="module")
def group_sandbox(tmp_path_factory):
    proc, handle = start_sandbox(tmp_path_factory.mktemp("group-sandbox"), group_cloud())
    try:
        yield handle
    finally:
        stop_sandbox(proc)


@pytest.mark.parametrize("strategy", ["serial", "az-by-az", "parallel", "optimized"])
def test_every_strategy_ends_done_where_each_move_has_only_the_host_a_peer_just_left(
        group_sandbox, kit, monkeypatch, strategy):
    from inventory.services import replace_inventory

    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(group_sandbox.clouds_yaml))
    group_sandbox.reset()
    wait_settled(group_sandbox)
    seed = group_cloud()
    replace_inventory(seed)
    pure = make_plan(strategy, seed, {"hosts_per_wave": 2, "time_budget_s": 1.0})
    # The plan itself asks for the host a peer has just left, as the demo's did.
    moves = [(h.host, a.server, a.target) for w in pure.waves for h in w.hosts
             for a in h.actions]
    assert any(later[2] == earlier[0] and later[1] != earlier[1]
               for i, earlier in enumerate(moves) for later in moves[i + 1:i + 2]), moves
    cloud = group_sandbox.cloud()
    baseline = newest_migration_id(cloud)

    execution = services.start_execution(kit.approved(pure, snapshot=seed), kit.admin,
                                         sandbox_config(verify_settle_s=0))
    assert run_to_end(execution) == "done"

    # Each host went down empty (the upgrade step refuses a host that holds a
    # running server), and the group was never broken.
    upgrades = execution.steps.filter(kind="upgrade")
    assert sorted(upgrades.values_list("state", flat=True)) == ["done"] * 4
    hosts = {s.name: s.host for s in cloud.servers()}
    assert len(set(hosts.values())) == 3, hosts
    completed = [m for m in cloud.migrations() if int(m.id) > baseline
                 and m.kind == "live-migration" and m.status == "completed"]
    # Exactly the plan's moves: a refusal is asked again, never moved elsewhere
    # and back.
    assert len(completed) == len(moves), (completed, moves)
    # The execution's report says the same as Nova's records.
    from executor.reports import report

    per_server: dict[str, int] = {}
    for m in completed:
        per_server[m.server_id] = per_server.get(m.server_id, 0) + 1
    said = report(execution)["moves"]
    assert (said["live_migrations"], said["servers_moved_twice"]) == (
        len(completed), sum(1 for n in per_server.values() if n >= 2))
    computes = {s.host: s.status for s in cloud.services() if s.binary == "nova-compute"}
    assert set(computes.values()) == {"enabled"}
