"""Plans from the command line: saved, then exported in each format."""

from __future__ import annotations

import csv
import io
import json

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from inventory.services import load_snapshot
from planner.export import plan_from_dict
from planner.models import Plan
from planner.validator import validate

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_plan_then_export(lab_cloud, role_users):
    result = json.loads(_run("plan", "--strategy", "parallel", "--hosts-per-wave", "2",
                             "--user", "planner-1", "--json"))
    plan = Plan.objects.get(pk=result["id"])
    assert result["state"] == "draft" and result["valid"] is True
    assert plan.author.username == "planner-1"
    assert result["waves"] == len(plan.content["waves"]) >= 2

    document = json.loads(_run("export_plan", str(plan.pk), "--format", "json"))
    assert document["format_version"] == 1
    assert document["target_release"] == {"name": "2026.2", "components": {
        "nova-compute": "31.0.0", "libvirt": "10.2.0"}}
    assert document["plan"]["content_hash"] == plan.content_hash
    assert validate(load_snapshot(), plan_from_dict(document)).ok

    assert yaml.safe_load(_run("export_plan", str(plan.pk), "--format", "yaml")) == document
    rows = list(csv.DictReader(io.StringIO(_run("export_plan", str(plan.pk), "--format", "csv"))))
    actions = [a for w in document["waves"] for h in w["hosts"] for a in h["actions"]]
    assert [(r["server"], r["action"]) for r in rows] == [(a["server"], a["kind"]) for a in actions]
    assert {r["server"] for r in rows} == {"fw-a", "fw-b", "lb-1", "lb-2", "lb-3", "dpi"}
    assert all(r["source"] for r in rows)


def test_plan_refuses_a_viewer_and_unknown_plans(lab_cloud, role_users):
    with pytest.raises(CommandError, match="role does not allow"):
        _run("plan", "--strategy", "serial", "--user", "viewer-1")
    with pytest.raises(CommandError, match="No plan 999"):
        _run("export_plan", "999")
    assert Plan.objects.count() == 0


def test_simulate_command_keeps_the_result_and_marks_the_plan(lab_cloud, role_users):
    plan_id = json.loads(_run("plan", "--strategy", "serial", "--user", "planner-1",
                              "--json"))["id"]
    result = json.loads(_run("simulate", str(plan_id), "--runs", "3", "--user", "planner-1",
                             "--json"))
    assert result["summary"]["runs"] == 3
    assert result["summary"]["duration_s"]["p50"] > 0
    plan = Plan.objects.get(pk=plan_id)
    assert plan.state == "simulated"
    assert plan.latest_simulation.pk == result["simulation"]
    with pytest.raises(CommandError, match="unknown simulation parameters: warp_factor"):
        _run("simulate", str(plan_id), "--params", '{"warp_factor": 9}', "--user", "planner-1")
