"""A generator of realistic demo telco clouds, for the demo, benchmarks and tests.

``generate(hosts, seed)`` builds a whole :class:`Snapshot` from one
``random.Random(seed)``: the same arguments always give an equal snapshot.

What it builds, and the guarantees the rest of the project may rely on:

- up to three availability zones (``az1``...), each split into ``dpdk``,
  ``sriov`` and ``general`` host aggregates once it has six hosts or more;
  hosts named ``cmp-az1-001``, of three hardware generations, every
  nova-compute service enabled and up;
- every host one release behind the target (``2026.1`` -> ``2026.2``): each
  component one MINOR behind, nova-compute and the network agent one MAJOR;
  a few hosts carry a hotfix PATCH; the control plane is already at target;
- VNFs of the three HA models (active-standby pairs, n+m pools, singletons
  of model ``none``), each VNF inside one AZ; every VNF of two members or
  more has an anti-affinity (sometimes soft-anti-affinity) server group, and
  its members always run on distinct hosts;
- every host respects its capacity (vCPU, RAM and disk times their
  allocation ratios), and in every AZ the free capacity is at least the
  capacity of its ``wave_hosts`` largest hosts (``ceil(5%)`` of the cloud's
  hosts, at most all but one host of the AZ), for vCPU, RAM and disk: so the
  rest of the AZ can take in the servers of any one host, or of any wave of
  that many hosts;
- about 64-70 % of the RAM in use (less in tiny AZs, where redundancy caps it).
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass

from inventory.demo_catalog import (
    AGGREGATE_SHARES,
    COMPONENT_VERSIONS,
    CONTROL_PLANE,
    FLAVORS,
    HOST_MODELS,
    TARGET_RELEASE,
    VNF_TYPES,
    Flavor,
    VnfType,
)
from inventory.snapshot import (
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

# No host is filled beyond this share of its RAM: hosts stay "partly full".
HOST_RAM_CEILING = 0.9
# Share of hosts that runs a hotfix PATCH of one component.
HOTFIX_SHARE = 0.05
# The flavor choice is tilted towards small or large flavors so that the
# servers asked for fill the RAM budget; tilts tried, from "favour large" to
# "favour small" (see _FlavorChooser).
_TILTS = tuple(-4.0 + 0.25 * i for i in range(41))
# Consecutive VNFs that found no room before the generator gives up.
_MAX_MISSES = 40
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def wave_hosts(hosts: int) -> int:
    """How many hosts one wave of a rolling upgrade takes: about 5% of the cloud."""
    return max(1, math.ceil(0.05 * hosts))


def zone_count(hosts: int) -> int:
    """Three AZs for clouds of 12 hosts or more, fewer for small ones (3 hosts per AZ at least)."""
    if hosts >= 12:
        return 3
    return 2 if hosts >= 6 else 1


def generate(hosts: int, seed: int, servers_per_host: float = 20.0) -> Snapshot:
    """A realistic telco cloud of ``hosts`` compute nodes and about ``servers_per_host`` VMs each.

    Fewer servers than asked are generated when they would not fit in the RAM
    budget even with the smallest flavors (e.g. ``servers_per_host=80``).
    """
    if hosts < 2:
        raise ValueError("a rolling upgrade needs at least 2 hosts")
    if servers_per_host < 0:
        raise ValueError("servers_per_host must not be negative")
    rng = random.Random(seed)
    host_list = _hosts(rng, hosts)
    cloud = _Cloud(host_list, wave_hosts(hosts), ram_target=rng.uniform(0.64, 0.70))
    servers, groups, vnfs = _Workload(rng, cloud).fill(round(hosts * servers_per_host))
    return Snapshot(
        cloud="demo",
        hosts=tuple(host_list),
        servers=tuple(servers),
        server_groups=tuple(groups),
        vnfs=tuple(vnfs),
        target=Release(
            name=TARGET_RELEASE,
            components=tuple(Component(name, target) for name, _, target in COMPONENT_VERSIONS),
        ),
        control_plane=tuple(Component(name, version) for name, version in CONTROL_PLANE),
    )


def _hosts(rng: random.Random, count: int) -> list[Host]:
    zones = zone_count(count)
    hosts: list[Host] = []
    for z in range(zones):
        size = count // zones + (1 if z < count % zones else 0)
        az = f"az{z + 1}"
        kinds = _aggregate_kinds(size)
        width = max(3, len(str(size)))
        for i, kind in enumerate(kinds):
            model = rng.choices(HOST_MODELS, weights=[m.weights[kind] for m in HOST_MODELS])[0]
            nic = rng.choice(model.nics_mibps)
            hosts.append(
                Host(
                    name=f"cmp-{az}-{i + 1:0{width}d}",
                    az=az,
                    aggregates=(f"{az}-{kind}",),
                    # OVS-DPDK keeps cores for its poll-mode threads: fewer for guests.
                    vcpus=model.vcpus - (4 if kind == "dpdk" else 0),
                    ram_mib=model.ram_gib * 1024,
                    disk_gib=model.disk_gib,
                    nic_bandwidth_mibps=nic,
                    cpu_allocation_ratio=4.0 if kind == "general" else 2.0,
                    ram_allocation_ratio=1.0,
                    disk_allocation_ratio=1.0,
                    components=_components(rng),
                )
            )
    return hosts


def _aggregate_kinds(size: int) -> list[str]:
    """Kinds of host of one AZ, in rack order: dpdk, then sriov, then general."""
    if size < 6:
        return ["general"] * size
    counts = {kind: max(1, round(share * size)) for kind, share in AGGREGATE_SHARES.items()}
    return ["dpdk"] * counts["dpdk"] + ["sriov"] * counts["sriov"] + ["general"] * (
        size - counts["dpdk"] - counts["sriov"]
    )


def _components(rng: random.Random) -> tuple[Component, ...]:
    hotfix = rng.randrange(len(COMPONENT_VERSIONS)) if rng.random() < HOTFIX_SHARE else -1
    components = []
    for index, (name, current, _) in enumerate(COMPONENT_VERSIONS):
        if index == hotfix:
            major, minor, patch = current.split(".")
            current = f"{major}.{minor}.{int(patch) + 1}"
        components.append(Component(name, current))
    return tuple(components)


class _Cloud:
    """Free capacity per host and per AZ while servers are being placed.

    Per AZ, placements stop short of a budget: the RAM target, and for every
    resource the reserve that must stay free (the capacity of the AZ's
    ``wave`` largest hosts) so that any wave of that many hosts can be drained.
    """

    def __init__(self, hosts: list[Host], wave: int, ram_target: float):
        self.hosts = hosts
        self.capacity = [(h.vcpu_capacity, h.ram_capacity_mib, h.disk_capacity_gib) for h in hosts]
        self.free = [list(c) for c in self.capacity]
        self.zones: dict[str, list[int]] = {}
        self.by_aggregate: dict[tuple[str, str], list[int]] = {}
        for index, host in enumerate(hosts):
            self.zones.setdefault(host.az, []).append(index)
            kind = host.aggregates[0].rsplit("-", 1)[1]
            self.by_aggregate.setdefault((host.az, kind), []).append(index)
        # budget[az][r]: how much of resource r may still be allocated in the AZ.
        self.budget: dict[str, list[float]] = {}
        for az, members in self.zones.items():
            reserve_hosts = min(wave, len(members) - 1)
            left = []
            for r in range(3):
                caps = sorted((self.capacity[i][r] for i in members), reverse=True)
                total = sum(caps)
                allowed = total - sum(caps[:reserve_hosts])
                if r == 1:
                    allowed = min(allowed, ram_target * total)
                left.append(allowed)
            self.budget[az] = left

    def ram_left(self) -> float:
        return sum(b[1] for b in self.budget.values())

    def pick_zone(self, rng: random.Random, flavor: Flavor, count: int) -> str | None:
        """An AZ whose budget takes ``count`` servers of ``flavor``, weighted by RAM left.

        The AZ needs two hosts for a VNF of two members or more (a bigger pool
        is then cut down to fit the AZ, see _Workload._add).
        """
        need = (flavor.vcpus * count, flavor.ram_mib * count, flavor.disk_gib * count)
        zones = [
            az
            for az, left in self.budget.items()
            if len(self.zones[az]) >= min(count, 2) and all(need[r] <= left[r] for r in range(3))
        ]
        if not zones:
            return None
        return rng.choices(zones, weights=[self.budget[az][1] for az in zones])[0]

    def place(
        self, rng: random.Random, az: str, aggregate: str, flavor: Flavor, count: int
    ) -> list[int] | None:
        """``count`` distinct hosts of the AZ for one server each, or None.

        Prefers the VNF's aggregate; among a few random candidates (the
        "power of d choices"), takes the emptiest, so that hosts fill evenly
        but not identically.
        """
        need = (flavor.vcpus, flavor.ram_mib, flavor.disk_gib)
        pool = self.by_aggregate.get((az, aggregate), [])
        if len(pool) < count:
            pool = self.zones[az]
        sample = rng.sample(pool, min(len(pool), count + 3))
        fitting = [i for i in sample if self._fits(i, need)]
        if len(fitting) < count:
            fitting = [i for i in self.zones[az] if self._fits(i, need)]
            if len(fitting) < count:
                return None
        fitting.sort(key=lambda i: self.free[i][1] / self.capacity[i][1], reverse=True)
        chosen = fitting[:count]
        for i in chosen:
            for r in range(3):
                self.free[i][r] -= need[r]
        for r in range(3):
            self.budget[az][r] -= need[r] * count
        return chosen

    def _fits(self, index: int, need: tuple[int, int, int]) -> bool:
        free, capacity = self.free[index], self.capacity[index]
        return (
            need[0] <= free[0]
            and need[2] <= free[2]
            and capacity[1] - free[1] + need[1] <= HOST_RAM_CEILING * capacity[1]
        )


class _FlavorChooser:
    """Chooses flavors so that the remaining servers fill the remaining RAM budget.

    Each VNF type has base flavor weights; tilt ``t`` multiplies them by
    ``exp(-t * ram / 32 GiB)``. For each tilt the mean RAM of a server over the
    whole VNF mix is precomputed; a draw takes the tilt whose mean is closest
    to (RAM budget left / servers left).
    """

    def __init__(self) -> None:
        self.cum_weights: list[dict[str, list[float]]] = []
        means = []
        type_weight = {t.kind: t.weight * t.mean_members for t in VNF_TYPES}
        for tilt in _TILTS:
            per_type: dict[str, list[float]] = {}
            total_ram = total_servers = 0.0
            for vnf_type in VNF_TYPES:
                weights = [
                    w * math.exp(-tilt * FLAVORS[name].ram_mib / (32 * 1024))
                    for name, w in vnf_type.flavors
                ]
                norm = sum(weights)
                mean = sum(w * FLAVORS[n].ram_mib for w, (n, _) in zip(weights, vnf_type.flavors, strict=True)) / norm
                total_ram += type_weight[vnf_type.kind] * mean
                total_servers += type_weight[vnf_type.kind]
                cumulative, running = [], 0.0
                for w in weights:
                    running += w / norm
                    cumulative.append(running)
                per_type[vnf_type.kind] = cumulative
            self.cum_weights.append(per_type)
            means.append(total_ram / total_servers)
        self.means = means

    def choose(self, rng: random.Random, vnf_type: VnfType, mean_wanted: float) -> Flavor:
        tilt = min(range(len(_TILTS)), key=lambda i: abs(self.means[i] - mean_wanted))
        names = [name for name, _ in vnf_type.flavors]
        return FLAVORS[rng.choices(names, cum_weights=self.cum_weights[tilt][vnf_type.kind])[0]]


@dataclass
class _Workload:
    """Draws VNFs one by one and places their servers until the cloud is full enough."""

    rng: random.Random
    cloud: _Cloud

    def fill(self, wanted: int) -> tuple[list[Server], list[ServerGroup], list[Vnf]]:
        self.servers: list[Server] = []
        self.groups: list[ServerGroup] = []
        self.vnfs: list[Vnf] = []
        self.numbers: dict[str, int] = {}
        chooser = _FlavorChooser()
        by_model = {m: [t for t in VNF_TYPES if t.ha_model is m] for m in HaModel}
        # The first VNFs cover every HA model, so that even a tiny cloud has them all.
        forced = [self.rng.choice(by_model[m]) for m in HaModel]
        weights = [t.weight for t in VNF_TYPES]
        misses = 0
        while len(self.servers) < wanted and misses < _MAX_MISSES:
            left = wanted - len(self.servers)
            vnf_type = forced.pop(0) if forced else self.rng.choices(VNF_TYPES, weights)[0]
            size = self._size(vnf_type)
            if size > left:
                vnf_type, size = self.rng.choice(by_model[HaModel.NONE]), 1
            flavor = chooser.choose(self.rng, vnf_type, self.cloud.ram_left() / left)
            if not self._add(vnf_type, flavor, size):
                smallest = min((FLAVORS[n] for n, _ in vnf_type.flavors), key=lambda f: f.ram_mib)
                if flavor is smallest or not self._add(vnf_type, smallest, size):
                    misses += 1
                    continue
            misses = 0
        return self.servers, self.groups, self.vnfs

    def _size(self, vnf_type: VnfType) -> int:
        if vnf_type.ha_model is HaModel.N_PLUS_M:
            n_lo, n_hi, m_lo, m_hi = vnf_type.pool
            return self.rng.randint(n_lo, n_hi) + self.rng.randint(m_lo, m_hi)
        return 2 if vnf_type.ha_model is HaModel.ACTIVE_STANDBY else 1

    def _add(self, vnf_type: VnfType, flavor: Flavor, size: int) -> bool:
        rng, cloud = self.rng, self.cloud
        az = cloud.pick_zone(rng, flavor, size)
        if az is None:
            return False
        zone_hosts = len(cloud.zones[az])
        # A member must be able to move away from a host without meeting a
        # sibling: a pool keeps at least one host of its AZ free of members.
        if size > 2 and size > zone_hosts - 1:
            size = max(2, zone_hosts - 1)
        placed = cloud.place(rng, az, vnf_type.aggregate, flavor, size)
        if placed is None:
            return False
        number = self.numbers[vnf_type.kind] = self.numbers.get(vnf_type.kind, 0) + 1
        vnf_name = f"{vnf_type.kind}-{number:02d}"
        names = [f"vnf-{vnf_name}-{_LETTERS[i]}" for i in range(size)]
        unmigratable = rng.random() < vnf_type.unmigratable_share
        for name, host in zip(names, placed, strict=True):
            self.servers.append(self._server(name, cloud.hosts[host].name, flavor, vnf_type, unmigratable))
        self.vnfs.append(self._vnf(vnf_name, vnf_type, names))
        if size > 1:
            # Pairs on a two-host AZ could not move anywhere under a hard policy.
            soft = zone_hosts <= size or rng.random() < 0.2
            policy = GroupPolicy.SOFT_ANTI_AFFINITY if soft else GroupPolicy.ANTI_AFFINITY
            self.groups.append(ServerGroup(f"sg-{vnf_name}", policy, tuple(names)))
        return True

    def _vnf(self, name: str, vnf_type: VnfType, servers: list[str]) -> Vnf:
        rng = self.rng
        budget = float(rng.choice(vnf_type.budgets_s))
        if vnf_type.ha_model is HaModel.ACTIVE_STANDBY:
            roles = [MemberRole.ACTIVE] + [MemberRole.STANDBY] * (len(servers) - 1)
            required, impacted = 1, 1
        elif vnf_type.ha_model is HaModel.N_PLUS_M:
            roles = [MemberRole.MEMBER] * len(servers)
            # m spares: at most 2, and at least one member must stay required.
            impacted = min(rng.randint(vnf_type.pool[2], vnf_type.pool[3]), len(servers) - 1)
            required = len(servers) - impacted
        else:
            roles = [MemberRole.MEMBER] * len(servers)
            required, impacted = len(servers), 1
        # A switchover (or a pool's rebalance) must fit in the outage budget.
        switchover = (
            0.0
            if vnf_type.ha_model is HaModel.NONE
            else round(rng.uniform(1.0, min(5.0, budget - 0.5)), 1)
        )
        return Vnf(
            name=name,
            ha_model=vnf_type.ha_model,
            members=tuple(VnfMember(s, r) for s, r in zip(servers, roles, strict=True)),
            max_impacted=impacted,
            required_members=required,
            switchover_s=switchover,
            outage_budget_s=budget,
        )

    def _server(
        self, name: str, host: str, flavor: Flavor, vnf_type: VnfType, unmigratable: bool
    ) -> Server:
        rng = self.rng
        profile = vnf_type.profile
        used = int(flavor.ram_mib * rng.uniform(*profile.used_share))
        dirty = profile.dirty_rate(rng)
        working_set = int(used * rng.uniform(*profile.working_set_share))
        return Server(
            name=name,
            host=host,
            flavor=flavor.name,
            vcpus=flavor.vcpus,
            ram_mib=flavor.ram_mib,
            disk_gib=flavor.disk_gib,
            memory_used_mib=used,
            dirty_rate_mibps=dirty,
            working_set_mib=working_set,
            live_migratable=not unmigratable,
            not_migratable_reason=vnf_type.unmigratable_reason if unmigratable else "",
            uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        )
