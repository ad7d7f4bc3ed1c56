"""Same inventory, options and seed: the same plan, byte for byte, in any process and either command."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from django.core.management import call_command

from inventory.demo import generate
from inventory.files import dumps_inventory
from planner.export import document_hash, plan_to_dict
from planner.options import PlanOptions
from planner.strategies import make_plan

ROOT = Path(__file__).resolve().parents[2]
ARGS = ("--strategies", "optimized", "--runs", "1", "--seed", "3", "--hosts-per-wave", "2",
        "--time-budget", "60")


@pytest.fixture
def demo_file(tmp_path):
    path = tmp_path / "demo.json"
    path.write_text(dumps_inventory(generate(14, seed=5), fmt="json"))
    return path


def _whatif_in_a_process(path: Path, hash_seed: str) -> dict:
    # A different PYTHONHASHSEED per process: set and dict orders built from
    # hashes differ, the plan must not.
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    out = subprocess.run(
        [sys.executable, "manage.py", "whatif", str(path), *ARGS, "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=True,
    ).stdout
    return json.loads(out)["strategies"][0]


def test_two_processes_give_the_same_optimized_plan(demo_file):
    first = _whatif_in_a_process(demo_file, "1")
    second = _whatif_in_a_process(demo_file, "2")
    assert first["error"] == [] and first["valid"] is True
    # The search ran its whole counted budget: nothing was cut by the clock.
    assert first["plan"]["search"]["cut_short"] is False
    assert first["plan"]["search"]["evaluations"] > 4
    assert first["plan_hash"] == second["plan_hash"]
    assert first["plan"] == second["plan"]
    assert first["plan_hash"] == document_hash(first["plan"])


def test_the_order_of_the_inventory_does_not_change_the_plan():
    snap = generate(12, seed=2)
    shuffled = replace(snap, hosts=snap.hosts[::-1], servers=snap.servers[::-1])
    options = PlanOptions(hosts_per_wave=2, seed=4, time_budget_s=60)
    one, other = make_plan("optimized", snap, options), make_plan("optimized", shuffled, options)
    assert plan_to_dict(one, snap) == plan_to_dict(other, shuffled)


def test_another_seed_may_search_elsewhere_but_is_just_as_repeatable():
    snap = generate(12, seed=2)
    options = PlanOptions(hosts_per_wave=2, seed=9, time_budget_s=60, evaluations=30)
    plan = make_plan("optimized", snap, options)
    assert plan.search == {"evaluations": 30, "budget": 30, "simulated": 0, "cut_short": False}
    assert make_plan("optimized", snap, options) == plan


def test_a_time_cap_that_cuts_the_search_says_so_on_the_plan():
    snap = generate(12, seed=2)
    plan = make_plan("optimized", snap, PlanOptions(hosts_per_wave=2, time_budget_s=0.0))
    assert plan.search["cut_short"] is True
    assert plan.search["evaluations"] < plan.search["budget"]
    assert any(w.startswith("the search was cut short by its time cap (0 s) after ") for w in plan.warnings)
    assert plan_to_dict(plan, snap)["warnings"] == list(plan.warnings)


@pytest.mark.django_db
def test_whatif_and_manage_py_plan_give_the_same_plan(demo_file, role_users, capsys):
    from inventory.services import import_file

    import_file(demo_file)
    call_command("whatif", str(demo_file), *ARGS, "--json")
    judged = json.loads(capsys.readouterr().out)["strategies"][0]
    out = io.StringIO()
    call_command("plan", "--strategy", "optimized", "--seed", "3", "--hosts-per-wave", "2",
                 "--time-budget", "60", "--user", "planner-1", "--json", stdout=out)
    stored = json.loads(out.getvalue())
    assert stored["valid"] is True
    assert stored["content_hash"] == judged["plan_hash"]
