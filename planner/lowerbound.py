"""The lower bound of an upgrade's duration under the operator's limits, term by term.

It depends on the inventory and the limits, not on a plan, so every
strategy's plan is judged against the same figure. Each term is a duration
no valid plan can beat:

- ``transfer_s``: the bytes that must move (each server at its cheapest way
  off its host) over the aggregate migration bandwidth: a flow crosses two
  NICs, so half the sum of the NICs, or ``concurrent_migrations`` fastest;
- ``longest_host_s``: the longest single host: its servers leave one after
  another (Nova's one outgoing live migration per host), then its fixed
  steps (upgrade, reboot, verify);
- ``waves_s``: the waves the limits force, the longest host's slot plus the
  shortest fixed steps for each further wave. Waves are forced by
  ``hosts_per_wave``, the zone and aggregate shares, each VNF's
  ``max_impacted`` (every running member on a host to upgrade is down in
  that host's wave, at most ``max_impacted`` per wave; an active and its
  standby never in one wave) and the spare room (the servers that must
  leave the hosts of one wave need room outside it in their zone: the zone's
  free room holds at most that much per wave). Anti-affinity forces waves
  only through the VNFs whose members it holds: the validator lets two
  hosts of one group go together;
- ``slots_s``: all hosts' slots over the most hosts that may be out at once.

``value`` is the largest, with the means of the durations: no plan's
expected duration is below it. ``floor_s`` is the same bound with every
duration at its least possible draw (a log-normal law's is 0): no simulated
run of any valid plan is below it. ``moved_twice_min`` is a lower bound on
the servers any plan moves twice: the first wave of a zone without an
upgraded host sends what must move to hosts that are upgraded later.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields, replace
from functools import lru_cache
from typing import Any

from domain.plan import ActionKind
from domain.snapshot import HaModel, MemberRole, Server, Snapshot
from domain.versions import needs_upgrade
from planner.capacity import capacity, demand, parkable
from planner.options import PlanOptions
from planner.timing import (
    Timings,
    default_timings,
    estimate_live_migration,
    timings_from,
)
from planner.vnf_actions import required_action
from simulator.params import SimParams

TERMS = ("transfer_s", "longest_host_s", "waves_s", "slots_s")
TERM_LABELS = {
    "transfer_s": "bytes to move / aggregate migration bandwidth",
    "longest_host_s": "the longest single host (its migrations one at a time, then its fixed steps)",
    "waves_s": "forced waves x shortest fixed steps",
    "slots_s": "all host slots / hosts out at once",
}


@dataclass(frozen=True)
class LowerBound:
    """Seconds; ``value`` is the largest term (with mean durations), ``floor_s`` the same with least ones."""

    transfer_s: float
    longest_host_s: float
    slots_s: float
    hosts_at_once: int
    must_move_mib: float
    waves_s: float = 0.0
    forced_waves: int = 0
    # What forces that many waves, in the operator's words.
    forced_by: str = ""
    longest_host: str = ""
    floor_s: float = 0.0
    moved_twice_min: int = 0

    @property
    def value(self) -> float:
        return max(self.transfer_s, self.longest_host_s, self.slots_s, self.waves_s)

    @property
    def binding(self) -> str:
        """The term that sets the bound."""
        return max(TERMS, key=lambda name: (getattr(self, name), -TERMS.index(name)))

    def terms(self) -> list[dict[str, Any]]:
        """Each term with its seconds and what it counts; the binding one first."""
        why = {
            "transfer_s": f"{self.must_move_mib / 1024:,.0f} GiB must move",
            "longest_host_s": self.longest_host,
            "waves_s": f"{self.forced_waves} waves: {self.forced_by}",
            "slots_s": f"{self.hosts_at_once} hosts at once",
        }
        rows = [
            {"term": name, "label": TERM_LABELS[name], "seconds": getattr(self, name),
             "why": why[name], "binding": name == self.binding}
            for name in TERMS
        ]
        return sorted(rows, key=lambda row: (not row["binding"], TERMS.index(row["term"])))

    def describe(self) -> str:
        return "; ".join(
            f"{row['term'].removesuffix('_s').replace('_', ' ')} {row['seconds']:,.0f} s"
            f"{' (binds)' if row['binding'] else ''}"
            for row in self.terms()
        )

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "value": self.value, "binding": self.binding, "terms": self.terms()}


def _least(dist: Any) -> float | None:
    """The least value a duration distribution can draw (None: not a distribution)."""
    if isinstance(dist, bool) or isinstance(dist, int | float):
        return None
    if hasattr(dist, "value"):
        return float(dist.value)
    if hasattr(dist, "low"):
        return float(dist.low)
    if hasattr(dist, "median"):
        return 0.0  # a log-normal law has no floor above 0
    return None


def floor_timings(params: Any) -> Timings:
    """Timings with every drawn duration at its least: what no run can undercut."""
    base = timings_from(params)
    values: dict[str, float] = {}
    for f in fields(Timings):
        least = _least(getattr(params, f.name, None))
        if least is not None:
            values[f.name] = least
    return replace(base, **values)


# The fixed steps every host takes, drawn once per host by the simulator.
FIXED_STEPS = ("disable_s", "upgrade_s", "reboot_s", "verify_s", "enable_s")


def _pmf(dist: Any) -> dict[int, float] | None:
    """A duration law on a one-second grid, every value rounded down (so never above the law)."""
    if hasattr(dist, "value"):
        return {math.floor(dist.value): 1.0}
    if hasattr(dist, "mode"):
        low, mode, high = float(dist.low), float(dist.mode), float(dist.high)

        def cdf(x: float) -> float:
            if x <= low:
                return 0.0
            if x >= high:
                return 1.0
            if x <= mode:
                return (x - low) ** 2 / ((high - low) * (mode - low)) if mode > low else 0.0
            return 1.0 - (high - x) ** 2 / ((high - low) * (high - mode)) if high > mode else 1.0
    elif hasattr(dist, "high"):
        low, high = float(dist.low), float(dist.high)

        def cdf(x: float) -> float:
            return 0.0 if x <= low else 1.0 if x >= high else (x - low) / (high - low)
    elif hasattr(dist, "median"):
        median, sigma = float(dist.median), float(dist.sigma)
        cap = float(dist.cap)
        low, high = 0.0, cap if math.isfinite(cap) else median * math.exp(8 * sigma)

        def cdf(x: float) -> float:
            if x <= 0:
                return 0.0
            if x >= high:
                return 1.0
            return 0.5 * math.erfc(-(math.log(x / median)) / (sigma * math.sqrt(2)))
    else:
        return None
    if high <= low:
        return {math.floor(low): 1.0}
    pmf: dict[int, float] = {}
    previous = 0.0
    for x in range(math.floor(low), math.floor(high) + 1):
        upper = cdf(x + 1.0)
        if upper > previous:
            pmf[x] = upper - previous
            previous = upper
    return pmf


@lru_cache(maxsize=16)
def fixed_steps_pmf(laws: tuple[Any, ...]) -> tuple[tuple[int, float], ...]:
    """One host's fixed steps (the sum of ``laws``) on a one-second grid, rounded down; () if not laws."""
    total: dict[int, float] = {0: 1.0}
    for law in laws:
        pmf = _pmf(law)
        if pmf is None:
            return ()
        out: dict[int, float] = defaultdict(float)
        for a, pa in total.items():
            for b, pb in pmf.items():
                out[a + b] += pa * pb
        total = dict(out)
    return tuple(sorted(total.items()))


