"""Invariants of the simulator over random small clouds and plans (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.plan import ActionKind as K
from domain.plan import Plan
from domain.snapshot import HaModel, MemberRole, Snapshot
from simulator.engine import simulate
from simulator.params import SimParams
from tests.simulator.builders import cloud, fixed_params, host, plan, server, step, vnf


@st.composite
def clouds(draw: st.DrawFn, max_dirty_share: float = 0.9, to_spare: bool = False) -> tuple[Snapshot, Plan]:
    """A few hosts with servers, VNFs of every HA model, and a plan moving everything.

    With ``to_spare`` every server goes to a spare host outside the plan (so
    none lands on a host upgraded later); else the scheduler chooses.
    """
    n_hosts = draw(st.integers(3, 6))
    nics = [draw(st.sampled_from([500.0, 1000.0, 2500.0])) for _ in range(n_hosts)]
    hosts = [host(f"h{i}", nic=nics[i], ram=262144) for i in range(n_hosts)]
    servers = []
    for i in range(n_hosts):
        for j in range(draw(st.integers(0, 3))):
            ram = draw(st.sampled_from([1024, 2048, 4096, 8192]))
            dirty = draw(st.floats(0, max_dirty_share * 500.0))
            servers.append(server(f"s{i}-{j}", f"h{i}", ram=ram, dirty=dirty, working_set=draw(st.integers(0, 1024))))
    # VNFs over servers of distinct hosts.
    vnfs = []
    by_host: dict[str, list[str]] = {}
    for s in servers:
        by_host.setdefault(s.host, []).append(s.name)
    k = 0
    while True:
        members = [names.pop() for names in by_host.values() if names][: draw(st.integers(1, 3))]
        if not members:
            break
        model = draw(st.sampled_from([HaModel.ACTIVE_STANDBY, HaModel.N_PLUS_M, HaModel.NONE]))
        if model == HaModel.NONE:
            members = members[:1]
        roles = [MemberRole.ACTIVE] + [MemberRole.STANDBY] * (len(members) - 1)
        if model != HaModel.ACTIVE_STANDBY:
            roles = [MemberRole.MEMBER] * len(members)
        vnfs.append(vnf(f"v{k}", model, list(zip(members, roles, strict=True)), switchover_s=3.0, outage_budget_s=5.0))
        k += 1
    order = draw(st.permutations([h.name for h in hosts]))
    if to_spare:
        hosts.append(host("spare", nic=1000.0, ram=262144))
    snap = cloud(hosts, servers, vnfs)
    target = "spare" if to_spare else None
    waves = [
        [step(name, *[(s.name, K.LIVE_MIGRATE, target) for s in snap.servers_by_host.get(name, ())])]
        for name in order
    ]
    return snap, plan(*waves)


@settings(max_examples=60, deadline=None)
@given(case=clouds(), seed=st.integers(0, 2**32), failure_p=st.sampled_from([0.0, 0.3]))
def test_outage_and_downtime_are_never_negative(case: tuple[Snapshot, Plan], seed: int, failure_p: float) -> None:
    snap, p = case
    result = simulate(snap, p, SimParams(live_migration_failure_p=failure_p, upgrade_failure_p=failure_p), seed)
    assert all(v >= 0 for v in result.vnf_outage_s.values())
    assert all(v >= 0 for v in result.server_downtime_s.values())
    for name, outage in result.vnf_outage_s.items():
        # An outage is degraded time too; no single event exceeds the total.
        assert result.vnf_degraded_s[name] >= outage - 1e-9
        assert result.vnf_worst_event_outage_s[name] <= outage + 1e-9
    assert all(e.end >= e.time for e in result.events)
    assert all(e.end <= result.duration_s + 1e-9 for e in result.events)
    assert all(0.0 <= h.ram_free_share <= 1.0 for h in result.capacity_headroom)


@settings(max_examples=60, deadline=None)
@given(case=clouds(max_dirty_share=0.4, to_spare=True), seed=st.integers(0, 2**32))
def test_a_vnf_with_a_healthy_spare_sees_no_outage_from_live_migrations(
    case: tuple[Snapshot, Plan], seed: int
) -> None:
    """One host at a time, every member live-migrated away for good: only lone members are out."""
    snap, p = case
    result = simulate(snap, p, SimParams(), seed)
    downtime = {e.server: e.downtime_s for e in result.events if e.kind == "live-migrate"}
    for v in snap.vnfs:
        spares = len(v.members) > 1
        under_budget = all(downtime.get(m.server, 0.0) <= v.outage_budget_s for m in v.members)
        if spares and under_budget:
            assert result.vnf_outage_s[v.name] == 0.0, v
        if not spares:
            # A lone member is out exactly during its own migration downtime.
            assert abs(result.vnf_outage_s[v.name] - downtime.get(v.members[0].server, 0.0)) < 1e-6


@settings(max_examples=60, deadline=None)
@given(case=clouds(), factor=st.floats(1.0, 4.0), fabric=st.sampled_from([None, 1500.0]))
def test_more_bandwidth_never_makes_a_plan_slower(
    case: tuple[Snapshot, Plan], factor: float, fabric: float | None
) -> None:
    snap, p = case
    base = simulate(snap, p, fixed_params(fabric_bandwidth_mibps=fabric), seed=1)
    wider = simulate(snap, p, fixed_params(fabric_bandwidth_mibps=fabric, bandwidth_factor=factor), seed=1)
    more_fabric = simulate(snap, p, fixed_params(fabric_bandwidth_mibps=(fabric or 1e9) * factor), seed=1)
    assert wider.duration_s <= base.duration_s + 1e-6
    assert more_fabric.duration_s <= base.duration_s + 1e-6


@settings(max_examples=30, deadline=None)
@given(case=clouds(), seed=st.integers(0, 2**32))
def test_the_same_seed_reproduces_a_run(case: tuple[Snapshot, Plan], seed: int) -> None:
    snap, p = case
    params = SimParams(live_migration_failure_p=0.2, upgrade_failure_p=0.2, upgrade_retries=1)
    assert simulate(snap, p, params, seed).to_dict() == simulate(snap, p, params, seed).to_dict()
