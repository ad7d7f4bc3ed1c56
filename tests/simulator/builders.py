"""Small clouds and plans for the simulator's tests, written by hand."""

from __future__ import annotations

from domain.plan import ActionKind, HostStep, Plan, ServerAction, Wave
from domain.snapshot import HaModel, Host, MemberRole, Server, Snapshot, Vnf, VnfMember
from simulator.distributions import Fixed
from simulator.params import SimParams


def host(name: str, az: str = "az1", nic: float = 1000.0, ram: int = 65536, vcpus: int = 32) -> Host:
    return Host(name=name, az=az, vcpus=vcpus, ram_mib=ram, disk_gib=1000, nic_bandwidth_mibps=nic)


def server(
    name: str, on: str, ram: int = 4096, dirty: float = 0.0, working_set: int = 0,
    status: str = "ACTIVE", disk: int = 20,
) -> Server:
    return Server(
        name=name, host=on, flavor=f"m{ram}", vcpus=2, ram_mib=ram, disk_gib=disk, status=status,
        memory_used_mib=ram, dirty_rate_mibps=dirty, working_set_mib=working_set,
    )


def vnf(name: str, model: HaModel, members: list[tuple[str, MemberRole]], **kwargs: object) -> Vnf:
    return Vnf(name=name, ha_model=model, members=tuple(VnfMember(s, r) for s, r in members), **kwargs)  # type: ignore[arg-type]


def cloud(hosts: list[Host], servers: list[Server], vnfs: list[Vnf] = ()) -> Snapshot:  # type: ignore[assignment]
    return Snapshot(cloud="test", hosts=tuple(hosts), servers=tuple(servers), vnfs=tuple(vnfs))


def step(name: str, *actions: tuple[str, ActionKind, str | None]) -> HostStep:
    return HostStep(
        host=name,
        actions=tuple(ServerAction(server=s, kind=k, source=name, target=t) for s, k, t in actions),
    )


def plan(*waves: list[HostStep]) -> Plan:
    return Plan(strategy="test", target_release="r2", waves=tuple(Wave(hosts=tuple(w)) for w in waves))


def fixed_params(**overrides: object) -> SimParams:
    """Every duration fixed and round, so event logs can be computed by hand."""
    base: dict[str, object] = dict(
        disable_s=Fixed(5.0), upgrade_s=Fixed(600.0), reboot_s=Fixed(300.0), verify_s=Fixed(60.0),
        enable_s=Fixed(5.0), switchover_s=Fixed(2.0), switchover_scale=Fixed(1.0),
        migration_overhead_s=Fixed(5.0), cold_migration_overhead_s=Fixed(60.0),
        resume_s=Fixed(0.1), stop_s=Fixed(10.0), start_s=Fixed(30.0), rollback_s=Fixed(500.0),
        # The textbook's pause at a round's end keeps these logs easy to compute by
        # hand; test_engine_downtime.py checks the default (QEMU's).
        migration_convergence="round-end",
    )
    base.update(overrides)
    return SimParams(**base)  # type: ignore[arg-type]
