"""The catalogue the demo generator draws from: hardware, software, flavors, VNF types.

Plain data, tuned so that ~20 servers per host fill ~2/3 of the RAM of a
typical host, and so that the mix looks like a telco cloud: signalling and
databases on general hosts, data plane on DPDK and SR-IOV hosts. Data-plane
flavors carry 4 GiB per vCPU (hugepages) so that their hosts, at a CPU
allocation ratio of 2, fill up by RAM like the others rather than by vCPU.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from domain.snapshot import HaModel

# Line rate of a migration NIC in MiB/s: 10 and 25 Gbit/s.
NIC_10GBE_MIBPS = 1192.1
NIC_25GBE_MIBPS = 2980.2

TARGET_RELEASE = "2026.2"
# The hosts run the previous release, "2026.1".
# (component, version on the hosts, version of the target release): one MINOR
# behind, except nova-compute and the network agent, one MAJOR behind.
COMPONENT_VERSIONS: tuple[tuple[str, str, str], ...] = (
    ("os", "9.4.0", "9.5.0"),
    ("kernel", "6.8.12", "6.9.3"),
    ("libvirt", "10.0.0", "10.1.0"),
    ("qemu", "8.2.2", "8.3.0"),
    ("nova-compute", "33.1.0", "34.0.0"),
    ("openvswitch", "3.3.1", "3.4.0"),
    ("neutron-ovs-agent", "28.1.0", "29.0.0"),
)
# The VIM's control plane is upgraded first: it is already at the target.
CONTROL_PLANE: tuple[tuple[str, str], ...] = (
    ("nova-api", "34.0.0"),
    ("nova-conductor", "34.0.0"),
    ("nova-scheduler", "34.0.0"),
    ("placement-api", "16.0.0"),
    ("neutron-server", "29.0.0"),
)

# Share of an AZ's hosts in the dpdk and sriov aggregates; the rest is general.
AGGREGATE_SHARES = {"dpdk": 0.2, "sriov": 0.15}


@dataclass(frozen=True)
class HostModel:
    """A hardware generation; ``weights`` per aggregate kind say how common it is there."""

    name: str
    vcpus: int
    ram_gib: int
    disk_gib: int
    nics_mibps: tuple[float, ...]
    weights: dict[str, float]


HOST_MODELS = (
    HostModel("gen9", 64, 384, 1788, (NIC_10GBE_MIBPS,), {"general": 3, "dpdk": 1, "sriov": 1}),
    HostModel(
        "gen10", 96, 512, 3576, (NIC_10GBE_MIBPS, NIC_25GBE_MIBPS),
        {"general": 4, "dpdk": 3, "sriov": 3},
    ),
    HostModel("gen11", 112, 768, 3576, (NIC_25GBE_MIBPS,), {"general": 2, "dpdk": 3, "sriov": 3}),
)


@dataclass(frozen=True)
class Flavor:
    name: str
    vcpus: int
    ram_mib: int
    disk_gib: int


FLAVORS = {
    f.name: f
    for f in (
        Flavor(f"nfv.{vcpus}c{ram}g", vcpus, ram * 1024, disk)
        for vcpus, ram, disk in (
            (2, 4, 20), (4, 8, 40), (4, 16, 40), (8, 16, 40), (8, 32, 80),
            (16, 32, 80), (16, 64, 100), (32, 128, 160),
        )
    )
}


@dataclass(frozen=True)
class Profile:
    """How a kind of workload uses its memory, for the live-migration model.

    Dirty rates: most servers write little (log-normal, capped at 120 MiB/s);
    *heavy* writers dirty 150-1000 MiB/s (they converge at 10 GbE, slowly);
    *wild* writers dirty 1250-2500 MiB/s, beyond a 10 GbE line rate: they
    only converge on 25 GbE.
    """

    used_share: tuple[float, float]
    working_set_share: tuple[float, float]
    dirty_median: float
    dirty_sigma: float = 0.8
    heavy_share: float = 0.0
    wild_share: float = 0.0

    def dirty_rate(self, rng: random.Random) -> float:
        draw = rng.random()
        if draw < self.wild_share:
            rate = rng.uniform(1250.0, 2500.0)
        elif draw < self.wild_share + self.heavy_share:
            rate = rng.uniform(150.0, 1000.0)
        else:
            rate = min(rng.lognormvariate(math.log(self.dirty_median), self.dirty_sigma), 120.0)
        return round(rate, 1)


MGMT = Profile(used_share=(0.3, 0.7), working_set_share=(0.02, 0.08), dirty_median=5.0)
CONTROL = Profile(
    used_share=(0.4, 0.8), working_set_share=(0.03, 0.12), dirty_median=15.0, heavy_share=0.03
)
DATABASE = Profile(
    used_share=(0.7, 0.95), working_set_share=(0.1, 0.3), dirty_median=60.0, heavy_share=0.1
)
# Hugepages are touched at boot: a data-plane VM uses almost all its RAM.
DATAPLANE = Profile(
    used_share=(0.85, 0.98), working_set_share=(0.2, 0.5), dirty_median=60.0,
    heavy_share=0.6, wild_share=0.05,
)

SRIOV_REASON = "SR-IOV direct port (PCI passthrough)"


@dataclass(frozen=True)
class VnfType:
    """A kind of VNF: its HA model, placement, flavors and budgets.

    ``pool`` is (n min, n max, m min, m max) for n+m pools; ``weight`` is how
    often the type is drawn; ``budgets_s`` the outage budgets it may get (the
    ETSI service availability levels of about 5, 15 and 25 s).
    """

    kind: str
    ha_model: HaModel
    profile: Profile
    aggregate: str
    flavors: tuple[tuple[str, float], ...]
    weight: float
    budgets_s: tuple[float, ...]
    pool: tuple[int, int, int, int] = (1, 1, 0, 0)
    unmigratable_share: float = 0.0
    unmigratable_reason: str = ""

    @property
    def mean_members(self) -> float:
        if self.ha_model is HaModel.N_PLUS_M:
            return (self.pool[0] + self.pool[1] + self.pool[2] + self.pool[3]) / 2
        return 2.0 if self.ha_model is HaModel.ACTIVE_STANDBY else 1.0


_AS, _NM, _NONE = HaModel.ACTIVE_STANDBY, HaModel.N_PLUS_M, HaModel.NONE

VNF_TYPES: tuple[VnfType, ...] = (
    VnfType("sbc", _AS, DATAPLANE, "sriov",
            (("nfv.4c16g", 2), ("nfv.8c32g", 2), ("nfv.16c64g", 1)), 4, (5,),
            unmigratable_share=1.0, unmigratable_reason=SRIOV_REASON),
    VnfType("vfw", _AS, DATAPLANE, "dpdk",
            (("nfv.4c16g", 1), ("nfv.8c32g", 1), ("nfv.16c64g", 0.5)), 1.5, (5, 15)),
    VnfType("amf", _AS, CONTROL, "general",
            (("nfv.4c16g", 2), ("nfv.8c32g", 2), ("nfv.16c32g", 0.5), ("nfv.16c64g", 0.5)), 3,
            (5,)),
    VnfType("hss", _AS, DATABASE, "general",
            (("nfv.8c32g", 2), ("nfv.16c64g", 1), ("nfv.32c128g", 0.3)), 1, (5, 15)),
    VnfType("lb", _AS, CONTROL, "general", (("nfv.2c4g", 1), ("nfv.4c8g", 2)), 3, (5,)),
    VnfType("upf", _NM, DATAPLANE, "dpdk",
            (("nfv.8c32g", 2), ("nfv.16c64g", 1.5), ("nfv.32c128g", 0.5)), 1, (15,),
            pool=(2, 6, 1, 2), unmigratable_share=0.5,
            unmigratable_reason="dedicated CPU pinning (hw:cpu_policy=dedicated)"),
    VnfType("ims", _NM, CONTROL, "general",
            (("nfv.2c4g", 1), ("nfv.4c8g", 2), ("nfv.4c16g", 2), ("nfv.8c16g", 1)), 4, (15, 25),
            pool=(2, 8, 1, 2)),
    VnfType("pcf", _NM, DATABASE, "general", (("nfv.4c16g", 2), ("nfv.8c32g", 1)), 2, (15,),
            pool=(2, 4, 1, 1)),
    VnfType("dns", _NM, CONTROL, "general", (("nfv.2c4g", 1),), 2, (25,), pool=(2, 4, 1, 2)),
    VnfType("cdr", _NM, DATABASE, "general", (("nfv.4c16g", 1), ("nfv.8c32g", 1)), 2, (25,),
            pool=(2, 4, 1, 2)),
    VnfType("oam", _NONE, MGMT, "general",
            (("nfv.2c4g", 1), ("nfv.4c8g", 2), ("nfv.8c16g", 1)), 6, (25,),
            unmigratable_share=0.1,
            unmigratable_reason="local ephemeral disk, block migration not allowed"),
    VnfType("ems", _NONE, MGMT, "general", (("nfv.8c16g", 1), ("nfv.8c32g", 1)), 3, (15, 25)),
    VnfType("probe", _NONE, DATAPLANE, "sriov", (("nfv.4c16g", 1),), 1, (25,),
            unmigratable_share=1.0, unmigratable_reason=SRIOV_REASON),
)
