"""The export format matches its documented schema; what-if compares strategies; the commands."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from jsonschema import Draft202012Validator

from inventory.demo import generate
from inventory.files import dumps_inventory
from planner.export import estimate_from_summary, plan_from_dict, plan_to_dict, to_csv
from planner.options import PlanOptions
from planner.precheck import CHECKS
from planner.strategies import STRATEGIES, make_plan
from planner.whatif import compare, format_table
from tests.planner.builder import three_hosts

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" / "plan.schema.json").read_text())
VALIDATOR = Draft202012Validator(SCHEMA)


@pytest.mark.parametrize("name", list(STRATEGIES))
def test_every_strategy_exports_to_the_documented_schema_and_reads_back(name):
    snap = three_hosts()
    plan = make_plan(name, snap, PlanOptions(time_budget_s=0.1))
    document = plan_to_dict(plan, snap)
    assert list(VALIDATOR.iter_errors(document)) == []
    assert plan_from_dict(json.loads(json.dumps(document))) == plan
    rows = list(csv.DictReader(io.StringIO(to_csv(document))))
    # One row per action, and one empty row per host without servers.
    assert [(r["host"], r["server"], r["action"], r["target"]) for r in rows if r["server"]] == [
        (step.host, a.server, a.kind.value, a.target or "") for _, step, a in plan.actions()
    ]
    empty = [step.host for _, step in plan.host_steps() if not step.actions]
    assert [r["host"] for r in rows if not r["server"]] == empty


def test_the_schema_refuses_an_unknown_action_kind():
    snap = three_hosts()
    document = plan_to_dict(make_plan("serial", snap), snap)
    document["waves"][0]["hosts"][0]["actions"][0]["kind"] = "teleport"
    errors = list(VALIDATOR.iter_errors(document))
    assert len(errors) == 1 and "'teleport' is not one of" in errors[0].message


def test_an_export_with_its_estimate_matches_the_schema():
    snap = three_hosts()
    document = plan_to_dict(make_plan("serial", snap), snap)
    pct = {"p50": 1.0, "p95": 2.0, "p99": 2.5, "max": 3.0, "mean": 1.2}
    document["estimate"] = estimate_from_summary(
        {"duration_s": pct, "total_vnf_outage_s": pct, "vnf_outage_s": {"fw": pct}},
        runs=20, seed=1, lower_bound_s=1000.0,
    )
    assert list(VALIDATOR.iter_errors(document)) == []


def test_whatif_compares_strategies_on_one_inventory():
    snap = generate(12, seed=2)
    comparison = compare(
        snap, ["serial", "optimized"], PlanOptions(hosts_per_wave=2, time_budget_s=0.3), runs=2, seed=1
    )
    serial, optimized = comparison.result("serial"), comparison.result("optimized")
    assert serial.waves == 12 and serial.validation.ok and optimized.validation.ok
    assert optimized.waves < serial.waves
    assert optimized.simulation.duration_s["p50"] < serial.simulation.duration_s["p50"]
    assert optimized.ratio(comparison.lower_bound) >= 1.0
    table = format_table(comparison)
    lines = table.splitlines()
    assert lines[0].split()[:4] == ["strategy", "waves", "migr.", "moved"]
    assert lines[2].startswith("serial ") and lines[3].startswith("optimized ")
    data = json.loads(json.dumps(comparison.to_dict()))
    assert [s["strategy"] for s in data["strategies"]] == ["serial", "optimized"]
    assert set(data["strategies"][0]) >= {
        "waves", "migrations", "moved_twice", "duration_s", "ratio_to_lower_bound",
        "total_vnf_outage_s", "worst_vnf_outage_s", "sla_violations", "valid",
    }


def test_whatif_reports_a_strategy_without_a_plan():
    from tests.planner.builder import cloud, host, server

    snap = cloud([host("h1", ram_gib=8), host("h2", ram_gib=8)], [server("a", "h1"), server("b", "h2")])
    comparison = compare(snap, ["serial"], runs=1)
    assert comparison.result("serial").error[0].startswith("capacity: ")
    assert "serial: no plan: capacity: " in format_table(comparison)


@pytest.fixture
def demo_file(tmp_path):
    path = tmp_path / "demo.json"
    path.write_text(dumps_inventory(generate(9, seed=4), fmt="json"))
    return path


def test_whatif_command_prints_json_without_a_database(demo_file, capsys):
    call_command("whatif", str(demo_file), "--strategies", "serial,optimized", "--runs", "1",
                 "--time-budget", "0.2", "--hosts-per-wave", "2", "--json")
    data = json.loads(capsys.readouterr().out)
    assert [s["strategy"] for s in data["strategies"]] == ["serial", "optimized"]
    assert all(s["valid"] for s in data["strategies"])
    assert data["hosts"] == 9


def test_whatif_command_refuses_unknown_strategies(demo_file):
    with pytest.raises(CommandError, match="unknown strategies: fastest"):
        call_command("whatif", str(demo_file), "--strategies", "serial,fastest")


def test_precheck_command_on_a_file_exits_by_its_verdict(demo_file, tmp_path, capsys):
    call_command("precheck", "--file", str(demo_file), "--json")
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True and data["counts"]["fail"] == 0
    assert len(data["items"]) == len(CHECKS)
    broken = json.loads(demo_file.read_text())
    broken["servers"][0]["status"] = "ERROR"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(broken))
    with pytest.raises(CommandError) as caught:
        call_command("precheck", "--file", str(bad))
    assert caught.value.returncode == 1
    out = capsys.readouterr().out
    assert f"FAIL  No server in ERROR\n      1 server(s) in ERROR: {broken['servers'][0]['name']}" in out


@pytest.mark.django_db
def test_precheck_command_reads_the_stored_inventory(demo_file, capsys):
    from inventory.services import import_file

    import_file(demo_file)
    call_command("precheck", "--json")
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True
    assert [i["id"] for i in data["items"]][:2] == ["health.services-up", "health.services-enabled"]
    with pytest.raises(CommandError, match="No cloud named 'nowhere'"):
        call_command("precheck", "--cloud", "nowhere")
