"""The ``optimized`` strategy: a search over wave composition, order and placement.

Each candidate is a host order; the wave builder turns it into a plan with
explicit targets (already upgraded hosts first, so nothing moves twice where
capacity allows) and VNF-first actions. Candidates are scored by ``scorer``
(seconds, lower is better: the fast estimate by default) and improved by
local moves; a caller's ``final_scorer`` (e.g. the simulator) may re-rank
the best few. Ties go to the plan that moves fewer servers twice, then to
the one with less expected VNF outage.

The search is counted, not timed: ``search_evaluations`` candidates, all
choices from ``random.Random(options.seed)``, the inventory taken in name
order. The same inventory, options and seed give the same plan, byte for
byte, on any machine. ``time_budget_s`` only caps the search; a plan whose
search it cut short says so in its warnings (and may then differ between
runs).
"""

from __future__ import annotations

import heapq
import math
import random
import time
from collections.abc import Callable
from dataclasses import fields, replace

from domain.plan import MOVING_ACTIONS, ActionKind, Plan
from domain.snapshot import Snapshot
from planner.capacity import parkable
from planner.errors import NoPlanError
from planner.estimate import estimate_duration, wave_clock
from planner.lowerbound import vnf_conflicts
from planner.options import PlanOptions
from planner.strategies.baseline import az_by_az, parallel, serial
from planner.strategies.engine import WaveBuilder, WaveRules, hosts_to_upgrade
from planner.timing import Timings, default_timings, timings_from
from simulator.distributions import Fixed
from simulator.engine import simulate
from simulator.params import SimParams

Scorer = Callable[[Plan], float]
# Candidates kept for the final re-ranking by the simulator.
FINALISTS = 5
# Starting points of the search (``seed_orders``, the colouring twice).
SEED_ORDERS = 6
# The automatic budget: about this many host-or-server placements in all,
# between 2 and AUTO_MAX_EVALUATIONS candidates.
AUTO_WORK = 80_000
AUTO_MAX_EVALUATIONS = 150
# Seconds of upgrade one second of expected VNF outage is worth in the ranking.
OUTAGE_WEIGHT = 10.0
# ... and one server moved twice (a second migration, a second risk) this many.
MOVED_TWICE_WEIGHT = 10.0
# One simulated run of a finalist costs about this many evaluations.
SIMULATION_COST = 5
# A plan that moves fewer servers twice wins if its estimate is at most this
# share longer (and its expected outage no larger): see docs/plan.md.
MOVED_TWICE_SHARE = 0.02
# ... and its outage simulated at mean durations at most this much larger (a
# second of outage weighs one server moved twice in the ranking: at most one).
MOVED_TWICE_OUTAGE_SLACK_S = 1.0


