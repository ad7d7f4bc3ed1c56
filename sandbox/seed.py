"""A small built-in inventory: the sandbox's default seed and the tests' cloud.

Four hosts in two availability zones, one extra aggregate, two flavors, an
active-standby VNF kept apart by anti-affinity, an n+m pool, and a server
that is shut off. Versions are one release behind ``target``. Pure.
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

CURRENT = (
    Component("os", "22.4.0"),
    Component("libvirt", "8.0.0"),
    Component("nova-compute", "29.0.0"),
)
TARGET = (
    Component("os", "22.4.1"),
    Component("libvirt", "8.1.0"),
    Component("nova-compute", "29.1.0"),
)


def small_cloud(hosts: int = 4) -> Snapshot:
    """``hosts`` compute nodes (cmp1..cmpN) alternating between az1 and az2."""
    host_rows = tuple(
        Host(
            name=f"cmp{i}",
            az="az1" if i % 2 else "az2",
            vcpus=16,
            ram_mib=32768,
            disk_gib=400,
            nic_bandwidth_mibps=1200.0,
            aggregates=("fast-nic",) if i <= 2 else (),
            cpu_allocation_ratio=4.0,
            ram_allocation_ratio=1.0,
            disk_allocation_ratio=1.0,
            components=CURRENT,
        )
        for i in range(1, hosts + 1)
    )
    small = {"flavor": "m1.small", "vcpus": 2, "ram_mib": 2048, "disk_gib": 20}
    medium = {"flavor": "m1.medium", "vcpus": 4, "ram_mib": 4096, "disk_gib": 40}
    servers = (
        Server(name="fw-a", host="cmp1", memory_used_mib=1500, dirty_rate_mibps=40.0,
               working_set_mib=200, **medium),
        Server(name="fw-b", host="cmp2", memory_used_mib=1500, dirty_rate_mibps=40.0,
               working_set_mib=200, **medium),
        Server(name="lb-1", host="cmp1", memory_used_mib=900, dirty_rate_mibps=10.0, **small),
        Server(name="lb-2", host="cmp3", memory_used_mib=900, dirty_rate_mibps=10.0, **small),
        Server(name="lb-3", host=f"cmp{min(4, hosts)}", memory_used_mib=900,
               dirty_rate_mibps=10.0, **small),
        Server(name="batch-1", host="cmp2", status="SHUTOFF", **small),
    )
    return Snapshot(
        cloud="sandbox",
        hosts=host_rows,
        servers=servers,
        server_groups=(
            ServerGroup("fw", GroupPolicy.ANTI_AFFINITY, ("fw-a", "fw-b")),
            ServerGroup("lb", GroupPolicy.SOFT_ANTI_AFFINITY, ("lb-1", "lb-2", "lb-3")),
        ),
        vnfs=(
            Vnf("firewall", HaModel.ACTIVE_STANDBY,
                (VnfMember("fw-a", MemberRole.ACTIVE), VnfMember("fw-b", MemberRole.STANDBY)),
                max_impacted=1, required_members=1, switchover_s=2.0, outage_budget_s=5.0),
            Vnf("loadbalancer", HaModel.N_PLUS_M,
                tuple(VnfMember(f"lb-{i}", MemberRole.MEMBER) for i in (1, 2, 3)),
                max_impacted=1, required_members=2, outage_budget_s=15.0),
        ),
        target=Release("2026.2", TARGET),
    )

