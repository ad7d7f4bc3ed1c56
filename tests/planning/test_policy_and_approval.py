"""What an approval covers: the policy apart from the content, the estimate seen, four eyes."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from planner import services
from planner.models import Plan
from planner.tasks import run_simulation

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _simulate(plan, user, **params):
    simulation = services.request_simulation(plan, user, runs=2, start=False, params=params or None)
    run_simulation(simulation.pk)
    return simulation


def _submitted(user, strategy: str = "parallel", **options) -> Plan:
    plan = services.create_plan(user, strategy, {"hosts_per_wave": 4, **options})
    _simulate(plan, user)
    plan.refresh_from_db()
    return services.submit_plan(plan, user)


def test_a_larger_hosts_per_wave_in_the_content_does_not_loosen_the_plan(lab_cloud, role_users):
    planner = role_users["planner"]
    plan = services.create_plan(planner, "parallel", {"hosts_per_wave": 4})
    merged = plan.content
    merged["waves"] = [{"hosts": [h for w in plan.content["waves"] for h in w["hosts"]]}]
    strict = services.change_content(plan, planner, merged)
    assert "wave-size" not in {v["rule"] for v in strict.validation["violations"]}  # 4 fit in 4
    # Two hosts a wave is the policy now: the same content breaks it.
    services.change_policy(strict, planner, {**strict.options, "hosts_per_wave": 2})
    plan = Plan.objects.get(pk=plan.pk)
    assert "wave-size" in {v["rule"] for v in plan.validation["violations"]}
    # The bound of the duration is the new policy's.
    from planner.lowerbound import lower_bound
    from planner.options import PlanOptions

    expected = lower_bound(services.plan_snapshot(plan), PlanOptions.from_dict(plan.options))
    assert plan.validation["lower_bound"]["hosts_at_once"] == expected.hosts_at_once
    assert plan.lower_bound_s == expected.value >= strict.lower_bound_s
    verdict = plan.validation

    loosened = {**plan.content, "options": {**plan.options, "hosts_per_wave": 10}}
    answer = _api(planner).put(f"/api/plans/{plan.pk}/content/", {"content": loosened},
                               format="json")
    assert answer.status_code == 400
    assert "options are the plan's policy" in answer.json()["detail"]
    plan.refresh_from_db()
    assert plan.validation == verdict and plan.options["hosts_per_wave"] == 2


def test_changing_the_policy_sends_an_approved_plan_back_to_draft(lab_cloud, role_users):
    plan = _submitted(role_users["planner"])
    services.approve_plan(plan, role_users["approver"])
    answer = _api(role_users["planner"]).put(
        f"/api/plans/{plan.pk}/policy/", {"options": {**plan.options, "az_share": 0.5}},
        format="json")
    assert answer.status_code == 200, answer.content
    plan.refresh_from_db()
    assert (plan.state, plan.approved_hash, plan.approved_simulation) == ("draft", "", None)
    event = plan.events.last()
    assert (event.action, event.from_state) == ("policy changed", "approved")
    assert "az_share 1.0 -> 0.5" in event.comment and "approval withdrawn" in event.comment


def test_a_what_if_variant_leaves_the_approved_estimate_alone(lab_cloud, role_users):
    plan = _submitted(role_users["planner"])
    seen = plan.headline_simulation
    services.approve_plan(plan, role_users["approver"])
    plan.refresh_from_db()
    assert plan.approved_simulation == seen

    variant = _simulate(plan, role_users["planner"], bandwidth_factor=0.1)
    plan.refresh_from_db()
    assert variant.pk != seen.pk
    assert plan.headline_simulation == seen
    assert services.is_approved_as_is(plan)
    requested = plan.events.filter(action="simulation requested").last()
    assert requested.actor == role_users["planner"]
    assert "what-if variant bandwidth_factor=0.1" in requested.comment
    page = _api(role_users["viewer"]).get(f"/api/plans/{plan.pk}/").json()
    assert page["approved_simulation"] == seen.pk


def test_whoever_changed_a_plan_cannot_approve_it_whatever_their_roles(lab_cloud, role_users):
    author, editor = role_users["planner2"], role_users["planner"]
    editor.groups.add(Group.objects.get(name="approver"))
    plan = _submitted(author, "optimized")
    content = plan.content
    wave = next(w for w in content["waves"] if len(w["hosts"]) > 1)
    wave["hosts"].reverse()  # the same plan, written in another order
    services.change_content(plan, editor, content, "my order")
    plan.refresh_from_db()
    _simulate(plan, author)
    plan = services.submit_plan(Plan.objects.get(pk=plan.pk), author)
    del editor._escalator_roles
    with pytest.raises(services.NotAllowed, match="created or changed this plan"):
        services.approve_plan(plan, editor)
    # An admin holds every role, and still only for plans they did not shape.
    admin = role_users["admin"]
    services.change_policy(plan, admin, {**plan.options, "keep_az": False})
    _simulate(Plan.objects.get(pk=plan.pk), author)
    plan = services.submit_plan(Plan.objects.get(pk=plan.pk), author)
    with pytest.raises(services.NotAllowed, match="created or changed this plan"):
        services.approve_plan(plan, admin)
    services.approve_plan(plan, role_users["approver"])
    assert Plan.objects.get(pk=plan.pk).state == "approved"


def test_an_approval_needs_an_estimate(lab_cloud, role_users):
    planner = role_users["planner"]
    plan = services.create_plan(planner, "serial")
    Plan.objects.filter(pk=plan.pk).update(state="submitted")
    with pytest.raises(services.WorkflowError, match="Simulate the plan before approving"):
        services.approve_plan(Plan.objects.get(pk=plan.pk), role_users["approver"])


def test_the_plan_page_says_out_of_date_and_replans_against_the_current_version(
        lab_cloud, cloud_doc, role_users, client):
    import copy

    from inventory.files import parse_inventory
    from inventory.services import replace_inventory

    plan = _submitted(role_users["planner"])
    changed = copy.deepcopy(cloud_doc)
    changed["servers"][2]["host"] = "cmp2"  # lb-1 moved by someone, outside Escalator
    replace_inventory(parse_inventory(changed))

    client.force_login(role_users["approver"])
    page = client.get(plan.get_absolute_url()).content.decode()
    assert "Out of date with the cloud" in page and "server lb-1 moved from cmp1 to cmp2" in page
    refused = client.post(plan.get_absolute_url() + "approve/", follow=True).content.decode()
    assert "out of date with the cloud" in refused
    assert Plan.objects.get(pk=plan.pk).state == "submitted"

    client.force_login(role_users["planner"])
    client.post(plan.get_absolute_url() + "replan/")
    plan.refresh_from_db()
    assert (plan.state, plan.inventory_version.number) == ("draft", 2)
    assert services.plan_drift(plan) == []
    assert "Out of date with the cloud" not in client.get(plan.get_absolute_url()).content.decode()
