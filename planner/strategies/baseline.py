"""The reference strategies: serial, az-by-az and parallel.

They move servers the way the common tools do (live migration first, the
VNF's HA only as a fallback) to the host Nova's scheduler would pick, and
name that host in the plan. A live migration that the migration model says
will not converge is replaced by the next allowed action (cold migration,
switchover), or kept with a warning on the plan when nothing else is allowed.
"""

from __future__ import annotations

from domain.plan import Plan
from domain.snapshot import Snapshot
from planner.options import PlanOptions
from planner.strategies.engine import WaveBuilder, WaveRules, hosts_to_upgrade


def serial(snapshot: Snapshot, options: PlanOptions, **_: object) -> Plan:
    """One host at a time, targets left to the scheduler (Watcher, Fenix): the baseline."""
    rules = WaveRules(max_hosts=1, explicit_targets=False)
    return WaveBuilder(snapshot, options, rules).build(hosts_to_upgrade(snapshot), "serial")


def az_by_az(snapshot: Snapshot, options: PlanOptions, **_: object) -> Plan:
    """Zone after zone; inside a zone up to ``hosts_per_wave`` hosts at once.

    The next hosts of the zone are set aside before the first is drained, so
    that its servers go to hosts of the zone outside the wave (Nova's pick
    among them) and several hosts of a zone can go together.
    """
    hosts = snapshot.host_by_name
    order = sorted(hosts_to_upgrade(snapshot), key=lambda h: (hosts[h].az, h))
    # Inside a zone, each VNF's max_impacted limits the wave (not one member
    # per anti-affinity group: with VNFs kept inside a zone that would make
    # every zone serial).
    rules = WaveRules(
        max_hosts=options.hosts_per_wave,
        one_az_per_wave=True,
        explicit_targets=False,
        one_group_member_per_wave=False,
        reserve_wave=True,
    )
    return WaveBuilder(snapshot, options, rules).build(order, "az-by-az")


def parallel(snapshot: Snapshot, options: PlanOptions, **_: object) -> Plan:
    """Up to K hosts per wave, one anti-affinity member per wave, a share of each aggregate (StarlingX)."""
    rules = WaveRules(max_hosts=options.hosts_per_wave, explicit_targets=False)
    return WaveBuilder(snapshot, options, rules).build(hosts_to_upgrade(snapshot), "parallel")
