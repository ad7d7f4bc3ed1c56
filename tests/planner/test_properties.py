"""Every plan a strategy returns passes the independent validator, over generated clouds.

When a strategy finds no plan it must say why (NoPlanError with reasons).
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.plan import ActionKind
from domain.snapshot import (
    GroupPolicy,
    HaModel,
    MemberRole,
    ServerGroup,
    ServiceStatus,
    Snapshot,
    Vnf,
    VnfMember,
)
from domain.versions import needs_upgrade
from planner.errors import NoPlanError
from planner.options import PlanOptions
from planner.strategies import STRATEGIES, make_plan
from planner.validator import validate
from tests.planner.builder import NEW, OLD, cloud, host, server


@st.composite
def inventories(draw) -> Snapshot:
    zones = draw(st.integers(1, 2))
    count = draw(st.integers(2, 7))
    hosts = []
    for i in range(count):
        disabled = draw(st.integers(0, 9)) == 0
        hosts.append(
            host(
                f"h{i}",
                az=f"az{i % zones + 1}",
                ram_gib=draw(st.sampled_from([32, 64])),
                aggregates=(draw(st.sampled_from(["gen", "dpdk"])),),
                components=NEW if draw(st.integers(0, 7)) == 0 else OLD,
                service_status=ServiceStatus.DISABLED if disabled else ServiceStatus.ENABLED,
                disabled_reason="kept out" if disabled else "",
            )
        )
    servers = []
    for h in hosts:
        room = h.ram_mib // 1024
        for j in range(draw(st.integers(0, 4))):
            ram = draw(st.sampled_from([2, 4, 8, 16]))
            if ram > room:
                break
            room -= ram
            servers.append(
                server(
                    f"{h.name}-s{j}",
                    h.name,
                    ram_gib=ram,
                    vcpus=draw(st.integers(1, 4)),
                    status="SHUTOFF" if draw(st.integers(0, 9)) == 0 else "ACTIVE",
                    live_migratable=draw(st.integers(0, 4)) > 0,
                )
            )
    # VNFs over servers of distinct hosts, each with an anti-affinity group.
    free = list(servers)
    vnfs, groups = [], []
    for v in range(draw(st.integers(0, 4))):
        by_host: dict[str, str] = {}
        for s in free:
            by_host.setdefault(s.host, s.name)
        if not by_host:
            break
        model = draw(st.sampled_from(list(HaModel)))
        size = 1 if model == HaModel.NONE else 2 if model == HaModel.ACTIVE_STANDBY else draw(st.integers(2, 4))
        members = list(by_host.values())[:size]
        if len(members) < size:
            continue
        free = [s for s in free if s.name not in members]
        if model == HaModel.ACTIVE_STANDBY:
            roles = [MemberRole.ACTIVE, MemberRole.STANDBY]
        elif model == HaModel.NONE:
            roles = [MemberRole.ACTIVE]
        else:
            roles = [MemberRole.MEMBER] * size
        vnfs.append(
            Vnf(
                name=f"v{v}",
                ha_model=model,
                members=tuple(VnfMember(m, r) for m, r in zip(members, roles, strict=True)),
                max_impacted=draw(st.integers(1, 2)) if model == HaModel.N_PLUS_M else 1,
                switchover_s=draw(st.sampled_from([0.0, 2.0, 10.0])),
            )
        )
        if size > 1:
            soft = draw(st.booleans())
            groups.append(
                ServerGroup(
                    f"g{v}",
                    GroupPolicy.SOFT_ANTI_AFFINITY if soft else GroupPolicy.ANTI_AFFINITY,
                    tuple(members),
                )
            )
    return cloud(hosts, servers, groups, vnfs)


options = st.builds(
    PlanOptions,
    hosts_per_wave=st.integers(1, 4),
    aggregate_share=st.sampled_from([0.5, 1.0]),
    az_share=st.sampled_from([0.5, 1.0]),
    keep_az=st.booleans(),
    time_budget_s=st.just(0.02),
    allowed_actions=st.sampled_from(
        [
            frozenset(ActionKind) - {ActionKind.STOP_START},
            frozenset(ActionKind),
            frozenset({ActionKind.LIVE_MIGRATE, ActionKind.COLD_MIGRATE, ActionKind.STAY}),
        ]
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshot=inventories(), opts=options)
def test_every_plan_a_strategy_returns_passes_the_validator(snapshot, opts):
    to_upgrade = {h.name for h in snapshot.hosts if needs_upgrade(h, snapshot.target)}
    for name in STRATEGIES:
        try:
            plan = make_plan(name, snapshot, opts)
        except NoPlanError as exc:
            assert exc.reasons, name
            assert all(isinstance(r, str) and r for r in exc.reasons)
            continue
        report = validate(snapshot, plan)
        assert report.violations == (), (name, [v.message for v in report.violations])
        assert [h for w in plan.waves for h in w.host_names].__len__() == len(to_upgrade)
        assert {h for w in plan.waves for h in w.host_names} == to_upgrade


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshot=inventories(), opts=options)
def test_optimized_plans_every_cloud_that_any_strategy_can(snapshot, opts):
    planned_by = []
    for name in ("serial", "az-by-az", "parallel"):
        try:
            make_plan(name, snapshot, opts)
            planned_by.append(name)
        except NoPlanError:
            pass
    if not planned_by:
        return
    plan = make_plan("optimized", snapshot, opts)
    assert validate(snapshot, plan).violations == ()
