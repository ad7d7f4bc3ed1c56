"""Small hand-made inventories for the planner's tests.

Defaults: every host at the old release (1.0.0 / 33.0.0), target 1.1.0 /
34.0.0, 16 vCPU, 64 GiB RAM, 1000 GiB disk, ratio 1, 1000 MiB/s NIC;
servers of 2 vCPU, 8 GiB, 20 GiB, running and live-migratable.
"""

from __future__ import annotations

from domain.snapshot import (
    Component,
    GroupPolicy,
    HaModel,
    Host,
    MemberRole,
    Release,
    Server,
    ServerGroup,
    Snapshot,
    Vnf,
    VnfMember,
)

OLD = (Component("os", "1.0.0"), Component("nova-compute", "33.0.0"))
NEW = (Component("os", "1.1.0"), Component("nova-compute", "34.0.0"))
TARGET = Release(name="R2", components=NEW)
CONTROL = (Component("nova-api", "34.0.0"),)


def host(name: str, az: str = "az1", ram_gib: int = 64, **kw) -> Host:
    kw.setdefault("vcpus", 16)
    kw.setdefault("disk_gib", 1000)
    kw.setdefault("nic_bandwidth_mibps", 1000.0)
    kw.setdefault("components", OLD)
    return Host(name=name, az=az, ram_mib=ram_gib * 1024, **kw)


def server(name: str, on: str, ram_gib: int = 8, **kw) -> Server:
    kw.setdefault("vcpus", 2)
    kw.setdefault("disk_gib", 20)
    kw.setdefault("flavor", f"f{ram_gib}")
    kw.setdefault("memory_used_mib", ram_gib * 512)
    kw.setdefault("dirty_rate_mibps", 10.0)
    return Server(name=name, host=on, ram_mib=ram_gib * 1024, **kw)


def active_standby(name: str, active: str, standby: str, switchover_s: float = 5.0, **kw) -> Vnf:
    return Vnf(
        name=name,
        ha_model=HaModel.ACTIVE_STANDBY,
        members=(VnfMember(active, MemberRole.ACTIVE), VnfMember(standby, MemberRole.STANDBY)),
        switchover_s=switchover_s,
        outage_budget_s=kw.pop("outage_budget_s", 15.0),
        **kw,
    )


def pool(name: str, *members: str, max_impacted: int = 1, required: int = 1) -> Vnf:
    return Vnf(
        name=name,
        ha_model=HaModel.N_PLUS_M,
        members=tuple(VnfMember(m, MemberRole.MEMBER) for m in members),
        max_impacted=max_impacted,
        required_members=required,
        outage_budget_s=15.0,
    )


def single(name: str, member: str, budget: float = 25.0) -> Vnf:
    return Vnf(
        name=name,
        ha_model=HaModel.NONE,
        members=(VnfMember(member, MemberRole.ACTIVE),),
        outage_budget_s=budget,
    )


def anti(name: str, *members: str, soft: bool = False) -> ServerGroup:
    policy = GroupPolicy.SOFT_ANTI_AFFINITY if soft else GroupPolicy.ANTI_AFFINITY
    return ServerGroup(name=name, policy=policy, members=members)


def cloud(hosts, servers=(), groups=(), vnfs=(), **kw) -> Snapshot:
    kw.setdefault("target", TARGET)
    kw.setdefault("control_plane", CONTROL)
    return Snapshot(
        cloud="test",
        hosts=tuple(hosts),
        servers=tuple(servers),
        server_groups=tuple(groups),
        vnfs=tuple(vnfs),
        **kw,
    )


def three_hosts() -> Snapshot:
    """h1 runs an active and a lone server, h2 the standby, h3 is empty."""
    return cloud(
        [host("h1"), host("h2"), host("h3")],
        [server("fw-a", "h1"), server("fw-b", "h2"), server("lone", "h1")],
        [anti("fw", "fw-a", "fw-b")],
        [active_standby("fw", "fw-a", "fw-b"), single("lone", "lone")],
    )
