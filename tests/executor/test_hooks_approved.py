"""The hooks that run a plan are part of what its approval covers: a start with other named
hooks than the approved ones is refused with the reason, and nothing starts."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from executor.models import Execution
from planner import services as planning
from planner.models import Plan, Simulation

pytestmark = [pytest.mark.django_db(transaction=True)]

HOOKS = {"upgrade_drivers": {"fleet": {"kind": "webhook", "url": "https://fleet.example/up"}},
         "vnf_managers": {"vnfm": {"kind": "webhook", "url": "https://vnfm.example/x"}}}


def submitted(kit) -> Plan:
    plan = kit.approved(state="submitted")
    Simulation.objects.create(plan=plan, runs=10, seed=3, content_hash=plan.content_hash,
                              state="done", finished=timezone.now())
    return plan


def client_of(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def start(kit, plan, config):
    return client_of(kit.admin).post("/api/executions/start/",
                                     {"plan": plan.pk, "config": config}, format="json")


@override_settings(ESCALATOR_HOOKS=HOOKS)
def test_a_start_with_other_hooks_than_approved_is_refused_with_the_reason(kit):
    plan = submitted(kit)
    answer = client_of(kit.approver).post(
        f"/api/plans/{plan.pk}/approve/",
        {"hooks": {"upgrade_driver": "fleet", "vnf_manager": "vnfm"}}, format="json")
    assert answer.status_code == 200, answer.content
    plan.refresh_from_db()
    assert plan.approved_hooks == {"upgrade_driver": "fleet", "vnf_manager": "vnfm"}
    assert planning.is_approved_as_is(plan)

    refused = start(kit, plan, {"upgrade_driver": {"kind": "sandbox", "down_s": 1},
                                "vnf_manager": "vnfm"})
    assert refused.status_code == 400
    assert refused.json()["detail"] == (
        "The approval covers other hooks than this start asks for: upgrade_driver 'sandbox' "
        "(approved: 'fleet'). Start it with the approved hooks, or have the plan approved "
        "with these.")
    # Leaving a hook out picks the built-in, which is not the approved one either.
    assert "vnf_manager 'none' (approved: 'vnfm')" in start(
        kit, plan, {"upgrade_driver": "fleet"}).json()["detail"]
    assert not Execution.objects.exists()
    plan.refresh_from_db()
    assert plan.state == "approved"

    assert start(kit, plan, {"upgrade_driver": "fleet", "vnf_manager": "vnfm"}).status_code == 202


@override_settings(ESCALATOR_HOOKS=HOOKS)
def test_the_approved_hooks_are_in_the_approval_hash(kit):
    plan = submitted(kit)
    planning.approve_plan(plan, kit.approver)  # no hooks named: the built-ins
    plan.refresh_from_db()
    assert plan.approved_hooks == {"upgrade_driver": "sandbox", "vnf_manager": "none"}
    # Someone changes the recorded hooks behind the approval's back.
    Plan.objects.filter(pk=plan.pk).update(
        approved_hooks={"upgrade_driver": "fleet", "vnf_manager": "none"})
    plan.refresh_from_db()
    assert not planning.is_approved_as_is(plan)
    answer = start(kit, plan, {"upgrade_driver": "fleet"})
    assert answer.status_code == 400
    assert answer.json()["detail"] == ("The plan changed since its approval: it must be "
                                       "approved again.")
    assert not Execution.objects.exists()


def test_an_approval_naming_an_unknown_hook_is_refused_and_changes_nothing(kit):
    plan = submitted(kit)
    answer = client_of(kit.approver).post(f"/api/plans/{plan.pk}/approve/",
                                          {"hooks": {"upgrade": "fleet"}}, format="json")
    assert answer.status_code == 400
    assert answer.json()["detail"] == ("hooks: unknown hook 'upgrade' (upgrade_driver, "
                                       "vnf_manager).")
    plan.refresh_from_db()
    assert (plan.state, plan.approved_hash, plan.approved_hooks) == ("submitted", "", {})