def search_evaluations(snapshot: Snapshot, options: PlanOptions) -> int:
    """Candidates the search builds: the option, or by the cloud's size when it is 0."""
    if options.evaluations:
        return max(1, options.evaluations)
    size = len(snapshot.hosts) + len(snapshot.servers)
    # At least the two best starting orders (the colouring, the hardest hosts first).
    return max(2, min(AUTO_MAX_EVALUATIONS, AUTO_WORK // max(1, size)))


def canonical(snapshot: Snapshot) -> Snapshot:
    """The inventory in name order: a plan does not depend on how the cloud was listed."""
    return replace(
        snapshot,
        hosts=tuple(sorted(snapshot.hosts, key=lambda h: h.name)),
        servers=tuple(sorted(snapshot.servers, key=lambda s: s.name)),
        server_groups=tuple(sorted(snapshot.server_groups, key=lambda g: g.name)),
        vnfs=tuple(sorted(snapshot.vnfs, key=lambda v: v.name)),
    )


def moved_twice(plan: Plan) -> int:
    """Servers that the plan migrates more than once."""
    seen: set[str] = set()
    twice: set[str] = set()
    for _, _, action in plan.actions():
        if action.kind in MOVING_ACTIONS:
            (twice if action.server in seen else seen).add(action.server)
    return len(twice)


def expected_outage_s(builder: WaveBuilder, plan: Plan) -> float:
    """The plan's expected VNF outage, following who is active as switchovers happen."""
    by_name = builder.snapshot.server_by_name
    vnf_of = builder.snapshot.vnf_of_server
    active = dict(builder.initial_active)
    total = 0.0
    for _, _, action in plan.actions():
        vnf = vnf_of.get(action.server)
        is_active = vnf is not None and active.get(vnf.name) == action.server
        total += builder.expected_outage(by_name[action.server], action.kind, is_active)
        if vnf is not None and is_active and action.kind == ActionKind.SWITCHOVER:
            active[vnf.name] = next(m.server for m in vnf.members if m.server != action.server)
    return total


def seed_orders(snapshot: Snapshot, options: PlanOptions, timings: Timings) -> list[list[str]]:
    """Starting points: light hosts first (they become targets early), heavy first, zones interleaved."""
    hosts = hosts_to_upgrade(snapshot)
    by_host = snapshot.servers_by_host
    movable = {
        h: sum(s.ram_mib for s in by_host.get(h, ()) if not parkable(snapshot, s, options))
        for h in hosts
    }
    light_first = sorted(hosts, key=lambda h: (movable[h], h))
    az = snapshot.host_by_name
    zones: dict[str, list[str]] = {}
    for h in light_first:
        zones.setdefault(az[h].az, []).append(h)
    interleaved = [h for group in _round_robin(list(zones.values())) for h in group]
    # Hosts in the tightest VNF cliques first, as graph colouring does.
    vnf_of = snapshot.vnf_of_server
    tightness = {
        h: sum(
            len(vnf_of[s.name].members) / max(1, vnf_of[s.name].max_impacted)
            for s in by_host.get(h, ())
            if s.name in vnf_of
        )
        for h in hosts
    }
    hardest_first = sorted(hosts, key=lambda h: (-tightness[h], h))
    movers = {h: sum(1 for s in by_host.get(h, ()) if not parkable(snapshot, s, options)) for h in hosts}
    coloured = colour_order(snapshot, options, hosts, tightness, movable, movers)
    return [coloured, hardest_first, light_first, interleaved,
            sorted(hosts, key=lambda h: (-movable[h], h))]


def colour_order(
    snapshot: Snapshot, options: PlanOptions, hosts: list[str], tightness: dict[str, float],
    movable: dict[str, int] | None = None, movers: dict[str, int] | None = None,
) -> list[str]:
    """Hosts grouped as an equitable colouring of their VNF conflicts (DSatur), group after group.

    Two hosts conflict when they hold running members of one VNF whose
    ``max_impacted`` is 1 (or an active and its standby). Each host takes
    the first group it has no conflict with and that has room (at most
    ``hosts_per_wave``), the most constrained host first: groups of about
    equal size in about as few as the conflicts allow, so that the last
    waves are not left with the hosts nothing else could go with. The
    lightest group (least RAM to move per host) goes first.
    """
    neighbours = vnf_conflicts(snapshot, hosts)
    size = max(1, options.hosts_per_wave)
    groups: list[list[str]] = []
    seen: dict[str, set[int]] = {h: set() for h in hosts}
    # Most saturated first, then most conflicts, tightest, name: a heap of
    # (-saturation, static rank) entries, stale ones skipped.
    static = {h: i for i, h in enumerate(sorted(
        hosts, key=lambda h: (-len(neighbours[h]), -tightness.get(h, 0.0), h)))}
    heap = [(0, static[h], h) for h in hosts]
    heapq.heapify(heap)
    left = set(hosts)
    while left:
        sat, _, host = heapq.heappop(heap)
        if host not in left or -sat != len(seen[host]):
            continue
        left.discard(host)
        pick = next((i for i, g in enumerate(groups) if i not in seen[host] and len(g) < size), None)
        if pick is None:
            pick = len(groups)
            groups.append([])
        groups[pick].append(host)
        for other in neighbours[host]:
            if other in left and pick not in seen[other]:
                seen[other].add(pick)
                heapq.heappush(heap, (-len(seen[other]), static[other], other))
    # The group with the least to move goes first: what leaves the first wave
    # finds no upgraded host yet and moves twice.
    weight = movable or {}
    groups.sort(key=lambda g: (sum(weight.get(h, 0) for h in g) / max(1, len(g)), g))
    if movers and len(groups) > 1:
        # First the group that sends the fewest servers away: they all move twice.
        first = min(range(len(groups)), key=lambda i: (sum(movers.get(h, 0) for h in groups[i]), i))
        groups.insert(0, groups.pop(first))
    return [h for group in groups for h in group]



def fewest_moves_order(plan: Plan, order: list[str]) -> list[str]:
    """``order``'s hosts by the servers ``plan`` migrates from each, fewest first.

    Whatever leaves the first wave finds no upgraded host and moves twice:
    the wave builder fed this order fills its first wave, within every rule,
    with the hosts whose servers are mostly switched over or parked in place.
    """
    moves = dict.fromkeys(order, 0)
    for _, step, action in plan.actions():
        if action.kind in MOVING_ACTIONS:
            moves[step.host] = moves.get(step.host, 0) + 1
    # Ties keep ``order`` (stable sort): its active hosts stay after their standbys'.
    return sorted(order, key=lambda h: moves.get(h, 0))


def _round_robin(groups: list[list[str]]) -> list[list[str]]:
    out: list[list[str]] = []
    for i in range(max((len(g) for g in groups), default=0)):
        out.append([g[i] for g in groups if i < len(g)])
    return out


def _perturb(order: list[str], plan: Plan, rng: random.Random) -> list[str]:
    """A neighbour of ``order``: regroup the plan's waves, or move hosts around.

    Regrouping (the waves' hosts, wave by wave, waves shuffled) is the
    iterated greedy of graph colouring: first-fit over it never needs more
    waves than the plan it came from, and often fewer.
    """
    order = list(order)
    n = len(order)
    if n < 2:
        return order
    move = rng.random()
    if move < 0.3:
        waves = [list(w.host_names) for w in plan.waves]
        if rng.random() < 0.5:
            waves.sort(key=len)
        else:
            rng.shuffle(waves)
        return [h for wave in waves for h in wave]
    move = rng.random()
    i, j = sorted(rng.sample(range(n), 2))
    if move < 0.4:
        order[i], order[j] = order[j], order[i]
    elif move < 0.7:
        order.insert(i, order.pop(j))
    else:
        order[i : j + 1] = reversed(order[i : j + 1])
    return order


def optimized(
    snapshot: Snapshot,
    options: PlanOptions,
    *,
    scorer: Scorer | None = None,
    final_scorer: Scorer | None = None,
    timings: Timings | None = None,
    sim_params: SimParams | None = None,
    **_: object,
) -> Plan:
    """Search host orders for the plan with the best score within the evaluation budget.

    ``scorer`` ranks every candidate (fast: the estimate by default, with
    the means of ``sim_params``); ``final_scorer`` (for example
    ``planner.simulation.simulator_scorer``) re-ranks the best few at the end.
    Both are deterministic, so the plan is too.
    """
    snapshot = canonical(snapshot)
    if timings is None:
        timings = timings_from(sim_params) if sim_params is not None else default_timings()
    budget = search_evaluations(snapshot, options)
    started = time.monotonic()
    deadline = started + options.time_budget_s
    builder = WaveBuilder(
        snapshot,
        options,
        WaveRules(
            max_hosts=options.hosts_per_wave,
            explicit_targets=True,
            vnf_first=True,
            one_group_member_per_wave=False,
        ),
        timings,
    )
    if scorer is None:
        # A wave lasts as long as its slowest host: with the laws of the fixed
        # steps, fuller waves and drains grouped together cost what they do.
        clock = wave_clock(sim_params if sim_params is not None else SimParams())

        def scorer(plan: Plan) -> float:
            return estimate_duration(snapshot, plan, timings, options.concurrent_migrations, clock)

    def rank(plan: Plan) -> tuple[float, int, float]:
        # A second of VNF outage weighs OUTAGE_WEIGHT seconds of upgrade (a
        # server without HA cold-migrated twice is two outages); durations
        # within half a minute are a tie (well inside the simulated spread):
        # then fewer servers moved twice, then less outage, win.
        outage = expected_outage_s(builder, plan)
        twice = moved_twice(plan)
        weighted = (scorer(plan) + OUTAGE_WEIGHT * outage + MOVED_TWICE_WEIGHT * twice) / 30.0
        # A stop-start of a server without HA has no bounded outage: ranked last.
        return (round(weighted) if math.isfinite(weighted) else math.inf, twice, outage)

    best: tuple[tuple[float, int, float], list[str], Plan] | None = None
    failure: NoPlanError | None = None
    finalists: dict[tuple[float, int, float], Plan] = {}
    used = 0
    cut_short = False

    def remember(score: tuple[float, int, float], plan: Plan) -> None:
        finalists[score] = plan
        if len(finalists) > FINALISTS:
            del finalists[max(finalists)]

    orders = seed_orders(snapshot, options, timings)
    # The colouring twice: with cold migrations waiting for upgraded hosts,
    # and without (bigger waves, a cold-migrated server may move twice).
    # (Third: with the least budget, the two strict starts judge better by the estimate.)
    starts = [(orders[0], True), (orders[1], True), (orders[0], False), *((o, True) for o in orders[2:])]
    waits = True
    for order, cold_waits in starts:
        # The starting orders always run: a plan needs at least one.
        if best is not None and (used >= budget or time.monotonic() >= deadline):
            cut_short = cut_short or used < budget
            break
        used += 1
        builder.cold_waits = cold_waits
        try:
            plan = builder.build(order, "optimized")
        except NoPlanError as exc:
            failure = failure or exc
            continue
        score = rank(plan)
        remember(score, plan)
        if best is None or score < best[0]:
            best, waits = (score, order, plan), cold_waits
    if best is None:
        assert failure is not None
        return _fallback(snapshot, options, failure)
    # The best start with the first wave of a build whose order is fewest
    # moves first (fewest_moves_order), the rest in the best's order: two
    # evaluations; the local search also runs from it, and its best is
    # judged at the end (_fewer_moved_twice). Only within the budget (not
    # at 1000 hosts, where the starting orders use it all).
    lean: Plan | None = None
    if len(best[1]) > 1 and moved_twice(best[2]) > 0 and used + 2 <= budget:
        builder.cold_waits = waits
        try:
            used += 1
            probe = builder.build(fewest_moves_order(best[2], best[1]), "optimized")
            first = [step.host for step in probe.waves[0].hosts]
            lean_order = first + [h for h in best[1] if h not in set(first)]
            used += 1
            lean = builder.build(lean_order, "optimized")
        except NoPlanError:
            lean = None
    # What the final re-ranking costs comes out of the same budget.
    finals = 0
    if final_scorer is not None:
        finals = min(FINALISTS, max(0, (budget - SEED_ORDERS) // (2 * SIMULATION_COST)))
    search_budget = budget - finals * SIMULATION_COST
    builder.cold_waits = waits

    def descend(
        start: tuple[tuple[float, int, float], list[str], Plan], steps: int, rng: random.Random
    ) -> tuple[tuple[float, int, float], list[str], Plan]:
        nonlocal used, cut_short
        top = start
        for _ in range(steps):
            if len(top[1]) < 2:
                break
            if time.monotonic() >= deadline:
                cut_short = True
                break
            used += 1
            order = _perturb(top[1], top[2], rng)
            try:
                plan = builder.build(order, "optimized")
            except NoPlanError:
                continue
            score = rank(plan)
            remember(score, plan)
            if score <= top[0]:
                top = (score, order, plan)
        return top

    # The budget is shared: two thirds of the local search from the better
    # ranked of the best start and the lean one, a third from the other.
    steps = max(0, search_budget - used)
    other: tuple[tuple[float, int, float], list[str], Plan] | None = None
    if lean is not None:
        lean_start = (rank(lean), lean_order, lean)
        remember(lean_start[0], lean)
        if lean_start[0] < best[0]:
            best, other = lean_start, best
        else:
            other = lean_start
    side_steps = steps // 3 if other is not None else 0
    best = descend(best, steps - side_steps, random.Random(options.seed))
    side = None if other is None else descend(other, side_steps, random.Random(f"{options.seed}/side"))[2]
    chosen = best[2]
    simulated = 0
    if final_scorer is not None and finals >= 2 and len(finalists) >= 2 and not cut_short:
        # Re-rank the best finalists by the simulator; a cap reached here
        # keeps the search's own best (a partial re-ranking would depend on time).
        judged: list[tuple[float, tuple[float, int, float], Plan]] = []
        for score, plan in sorted(finalists.items(), key=lambda item: item[0])[:finals]:
            if time.monotonic() >= deadline:
                cut_short = True
                break
            judged.append((final_scorer(plan), score, plan))
        simulated = len(judged)
        if not cut_short:
            chosen = min(judged, key=lambda item: (item[0], item[1]))[2]
    # The simulator at mean durations (one deterministic run) has the last
    # word on outage: the estimate's outage misses the order of switchovers.
    at_means = _at_means(sim_params if sim_params is not None else SimParams())

    def simulated_outage(plan: Plan) -> float:
        return sum(simulate(snapshot, plan, at_means, options.seed).vnf_outage_s.values())

    if (side is not None and simulated_outage(side) + MOVED_TWICE_OUTAGE_SLACK_S < simulated_outage(chosen)
            and scorer(side) <= scorer(chosen) * (1.0 + MOVED_TWICE_SHARE)):
        # The other search's best loses less VNF outage at about the same duration.
        chosen = side
    chosen = _fewer_moved_twice(chosen, [*finalists.values(), *([side] if side is not None else [])],
                                scorer, lambda plan: expected_outage_s(builder, plan), simulated_outage)
    search = {"evaluations": used, "budget": budget, "simulated": simulated, "cut_short": cut_short}
    warnings = list(chosen.warnings)
    if cut_short:
        warnings.append(
            f"the search was cut short by its time cap ({options.time_budget_s:g} s) after "
            f"{used} of {budget} evaluations: the same inputs may give another plan; "
            "raise time_budget_s or lower evaluations"
        )
    return replace(chosen, warnings=tuple(warnings), search=search)


def _at_means(params: SimParams) -> SimParams:
    """``params`` with every duration fixed at its mean."""
    return replace(params, **{  # type: ignore[arg-type]
        f.name: Fixed(value.mean) for f in fields(params)
        if hasattr(value := getattr(params, f.name), "mean") and hasattr(value, "sample")
    })


def _fewer_moved_twice(
    chosen: Plan, candidates: list[Plan], scorer: Scorer, outage: Callable[[Plan], float],
    simulated_outage: Callable[[Plan], float],
) -> Plan:
    """The candidate that moves the fewest servers twice, if it costs at most MOVED_TWICE_SHARE more time.

    Its expected VNF outage must be no larger than ``chosen``'s, and its
    outage simulated at mean durations at most MOVED_TWICE_OUTAGE_SLACK_S
    larger: fewer second moves are not bought with outage. Deterministic:
    candidates are compared by (servers moved twice, estimate, outage),
    never by identity.
    """
    twice = moved_twice(chosen)
    if twice == 0 or not candidates:
        return chosen
    limit = scorer(chosen) * (1.0 + MOVED_TWICE_SHARE)
    own_outage = outage(chosen)
    best: tuple[int, float, float] | None = None
    pick = chosen
    for plan in candidates:
        n = moved_twice(plan)
        if n >= twice:
            continue
        duration, lost = scorer(plan), outage(plan)
        if duration > limit or lost > own_outage + 1e-9:
            continue
        key = (n, duration, lost)
        if best is None or key < best:
            best, pick = key, plan
    if pick is not chosen and simulated_outage(pick) > simulated_outage(chosen) + MOVED_TWICE_OUTAGE_SLACK_S:
        return chosen
    return pick


def _fallback(snapshot: Snapshot, options: PlanOptions, failure: NoPlanError) -> Plan:
    """When no order of the search yields a plan, the baselines' rules may: never plan less than they do.

    The VNF-first, upgraded-first placement can fill the destinations a big
    server without HA needed; Nova's own spreading sometimes leaves room.
    """
    for name, strategy in (("parallel", parallel), ("az-by-az", az_by_az), ("serial", serial)):
        try:
            plan = strategy(snapshot, options)
        except NoPlanError:
            continue
        note = (f"planned by the {name} strategy's rules: no order of the optimized search "
                f"found a plan ({failure.reasons[0] if failure.reasons else 'no reason given'})")
        return replace(plan, strategy="optimized", warnings=(*plan.warnings, note))
    raise failure
