"""The forced-waves term with drains and conflict sets is never above the best plan's expected waves.

Brute force over every way to split a few hosts into waves (at most
``at_once`` each, at least ``waves`` of them, no two hosts of one conflict
set together): each wave costs E[max over its hosts of drain + fixed
steps] with the fixed steps drawn from the simulator's laws (on the same
one-second grid the bound uses). The bound's programme must never exceed
the least of these costs, and it is exact when no conflict set is given.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from planner.lowerbound import _drained_waves, _wave_means, fixed_laws, fixed_steps_pmf
from simulator.params import SimParams

LAWS = fixed_laws(SimParams())
GRID = fixed_steps_pmf(LAWS)
VALUES = [v for v, _ in GRID]
PROBS = [p for _, p in GRID]


_CDF: dict[int, float] = {}
_running = 0.0
for _v in range(VALUES[0], VALUES[-1] + 1):
    _running += dict(GRID).get(_v, 0.0)
    _CDF[_v] = min(1.0, _running)


def _cdf(x: int) -> float:
    return 0.0 if x < VALUES[0] else 1.0 if x >= VALUES[-1] else _CDF[x]


def expected_wave(drains: list[int]) -> float:
    """E[max_i(d_i + F_i)] for independent F_i of the laws (exact on the grid)."""
    low = VALUES[0] + max(drains)
    high = VALUES[-1] + max(drains)
    total = float(low)
    for x in range(low, high):
        p = 1.0
        for d in drains:
            p *= _cdf(x - d)
        total += 1.0 - p
    return total


def partitions(items: list[int]):
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for part in partitions(rest):
        for i in range(len(part)):
            yield part[:i] + [[first, *part[i]]] + part[i + 1 :]
        yield [[first], *part]


def best_plan(drains: list[int], waves: int, at_once: int, sets: list[set[int]], cost) -> float:
    best = float("inf")
    for part in partitions(list(range(len(drains)))):
        if len(part) < waves or any(len(w) > at_once for w in part):
            continue
        if any(len(set(w) & s) > 1 for w in part for s in sets):
            continue
        best = min(best, sum(cost([drains[h] for h in w]) for w in part))
    return best


@st.composite
def cases(draw):
    n = draw(st.integers(1, 6))
    drains = draw(st.lists(st.integers(0, 400), min_size=n, max_size=n))
    at_once = draw(st.integers(1, n))
    waves = draw(st.integers(1, n))
    # Disjoint conflict sets over the hosts.
    labels = draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    sets = [{h for h in range(n) if labels[h] == k} for k in range(3)]
    sets = [s for s in sets if len(s) > 1]
    waves = max(waves, max((len(s) for s in sets), default=1))
    return drains, waves, at_once, sets


@settings(max_examples=150, deadline=None)
@given(case=cases())
def test_the_waves_term_never_exceeds_the_best_plan(case):
    drains, waves, at_once, sets = case
    means = _wave_means(LAWS, max(1, at_once))
    sizes = tuple(len(s) for s in sets)
    bound = _drained_waves([float(d) for d in drains], waves, at_once, means, 0.0, sizes)
    best = best_plan(drains, waves, at_once, sets, expected_wave)
    assert bound <= best + 1e-6, (bound, best)
    # Without laws: every host's fixed steps are one constant, a wave lasts its largest drain more.
    fixed = _drained_waves([float(d) for d in drains], waves, at_once, (), 1000.0, sizes)
    assert fixed <= best_plan(drains, waves, at_once, sets, lambda w: 1000.0 + max(w)) + 1e-6


def test_without_conflict_sets_the_fixed_steps_programme_is_exact():
    drains = [300, 120, 40, 0, 0]
    # Three waves of at most two hosts: the best is {300, 120}, {40, 0}, {0}.
    exact = best_plan(drains, 3, 2, [], lambda w: 1000.0 + max(w))
    assert exact == 3000.0 + 300 + 40 + 0
    assert _drained_waves([float(d) for d in drains], 3, 2, (), 1000.0) == exact


def test_conflict_sets_raise_the_term_above_the_plain_packing():
    # Two sets of three hosts that pairwise conflict, three waves of up to six:
    # the plain packing would put four hosts in one wave and leave two alone;
    # every wave holds one host of each set, so three waves of two.
    means = _wave_means(LAWS, 6)
    plain = _drained_waves([0.0] * 6, 3, 6, means, 0.0)
    sets = _drained_waves([0.0] * 6, 3, 6, means, 0.0, (3, 3))
    assert plain < sets <= 3 * means[2] + 1e-6
    assert sets > 3 * means[2] - 5.0
