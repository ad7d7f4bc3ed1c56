"""A stored inventory's migration_type reaches the plans and the pre-check (the database, not a builder)."""

from __future__ import annotations

import pytest

from inventory.files import parse_inventory
from inventory.services import replace_inventory
from planner import services
from planner.models import Plan

pytestmark = pytest.mark.django_db


def _store(cloud_doc, **types):
    cloud_doc["format_version"] = 2
    for vnf in cloud_doc["vnfs"]:
        if vnf["name"] in types:
            vnf["migration_type"] = types[vnf["name"]]
    replace_inventory(parse_inventory(cloud_doc))


def _kinds(plan, *servers):
    return {a["kind"] for w in plan.content["waves"] for h in w["hosts"] for a in h["actions"]
            if a["server"] in servers}


@pytest.mark.parametrize("strategy", ["serial", "optimized"])
def test_a_stored_plan_keeps_each_vnfs_migration_type(cloud_doc, role_users, strategy):
    _store(cloud_doc, firewall="own_action", loadbalancer="own_action", dpi="migrate")
    plan = services.create_plan(role_users["planner"], strategy, {"hosts_per_wave": 1})
    assert plan.validation["ok"] is True
    assert _kinds(plan, "fw-a", "fw-b") == {"switchover"}
    assert _kinds(plan, "lb-1", "lb-2", "lb-3") == {"switchover"}
    assert _kinds(plan, "dpi") == {"cold-migrate"}


def test_a_migration_type_that_cannot_be_honoured_is_refused_naming_the_vnf(cloud_doc, role_users):
    # dpi has an SR-IOV port: it cannot live-migrate.
    _store(cloud_doc, dpi="live_migrate")
    before = Plan.objects.exclude(state="failed").count()
    with pytest.raises(services.WorkflowError) as caught:
        services.create_plan(role_users["planner"], "parallel", {"hosts_per_wave": 1})
    message = str(caught.value)
    assert "dpi: it cannot live-migrate (SR-IOV port)" in message
    assert "VNF dpi's migration_type live_migrate allows only live-migrate" in message
    assert Plan.objects.exclude(state="failed").count() == before
    run = services.run_precheck(role_users["planner"])
    item = next(i for i in run.items if i["id"] == "vnf.migration-type")
    assert (item["status"], item["subjects"]) == ("fail", ["dpi"])
    assert run.ok is False


def test_edited_content_against_a_migration_type_fails_validation_naming_server_and_vnf(
        cloud_doc, role_users):
    _store(cloud_doc, firewall="own_action")
    plan = services.create_plan(role_users["planner"], "serial", {"hosts_per_wave": 1})
    content = plan.content
    for wave in content["waves"]:
        for host in wave["hosts"]:
            for action in host["actions"]:
                if action["server"] == "fw-a":
                    assert action["kind"] == "switchover"
                    action.update(kind="cold-migrate", target=None)
    plan = services.change_content(plan, role_users["planner"], content, "cold-migrate fw-a")
    assert plan.validation["ok"] is False
    found = [v for v in plan.validation["violations"] if v["rule"] == "migration-type"]
    assert [(v["server"], v["message"].split(": ", 1)[1]) for v in found] == [
        ("fw-a", "cold-migrate of fw-a on cmp1, but its VNF firewall has migration_type "
                 "own_action (switchover only)")]


def test_a_refusal_suggests_the_migration_type_not_an_action_it_forbids(cloud_doc, role_users):
    # The lab's firewall pair, anti-affine on the two hosts of its zone, has nowhere to
    # live-migrate: switching it over (or stopping it) is what its migration_type forbids.
    _store(cloud_doc, firewall="live_migrate")
    with pytest.raises(services.WorkflowError) as caught:
        services.create_plan(role_users["planner"], "optimized", {"hosts_per_wave": 1})
    message = str(caught.value)
    assert "or set firewall's migration_type to any (now live_migrate)" in message
    assert "allow stop-start of fw-a" not in message
    assert ("no allowed action or destination for fw-a: every host with room holds a member of "
            "its anti-affinity group fw-aa (VNF firewall's migration_type live_migrate allows "
            "only live-migrate)") in message