def fixed_laws(params: Any) -> tuple[Any, ...]:
    """The laws of a host's fixed steps in ``params`` (the simulator's), in FIXED_STEPS order."""
    return tuple(getattr(params, name, None) for name in FIXED_STEPS)


@lru_cache(maxsize=16)
def _wave_means(laws: tuple[Any, ...], most: int) -> tuple[float, ...]:
    """E[max of k hosts' fixed steps] for k = 0..most (the laws are the steps' distributions)."""
    grid = fixed_steps_pmf(laws)
    if not grid:
        return ()
    total = dict(grid)
    values = sorted(total)
    cdf, running = [], 0.0
    for v in values:
        running += total[v]
        cdf.append(min(1.0, running))
    means = [0.0]
    for k in range(1, most + 1):
        previous, mean = 0.0, 0.0
        for v, c in zip(values, cdf, strict=True):
            ck = c**k
            mean += v * (ck - previous)
            previous = ck
        means.append(mean)
    return tuple(means)


def _waves_expected(means: tuple[float, ...], hosts: int, waves: int, at_once: int) -> float:
    """The least sum of E[max] over ``waves`` waves of at most ``at_once`` hosts holding ``hosts``.

    E[max of k] is concave in k, so the least sum packs hosts into as few
    full waves as it can and leaves the rest alone; more waves never help.
    """
    if not means or waves < 1 or hosts < 1:
        return 0.0
    waves = min(waves, hosts)
    at_once = max(1, min(at_once, len(means) - 1))
    extra = hosts - waves
    full, rest = (extra // (at_once - 1), extra % (at_once - 1)) if at_once > 1 else (0, 0)
    full = min(full, waves)
    singles = waves - full - (1 if rest and full < waves else 0)
    total = full * means[at_once] + singles * means[1]
    if rest and full < waves:
        total += means[1 + rest]
    return total


def _drained_waves(
    drains: list[float], waves: int, at_once: int, means: tuple[float, ...], fixed_s: float,
    cliques: tuple[int, ...] = (),
) -> float:
    """The least sum of wave durations counting each host's drain, over every way to form the waves.

    A host's path in its wave is its drain ``d`` (at least) then its fixed
    steps ``F``, and a wave lasts as long as its slowest host. Two bounds on
    one wave of ``k`` hosts, both valid for any plan:

    - ``E[max of k F] + mean of the wave's d``: the host whose fixed steps
      draw the longest (each host is that one with chance 1/k: the steps are
      drawn alike and apart from the drains) still drains first;
    - ``E[F] + the wave's largest d``: its slowest drainer alone.

    For given wave sizes, both sums are least when the largest drains fill
    the largest waves (sorted, in contiguous runs): the mean is then divided
    by the most hosts, and each later wave's largest drain is as small as it
    can be. So a sum of the two, weighted ``theta`` and ``1 - theta``, is
    least over contiguous runs of the drains sorted down, which a dynamic
    programme over (hosts placed, waves used, at least ``waves``) finds; any
    weight gives a bound, the largest is kept. Without laws (``means``
    empty), every host's fixed steps are ``fixed_s`` and only the largest
    drain counts.

    ``cliques``: sizes of disjoint sets of hosts that pairwise conflict (one
    wave each within a set). A wave of k hosts holds at most min(k, t) of
    the t sets' hosts, so every plan has sum over waves of min(k, t) >= their
    hosts S. With a multiplier ``lam`` >= 0, cost - lam * (sum min(k, t) - S)
    is at most the cost of any plan, and its least is the same programme
    with each wave's cost less lam * min(k, t) (Lagrange): every ``lam``
    gives a bound; a few are tried (the bound is concave in ``lam``).
    """
    n = len(drains)
    if not n or waves < 1:
        return 0.0
    d = sorted(drains, reverse=True)
    prefix = [0.0]
    for x in d:
        prefix.append(prefix[-1] + x)
    k_most = max(1, min(at_once, n, len(means) - 1 if means else n))
    m = list(means[: k_most + 1]) if means else [0.0] + [fixed_s] * k_most
    f_waves = min(waves, n)
    sets = [c for c in sorted(cliques, reverse=True) if c > 1]
    inf = math.inf

    def costs_at(theta: float) -> list[list[float]]:
        # The cost of a wave of the drains i..i+k-1 (k = 1..top), for each i.
        out = []
        for i in range(n):
            lead = (1.0 - theta) * (m[1] + d[i])
            base = prefix[i]
            out.append([lead + theta * (m[k] + (prefix[i + k] - base) / k)
                        for k in range(1, min(k_most, n - i) + 1)])
        return out

    def exact(costs: list[list[float]]) -> float:
        # dp[w][i]: least cost with the i largest drains placed in w waves (w capped at f_waves).
        dp = [[inf] * (n + 1) for _ in range(f_waves + 1)]
        dp[0][0] = 0.0
        for i in range(n):
            row_costs = costs[i]
            top = len(row_costs)
            for w in range(f_waves + 1):
                here = dp[w][i]
                if here == inf:
                    continue
                row = dp[min(f_waves, w + 1)]
                row[i + 1 : i + top + 1] = map(min, row[i + 1 : i + top + 1], [here + c for c in row_costs])
        return dp[f_waves][n]

    def dual(costs: list[list[float]], lam0: float, lam: float, t: int, covered: int) -> float:
        # Both "at least f_waves waves" and "sum of min(k, t) >= covered" priced in (Lagrange).
        relief = [lam0 + lam * min(k, t) for k in range(k_most + 1)]
        dp = [inf] * (n + 1)
        dp[0] = 0.0
        for i in range(n):
            here = dp[i]
            row_costs = costs[i]
            top = len(row_costs)
            dp[i + 1 : i + top + 1] = map(
                min, dp[i + 1 : i + top + 1], [here + c - relief[k] for k, c in enumerate(row_costs, 1)])
        return dp[n] + lam0 * f_waves + lam * covered

    def climb(f: Any, scale: float, evaluations: int) -> float:
        """The largest of a concave f(x, y), x, y >= 0, found by a pattern search (any point is a bound)."""
        x = y = 0.0
        here = f(x, y)
        step = scale / 4.0
        used = 1
        moves = ((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, -1), (1, -1), (-1, 1))
        while used < evaluations and step > 0.5:
            best_move = None
            for dx, dy in moves:
                nx, ny = x + dx * step, y + dy * step
                if nx < 0 or ny < 0:
                    continue
                value = f(nx, ny)
                used += 1
                if value > here + 1e-9:
                    here, best_move = value, (nx, ny)
            if best_move is None:
                step /= 2.0
            else:
                x, y = best_move
        return here

    thetas = (0.0, 0.5, 1.0) if means else (0.0,)
    big = n * k_most > 20_000
    if big:
        thetas = thetas[-1:]
    # The sets most likely to bind: the fewest spare places per wave.
    prefixes = [(t, sum(sets[:t])) for t in range(2, len(sets) + 1)]
    prefixes = [tc for tc in prefixes if tc[1] > f_waves]
    prefixes.sort(key=lambda tc: ((f_waves * tc[0] - tc[1]) / tc[0], tc[0]))
    prefixes = prefixes[: 1 if big else 2]
    scale = 2.0 * (max(m) + d[0])
    best = 0.0
    for theta in thetas:
        costs = costs_at(theta)
        best = max(best, exact(costs))
        for t, covered in prefixes:
            best = max(best, climb(
                lambda x, y, t=t, covered=covered, costs=costs: dual(costs, x, y, t, covered),
                scale, 60 if big else 150))
    return best if math.isfinite(best) else 0.0


def disjoint_cliques(neighbours: dict[str, set[str]], most: int = 8) -> list[list[str]]:
    """Disjoint sets of pairwise conflicting hosts, largest first (greedy, each on what is left)."""
    left = dict(neighbours)
    out: list[list[str]] = []
    while left and len(out) < most:
        clique = _conflict_clique(left)
        if len(clique) < 2:
            break
        out.append(clique)
        gone = set(clique)
        left = {h: nb - gone for h, nb in left.items() if h not in gone}
    return out


def _choices(
    snapshot: Snapshot, server: Server, options: PlanOptions, timings: Timings, nic: float,
    switchover_scale: float = 1.0, block_migration: bool = False,
) -> dict[ActionKind, tuple[float, float]]:
    """Each allowed way to clear one server: (seconds it holds the host's drain, MiB it moves)."""
    if server.status == "SHUTOFF" and options.allows(ActionKind.STAY):
        return {ActionKind.STAY: (0.0, 0.0)}
    choices: dict[ActionKind, tuple[float, float]] = {}
    if parkable(snapshot, server, options):
        vnf = snapshot.vnf_of_server[server.name]
        # Without HA only a VNF manager's own action parks a member (migration_type).
        if vnf.ha_model != HaModel.NONE or required_action(vnf) == ActionKind.SWITCHOVER:
            seconds = vnf.switchover_s * switchover_scale if vnf.switchover_s > 0 else timings.switchover_s
            choices[ActionKind.SWITCHOVER] = (seconds, 0.0)
    if server.live_migratable and options.allows(ActionKind.LIVE_MIGRATE):
        est = estimate_live_migration(server, nic, timings)
        # Alone on its source's NIC it sends the least it can: a slower,
        # shared link only lengthens the rounds and what is dirtied in them.
        choices[ActionKind.LIVE_MIGRATE] = (est.duration_s, est.sent_mib)
    if options.allows(ActionKind.COLD_MIGRATE):
        # As the simulator copies it: the RAM image (and the disk with block
        # migration) at the cold-copy rate at most, after the overhead.
        size = server.ram_mib + (server.disk_gib * 1024.0 if block_migration else 0.0)
        choices[ActionKind.COLD_MIGRATE] = (
            timings.cold_migration_overhead_s + size / timings.cold_bandwidth_mibps, size
        )
    if options.allows(ActionKind.STOP_START):
        choices[ActionKind.STOP_START] = (timings.stop_s, 0.0)
    needed = required_action(snapshot.vnf_of_server.get(server.name))
    if needed is not None:
        # The VNF's migration_type leaves the plan that one action (planner/vnf_actions.py).
        return {k: v for k, v in choices.items() if k == needed}
    return choices


def _host_slot(choices: list[dict[ActionKind, tuple[float, float]]], timings: Timings) -> float:
    """The least slot a host can take, whatever the plan picks for each of its servers.

    Switchovers run together before the moves; the moves go one at a time
    (Nova's one outgoing live migration) while stopped servers shut down;
    parked and stopped servers start again once the host is back. Only what
    every choice shares is counted: a server that can only be parked, one
    that can only move.
    """
    switch_only = [c[ActionKind.SWITCHOVER][0] for c in choices if set(c) == {ActionKind.SWITCHOVER}]
    stop_only = [c[ActionKind.STOP_START][0] for c in choices if set(c) == {ActionKind.STOP_START}]
    move_only = [
        min(seconds for seconds, _ in c.values()) for c in choices if c and set(c) <= MOVES
    ]
    quickest = max((min(seconds for seconds, _ in c.values()) for c in choices if c), default=0.0)
    drain = max(quickest, max(switch_only, default=0.0) + max(sum(move_only), max(stop_only, default=0.0)))
    parks = any(c and not (set(c) & (MOVES | {ActionKind.STAY})) for c in choices)
    return drain + timings.host_fixed_s + (timings.start_s if parks else 0.0)


MOVES = frozenset({ActionKind.LIVE_MIGRATE, ActionKind.COLD_MIGRATE})


@dataclass(frozen=True)
class _Forced:
    waves: int
    why: str


def _share_limit(share: float, size: int) -> int:
    return max(1, int(share * size))


def forced_waves(snapshot: Snapshot, options: PlanOptions, names: list[str]) -> _Forced:
    """The fewest waves any valid plan needs, and the limit that forces them."""
    hosts = snapshot.host_by_name
    candidates: list[tuple[int, str]] = []
    n = len(names)
    if not n:
        return _Forced(0, "nothing to upgrade")
    candidates.append((math.ceil(n / options.hosts_per_wave),
                       f"hosts_per_wave {options.hosts_per_wave} over {n} hosts"))
    todo = set(names)
    for label, share, keys_of in (
        ("zone", options.az_share, lambda h: (h.az,)),
        ("aggregate", options.aggregate_share, lambda h: h.aggregates),
    ):
        size = Counter(k for h in snapshot.hosts for k in keys_of(h))
        out = Counter(k for name in names for k in keys_of(hosts[name]))
        for key, count in sorted(out.items()):
            limit = _share_limit(share, size[key])
            candidates.append((math.ceil(count / limit),
                               f"{label} {key}: {count} hosts, {limit} at once"))
    for vnf in snapshot.vnfs:
        down = [
            m for m in vnf.members
            if (s := snapshot.server_by_name.get(m.server)) is not None
            and s.status != "SHUTOFF" and s.host in todo
        ]
        if not down or vnf.max_impacted < 1:
            continue
        waves = math.ceil(len(down) / vnf.max_impacted)
        roles = {m.role for m in down}
        if vnf.ha_model == HaModel.ACTIVE_STANDBY and {MemberRole.ACTIVE, MemberRole.STANDBY} <= roles:
            waves = max(waves, 2)
        candidates.append((waves, f"VNF {vnf.name}: {len(down)} members, max_impacted {vnf.max_impacted}"))
    clique = _conflict_clique(vnf_conflicts(snapshot, names))
    if len(clique) > 1:
        shown = ", ".join(sorted(clique)[:3]) + (f" and {len(clique) - 3} more" if len(clique) > 3 else "")
        candidates.append((len(clique), f"{len(clique)} hosts that pairwise share a VNF that may "
                                         f"lose one member at a time ({shown})"))
    candidates.extend(_room_waves(snapshot, options, names))
    return _Forced(*max(candidates, key=lambda c: (c[0], c[1])))


def vnf_conflicts(snapshot: Snapshot, hosts: Iterable[str]) -> dict[str, set[str]]:
    """Hosts that can never share a wave: each pair holds running members of one VNF that
    may lose only one at a time (``max_impacted`` 1, or an active and its standby).

    Members stay on their hosts until their host's wave, so the pair's waves differ.
    """
    todo = set(hosts)
    members: dict[str, list[str]] = {}
    for vnf in snapshot.vnfs:
        on = sorted({
            s.host for m in vnf.members
            if (s := snapshot.server_by_name.get(m.server)) is not None
            and s.status != "SHUTOFF" and s.host in todo
        })
        if len(on) < 2:
            continue
        if vnf.max_impacted <= 1:
            members[vnf.name] = on
        elif vnf.ha_model == HaModel.ACTIVE_STANDBY:
            roles: dict[str, set[MemberRole]] = defaultdict(set)
            for m in vnf.members:
                s = snapshot.server_by_name.get(m.server)
                if s is not None and s.status != "SHUTOFF" and s.host in todo:
                    roles[s.host].add(m.role)
            active = [h for h in on if MemberRole.ACTIVE in roles[h]]
            standby = [h for h in on if MemberRole.STANDBY in roles[h]]
            for a in active:
                for b in standby:
                    if a != b:
                        members[f"{vnf.name}:{a}:{b}"] = [a, b]
    neighbours: dict[str, set[str]] = {h: set() for h in todo}
    for on in members.values():
        for h in on:
            neighbours[h].update(x for x in on if x != h)
    return neighbours


def _conflict_clique(neighbours: dict[str, set[str]], starts: int = 64) -> list[str]:
    """A large set of pairwise conflicting hosts (greedy from the busiest hosts): one wave each."""
    best: list[str] = []
    ranked = sorted(neighbours, key=lambda h: (-len(neighbours[h]), h))
    for start in ranked[:starts]:
        if len(neighbours[start]) + 1 <= len(best):
            break
        clique = [start]
        candidates = set(neighbours[start])
        while candidates:
            pick = max(candidates, key=lambda h: (len(neighbours[h] & candidates), h))
            clique.append(pick)
            candidates &= neighbours[pick]
        if len(clique) > len(best):
            best = clique
    return best


def _room_waves(snapshot: Snapshot, options: PlanOptions, names: list[str]) -> Iterable[tuple[int, str]]:
    """Waves forced by spare room: one wave's must-move servers fit in its zone's free room.

    The zone's free room (capacity less use, summed) is conserved by moves
    inside the zone; the room outside a wave is at most all of it.
    """
    zone_of = {h.name: (h.az if options.keep_az else "cloud") for h in snapshot.hosts}
    used: dict[str, list[float]] = {h.name: [0.0, 0.0, 0.0] for h in snapshot.hosts}
    must: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    todo = set(names)
    for s in snapshot.servers:
        if s.host not in used:
            continue
        wants = demand(s)
        for i in range(3):
            used[s.host][i] += wants[i]
        if s.host in todo and not parkable(snapshot, s, options) and not options.allows(ActionKind.STOP_START):
            for i in range(3):
                must[zone_of[s.host]][i] += wants[i]
    free: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for h in snapshot.hosts:
        room = capacity(h)
        for i in range(3):
            # An overfull host's excess can only shrink: count it twice, to be safe.
            free[zone_of[h.name]][i] += room[i] - used[h.name][i] + 2 * max(0.0, used[h.name][i] - room[i])
    labels = ("vCPU", "RAM", "disk")
    for zone, total in sorted(must.items()):
        for i in range(3):
            if total[i] > 0 and free[zone][i] > 0:
                yield (math.ceil(total[i] / free[zone][i] - 1e-9),
                       f"room: {labels[i]} that must move in {zone} over its free {labels[i]}")


def _moved_twice_min(snapshot: Snapshot, options: PlanOptions, names: list[str]) -> int:
    """Servers that must move in a zone's first wave when nothing of the zone is upgraded yet."""
    if options.allows(ActionKind.STOP_START):
        return 0
    todo = set(names)
    zone_of = {h.name: (h.az if options.keep_az else "cloud") for h in snapshot.hosts}
    upgraded_zones = {zone_of[h.name] for h in snapshot.hosts if h.name not in todo}
    must_count: dict[str, int] = dict.fromkeys(names, 0)
    for s in snapshot.servers:
        if s.host in todo and not parkable(snapshot, s, options):
            must_count[s.host] += 1
    fewest: dict[str, int] = {}
    for name in names:
        zone = zone_of[name]
        fewest[zone] = min(fewest.get(zone, must_count[name]), must_count[name])
    return sum(n for zone, n in fewest.items() if zone not in upgraded_zones)


def _bound(
    snapshot: Snapshot, options: PlanOptions, timings: Timings, names: list[str], nic_factor: float,
    switchover_scale: float, forced: _Forced, default_nic: float, fabric: float | None = None,
    block_migration: bool = False, wave_means: tuple[float, ...] = (), cliques: tuple[int, ...] = (),
) -> tuple[float, float, float, float, int, float, str]:
    servers_by_host = snapshot.servers_by_host
    slots: dict[str, float] = {}
    moved = 0.0
    nic_of = {h.name: (h.nic_bandwidth_mibps or default_nic) * nic_factor for h in snapshot.hosts}
    for name in names:
        per_server = [
            _choices(snapshot, server, options, timings, nic_of[name], switchover_scale, block_migration)
            for server in servers_by_host.get(name, ())
        ]
        # The least bytes each server can move (nothing if it may be parked).
        moved += sum(min((mib for _, mib in c.values()), default=0.0) for c in per_server)
        slots[name] = _host_slot(per_server, timings)
    hosts = snapshot.host_by_name
    zone_room: Counter[str] = Counter()
    zone_size = Counter(h.az for h in snapshot.hosts)
    for name in names:
        zone_room[hosts[name].az] += 1
    by_zone = sum(min(n, _share_limit(options.az_share, zone_size[z])) for z, n in zone_room.items())
    at_once = max(1, min(options.hosts_per_wave, len(names), by_zone))
    bandwidth = sum(nic_of.values()) / 2
    if options.concurrent_migrations:
        fastest = max(nic_of.values(), default=0.0)
        bandwidth = min(bandwidth, options.concurrent_migrations * fastest)
    if fabric:
        bandwidth = min(bandwidth, fabric)
    longest_name = max(slots, key=lambda h: (slots[h], h), default="")
    longest = slots.get(longest_name, 0.0)
    waves = longest + max(0, forced.waves - 1) * timings.host_fixed_s if names else 0.0
    # A wave lasts as long as its slowest host: with the laws of the fixed
    # steps, k hosts take E[max of k draws] at least, more than the mean.
    waves = max(waves, _waves_expected(wave_means, len(names), forced.waves, at_once))
    # Each host drains before its fixed steps: the drains lengthen the waves.
    waves = max(waves, _drained_waves(
        [slots[h] - timings.host_fixed_s for h in names], forced.waves, at_once, wave_means,
        timings.host_fixed_s, cliques,
    )) if names else 0.0
    return (
        moved / bandwidth if bandwidth else 0.0,
        longest,
        sum(slots.values()) / at_once,
        waves,
        at_once,
        moved,
        longest_name,
    )


def lower_bound(
    snapshot: Snapshot,
    options: PlanOptions | None = None,
    timings: Timings | None = None,
    params: Any = None,
) -> LowerBound:
    """The bound for ``snapshot`` under ``options``; ``params`` (the simulator's) set the floor."""
    options = options or PlanOptions()
    # The floor follows the simulator's laws; given bare timings, they are the laws.
    given_timings_only = params is None and timings is not None
    floor_t = timings if timings is not None and given_timings_only else floor_timings(
        params if params is not None else SimParams())
    if params is None:
        params = SimParams()
    timings = timings or default_timings()
    names = [h.name for h in snapshot.hosts if needs_upgrade(h, snapshot.target)]
    forced = forced_waves(snapshot, options, names)
    factor = float(getattr(params, "bandwidth_factor", 1.0) or 1.0)
    default_nic = float(getattr(params, "default_nic_bandwidth_mibps", 1192.0))
    fabric = getattr(params, "fabric_bandwidth_mibps", None)
    block = bool(getattr(params, "block_migration", False))
    # Bare timings without laws: a wave's hosts are taken at the mean.
    laws = tuple(getattr(params, name, None) for name in FIXED_STEPS)
    means = _wave_means(laws, max(1, min(options.hosts_per_wave, len(names)))) if (
        not given_timings_only and all(law is not None for law in laws)) else ()
    scale = getattr(params, "switchover_scale", None)
    mean_scale = float(getattr(scale, "mean", 1.0)) if scale is not None else 1.0
    least_scale = _least(scale) if scale is not None else 1.0
    # Disjoint sets of hosts that pairwise conflict (a zone's VNFs make one
    # per zone): each wave holds at most one host of each.
    cliques = tuple(len(c) for c in disjoint_cliques(vnf_conflicts(snapshot, names)))
    transfer, longest, slots, waves, at_once, moved, longest_name = _bound(
        snapshot, options, timings, names, factor, mean_scale, forced, default_nic, fabric, block,
        means, cliques,
    )
    floor = _bound(
        snapshot, options, floor_t, names, factor,
        1.0 if least_scale is None else least_scale, forced, default_nic, fabric, block,
        cliques=cliques,
    )
    return LowerBound(
        transfer_s=transfer,
        longest_host_s=longest,
        slots_s=slots,
        hosts_at_once=at_once,
        must_move_mib=moved,
        waves_s=waves,
        forced_waves=forced.waves,
        forced_by=forced.why,
        longest_host=longest_name,
        floor_s=max(floor[:4]),
        moved_twice_min=_moved_twice_min(snapshot, options, names),
    )
