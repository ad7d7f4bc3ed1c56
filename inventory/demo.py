"""A generator of realistic demo telco clouds, for the demo, benchmarks and tests.

``generate(hosts, seed)`` builds a whole :class:`Snapshot` from one
``random.Random(seed)``: the same arguments always give an equal snapshot.

What it builds, and the guarantees the rest of the project may rely on:

- up to three availability zones (``az1``...), each split into ``dpdk``,
  ``sriov`` and ``general`` host aggregates once it has twelve hosts or more;
  hosts named ``cmp-az1-001``, of three hardware generations, every
  nova-compute service enabled and up;
- every host one release behind the target (``2026.1`` -> ``2026.2``): each
  component one MINOR behind, nova-compute and the network agent one MAJOR;
  a few hosts carry a hotfix PATCH; the control plane is already at target;
- VNFs of the three HA models (active-standby pairs, n+m pools, singletons
  of model ``none``), each VNF inside one aggregate of one AZ (data-plane
  VNFs on dpdk or sriov hosts); every VNF of two members or more has an
  anti-affinity (sometimes soft-anti-affinity) server group, and its members
  always run on distinct hosts, leaving a host of the aggregate free of them;
- every host respects its capacity (vCPU, RAM and disk times their
  allocation ratios) and uses at most 90% of its RAM; in every AZ the free
  capacity is at least the capacity of its ``wave_hosts`` largest hosts
  (``ceil(5%)`` of the cloud's hosts, at most all but one host of the AZ),
  for vCPU, RAM and disk: so the rest of the AZ can take in the servers of
  any one host, or of any wave of that many hosts; the same holds inside
  each aggregate for a wave of 5% of its hosts;
- about 65-72% of the RAM in use from 36 hosts up (less in small AZs, where
  redundancy caps it), and the number of servers asked for unless it cannot
  fit within those limits.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass

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
    cloud = _Cloud(host_list, wave_hosts(hosts), ram_target=rng.uniform(0.66, 0.72))
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
    if size < 12:
        return ["general"] * size
    # Three hosts at least: an aggregate of two could only ever be half full.
    counts = {kind: max(3, round(share * size)) for kind, share in AGGREGATE_SHARES.items()}
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
    """Free capacity per host, per aggregate and per AZ while servers are being placed.

    A VNF runs in one *pool*: the hosts of one aggregate kind (dpdk, sriov,
    general) in one AZ; where an AZ has no such aggregate, its general hosts.
    Both the pool and its AZ have a budget that placements stay within: for
    every resource the reserve that must stay free (the capacity of the
    largest hosts, at most all hosts but one) so that any wave of that many
    hosts can be drained into the rest: a wave of the cloud (``wave`` hosts)
    into the rest of the AZ, and a wave of the pool (5% of its hosts) into the
    rest of the pool. RAM also has a softer limit, the target share in use,
    which placements may pass once ``overflow`` is set (so that the last
    servers asked for still find room).
    """

    def __init__(self, hosts: list[Host], wave: int, ram_target: float):
        self.hosts = hosts
        self.capacity = [(h.vcpu_capacity, h.ram_capacity_mib, h.disk_capacity_gib) for h in hosts]
        self.free = [list(c) for c in self.capacity]
        self.overflow = False
        # Keys: an AZ name, or (AZ, aggregate kind) for a pool.
        self.members: dict[str | tuple[str, str], list[int]] = {}
        for index, host in enumerate(hosts):
            kind = host.aggregates[0].rsplit("-", 1)[1]
            self.members.setdefault(host.az, []).append(index)
            self.members.setdefault((host.az, kind), []).append(index)
        # An AZ keeps room for a wave of the cloud, a pool for a wave of its own size.
        self.budget = {
            key: self._budget(
                members, wave if isinstance(key, str) else wave_hosts(len(members)), ram_target
            )
            for key, members in self.members.items()
        }

    def _budget(self, members: list[int], wave: int, ram_target: float) -> list[float]:
        """What may still be allocated: [vCPUs, RAM up to the target, disk, RAM]."""
        reserve_hosts = min(wave, len(members) - 1)
        left = []
        for r in range(3):
            caps = sorted((self.capacity[i][r] for i in members), reverse=True)
            left.append(sum(caps) - sum(caps[:reserve_hosts]))
        ram_total = sum(self.capacity[i][1] for i in members)
        return [left[0], min(left[1], ram_target * ram_total), left[2], left[1]]

    def ram_left(self) -> float:
        """RAM that placements may still take: an AZ's pools may have less than the AZ."""
        pools: dict[str, float] = {}
        for key, left in self.budget.items():
            if not isinstance(key, str):
                pools[key[0]] = pools.get(key[0], 0.0) + left[1]
        return sum(min(left[1], pools[az]) for az, left in self.budget.items() if isinstance(az, str))

    def pick_pool(
        self, rng: random.Random, aggregate: str, flavor: Flavor, count: int
    ) -> tuple[str, str] | None:
        """A pool of the aggregate kind whose budgets take ``count`` servers of ``flavor``.

        Pools are weighted by the RAM they have left. A VNF of two members or
        more needs a pool of two hosts (a bigger pool is cut down to fit, see
        _Workload._add).
        """
        ram = 3 if self.overflow else 1
        need = {0: flavor.vcpus * count, ram: flavor.ram_mib * count, 2: flavor.disk_gib * count}
        pools = []
        for az in (key for key in self.members if isinstance(key, str)):
            pool = (az, aggregate) if (az, aggregate) in self.members else (az, "general")
            if len(self.members[pool]) >= min(count, 2) and all(
                amount <= min(self.budget[pool][r], self.budget[az][r])
                for r, amount in need.items()
            ):
                pools.append(pool)
        if not pools:
            return None
        return rng.choices(pools, weights=[self.budget[pool][ram] + 1 for pool in pools])[0]

    def place(
        self, rng: random.Random, pool: tuple[str, str], flavor: Flavor, count: int
    ) -> list[int] | None:
        """``count`` distinct hosts of the pool for one server each, or None.

        Among a few random candidates (the "power of d choices") takes the
        emptiest, so that hosts fill evenly but not identically.
        """
        need = (flavor.vcpus, flavor.ram_mib, flavor.disk_gib)
        hosts = self.members[pool]
        sample = rng.sample(hosts, min(len(hosts), count + 3))
        fitting = [i for i in sample if self._fits(i, need)]
        if len(fitting) < count:
            fitting = [i for i in hosts if self._fits(i, need)]
            if len(fitting) < count:
                return None
        fitting.sort(key=lambda i: self.free[i][1] / self.capacity[i][1], reverse=True)
        chosen = fitting[:count]
        for i in chosen:
            for r in range(3):
                self.free[i][r] -= need[r]
        for key in (pool, pool[0]):
            for r, amount in enumerate((*need, need[1])):
                self.budget[key][r] -= amount * count
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
        # The first VNFs cover every HA model, so that even a tiny cloud has them
        # all; the singleton first, and the pool last, as it can shrink to fit.
        order = (HaModel.NONE, HaModel.ACTIVE_STANDBY, HaModel.N_PLUS_M)
        forced = [self.rng.choice(by_model[m]) for m in order]
        weights = [t.weight for t in VNF_TYPES]
        misses = 0
        while len(self.servers) < wanted and misses < _MAX_MISSES:
            left = wanted - len(self.servers)
            vnf_type = forced.pop(0) if forced else self.rng.choices(VNF_TYPES, weights)[0]
            size = self._size(vnf_type)
            if size > left and vnf_type.ha_model is HaModel.N_PLUS_M and left >= 2:
                size = left
            elif size > left:
                vnf_type, size = self.rng.choice(by_model[HaModel.NONE]), 1
            # Aim a little short of the budget so that the last servers still fit.
            flavor = chooser.choose(self.rng, vnf_type, 0.96 * self.cloud.ram_left() / left)
            if not self._add(vnf_type, flavor, size):
                smallest = min((FLAVORS[n] for n, _ in vnf_type.flavors), key=lambda f: f.ram_mib)
                if flavor is smallest or not self._add(vnf_type, smallest, size):
                    misses += 1
                    # The RAM target is full before the count: pass it, within the reserve.
                    if misses >= _MAX_MISSES // 2:
                        self.cloud.overflow = True
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
        pool = cloud.pick_pool(rng, vnf_type.aggregate, flavor, size)
        if pool is None:
            return False
        pool_hosts = len(cloud.members[pool])
        # A member must be able to move away from a host without meeting a
        # sibling: a VNF leaves at least one host of its pool free of members.
        if size > 2 and size > pool_hosts - 1:
            size = max(2, pool_hosts - 1)
        placed = cloud.place(rng, pool, flavor, size)
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
            soft = pool_hosts <= size or rng.random() < 0.2
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
