"""Servers moved twice: optimized's first wave sends few servers away (nothing is upgraded yet)."""

from __future__ import annotations

from inventory.demo import generate
from planner.options import PlanOptions
from planner.strategies import make_plan
from planner.validator import validate


def test_optimized_moves_no_more_servers_twice_than_serial_on_the_100_host_demo():
    # Before the lean start, optimized moved 46 servers twice here and serial 29:
    # its first wave of 10 hosts live-migrated their actives to hosts upgraded later.
    snap = generate(100, 1)
    options = PlanOptions(hosts_per_wave=10, seed=1, time_budget_s=60)
    optimized = make_plan("optimized", snap, options)
    serial = make_plan("serial", snap, options)
    report = validate(snap, optimized)
    assert report.ok
    assert report.moved_twice <= validate(snap, serial).moved_twice
    assert optimized.search["evaluations"] <= optimized.search["budget"]
