"""The plan's life: draft, simulated, submitted, approved or rejected, and back to draft."""

from __future__ import annotations

import pytest

from planner import services
from planner.choices import PlanState
from planner.models import Plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def inline_tasks(settings):
    settings.TASK_BACKEND = "inline"


def _simulated_plan(role_users, django_capture_on_commit_callbacks, strategy="serial"):
    plan = services.create_plan(role_users["planner"], strategy, {"hosts_per_wave": 2})
    with django_capture_on_commit_callbacks(execute=True):
        services.request_simulation(plan, role_users["planner"], runs=3, seed=1)
    plan.refresh_from_db()
    return plan


def test_story_from_draft_to_approved(lab_cloud, role_users, inline_tasks,
                                      django_capture_on_commit_callbacks):
    planner, approver = role_users["planner"], role_users["approver"]
    plan = services.create_plan(planner, "serial", {"hosts_per_wave": 1}, name="lab serial")
    assert plan.state == PlanState.DRAFT
    assert plan.validation["ok"] is True
    assert [len(w["hosts"]) for w in plan.content["waves"]] == [1, 1, 1, 1]
    with pytest.raises(services.WorkflowError, match="must be simulated"):
        services.submit_plan(plan, planner)

    with django_capture_on_commit_callbacks(execute=True):
        simulation = services.request_simulation(plan, planner, runs=4, seed=3)
    simulation.refresh_from_db()
    plan.refresh_from_db()
    assert simulation.state == "done", simulation.error
    assert simulation.done_runs == 4
    assert simulation.summary["duration_s"]["p50"] > 0
    assert plan.state == PlanState.SIMULATED

    services.submit_plan(plan, planner, "ready")
    with pytest.raises(services.NotAllowed, match="role does not allow"):
        services.approve_plan(plan, planner)
    # Even holding the approver role, the author cannot approve their own plan.
    from django.contrib.auth.models import Group

    planner.groups.add(Group.objects.get(name="approver"))
    del planner._escalator_roles
    with pytest.raises(services.NotAllowed, match="created or changed this plan"):
        services.approve_plan(plan, planner)
    plan.refresh_from_db()
    assert plan.state == PlanState.SUBMITTED
    services.approve_plan(plan, approver, "looks safe")
    plan.refresh_from_db()
    assert plan.state == PlanState.APPROVED
    # The approval covers the content, the policy, the inventory version and the estimate.
    assert plan.approved_simulation == simulation
    assert plan.approved_hash == services.approval_hash(plan, simulation.pk)
    assert services.is_approved_as_is(plan)
    assert [(e.action, e.actor.username if e.actor else None, e.to_state) for e in plan.events.all()] == [
        ("requested", "planner-1", "planning"),
        ("created", "planner-1", "draft"),
        ("simulation requested", "planner-1", "draft"),
        ("simulated", "planner-1", "simulated"),
        ("submitted", "planner-1", "submitted"),
        ("approved", "approver-1", "approved"),
    ]


def test_a_change_after_approval_sends_the_plan_back_to_draft(
    lab_cloud, role_users, inline_tasks, django_capture_on_commit_callbacks
):
    plan = _simulated_plan(role_users, django_capture_on_commit_callbacks)
    services.submit_plan(plan, role_users["planner"])
    services.approve_plan(plan, role_users["approver"])
    plan.refresh_from_db()
    approved_hash = plan.approved_hash
    # The first host moved into a wave of its own at the end: valid, re-planned.
    first_host = plan.content["waves"][0]["hosts"][0]["host"]
    waves = len(plan.content["waves"])

    services.move_host(plan, role_users["planner2"], first_host, waves + 1)
    plan.refresh_from_db()
    assert plan.state == PlanState.DRAFT
    assert plan.approved_hash == "" and plan.approved_by is None
    assert plan.content_hash != approved_hash
    assert [h["host"] for h in plan.content["waves"][-1]["hosts"]] == [first_host]
    assert plan.validation["ok"] is True
    event = plan.events.last()
    assert (event.action, event.from_state, event.to_state) == ("changed", "approved", "draft")
    assert not services.is_approved_as_is(plan)
    with pytest.raises(services.WorkflowError):
        services.mark_executing(plan, role_users["admin"])


def test_reject_needs_a_comment_and_a_reviewer_other_than_the_author(
    lab_cloud, role_users, inline_tasks, django_capture_on_commit_callbacks
):
    plan = _simulated_plan(role_users, django_capture_on_commit_callbacks)
    services.submit_plan(plan, role_users["planner"])
    with pytest.raises(services.WorkflowError, match="comment is required"):
        services.reject_plan(plan, role_users["approver"], "  ")
    services.reject_plan(plan, role_users["approver"], "wave 1 too large for the IMS pool")
    plan.refresh_from_db()
    assert plan.state == PlanState.REJECTED
    assert plan.events.last().comment == "wave 1 too large for the IMS pool"


def test_roles_are_enforced(lab_cloud, role_users):
    with pytest.raises(services.NotAllowed):
        services.create_plan(role_users["viewer"], "serial")
    with pytest.raises(services.NotAllowed):
        services.create_plan(role_users["approver"], "serial")
    plan = services.create_plan(role_users["planner"], "serial")
    with pytest.raises(services.NotAllowed):
        services.request_simulation(plan, role_users["viewer"])


def test_stale_copy_cannot_transition(lab_cloud, role_users, inline_tasks,
                                      django_capture_on_commit_callbacks):
    plan = _simulated_plan(role_users, django_capture_on_commit_callbacks)
    stale = Plan.objects.get(pk=plan.pk)
    services.submit_plan(plan, role_users["planner"])
    services.approve_plan(plan, role_users["approver"])
    with pytest.raises(services.WorkflowError):
        services.submit_plan(stale, role_users["planner"])


def test_bad_options_and_strategy_are_refused_clearly(lab_cloud, role_users):
    with pytest.raises(services.WorkflowError, match="hosts_per_wave"):
        services.create_plan(role_users["planner"], "parallel", {"hosts_per_wave": 0})
    with pytest.raises(services.WorkflowError, match="unknown strategy 'fastest'"):
        services.create_plan(role_users["planner"], "fastest")
    assert Plan.objects.count() == 0


def test_simulation_of_a_changed_plan_fails_and_says_why(
    lab_cloud, role_users, inline_tasks, django_capture_on_commit_callbacks
):
    plan = services.create_plan(role_users["planner"], "serial")
    simulation = services.request_simulation(plan, role_users["planner"], runs=2)
    host = plan.content["waves"][0]["hosts"][0]["host"]
    services.move_host(plan, role_users["planner"], host, len(plan.content["waves"]) + 1)
    from planner.tasks import simulate_task

    with pytest.raises(RuntimeError):
        simulate_task.run(simulation.pk)
    simulation.refresh_from_db()
    assert simulation.state == "failed"
    assert "the plan changed" in simulation.error


def test_planning_in_the_background_and_a_plan_that_cannot_be(
    lab_cloud, role_users, django_capture_on_commit_callbacks, settings
):
    settings.TASK_BACKEND = "inline"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        plan = services.create_plan(role_users["planner"], "parallel", {"hosts_per_wave": 2},
                                    background=True)
    assert plan.state == PlanState.PLANNING and plan.content == {}
    with pytest.raises(services.WorkflowError, match="cannot change"):
        services.move_host(plan, role_users["planner"], "cmp1", 1)
    for callback in callbacks:
        callback()
    plan.refresh_from_db()
    assert plan.state == PlanState.DRAFT and plan.validation["ok"]

    # Allowed nothing but stop-start and stay: servers that run must stop, so a
    # plan exists; forbid moving and stopping and none does.
    with pytest.raises(services.WorkflowError, match="No serial plan is possible"):
        services.create_plan(role_users["planner"], "serial", {"allowed_actions": ["stay"]})
    failed = Plan.objects.get(state=PlanState.FAILED)
    assert failed.validation["error"].startswith("No serial plan is possible")
    assert [e.action for e in failed.events.all()] == ["requested", "failed"]


def test_a_move_that_would_break_the_plan_is_refused_and_changes_nothing(
    lab_cloud, role_users, inline_tasks, django_capture_on_commit_callbacks
):
    plan = services.create_plan(role_users["planner"], "serial")
    before = (plan.content_hash, plan.state, plan.events.count())
    last_host = plan.content["waves"][-1]["hosts"][0]["host"]
    # Every host in wave 1: the load balancer's members would go down together.
    with pytest.raises(services.WorkflowError, match=f"Cannot move {last_host} to wave 1: ") as caught:
        services.move_host(plan, role_users["planner"], last_host, 1)
    assert "max_impacted" in str(caught.value) or "share" in str(caught.value)
    plan.refresh_from_db()
    assert (plan.content_hash, plan.state, plan.events.count()) == before


def test_the_plan_page_shows_why_waves_stay_apart_and_the_plans_warnings(
    lab_cloud, role_users, inline_tasks, client
):
    plan = services.create_plan(role_users["planner"], "serial")
    assert plan.content["waves"][0]["why"] == (
        f"the wave is full (hosts_per_wave 1): {plan.content['waves'][1]['hosts'][0]['host']}"
    )
    client.force_login(role_users["viewer"])
    page = client.get(plan.get_absolute_url()).content.decode()
    assert "apart from the next: the wave is full (hosts_per_wave 1)" in page
    assert 'id="plan-warnings"' not in page
    # The lower bound, term by term, the binding one marked.
    terms = plan.validation["lower_bound"]["terms"]
    assert terms[0]["binding"] and terms[0]["seconds"] == plan.lower_bound_s
    assert f'<tr data-term="{terms[0]["term"]}" class="binding">' in page
    assert "(binds)" in page and "all host slots / hosts out at once" in page
    content = {**plan.content, "warnings": ["fw-a: its live migration will not converge"]}
    services.change_content(plan, role_users["planner"], content)
    page = client.get(plan.get_absolute_url()).content.decode()
    assert 'id="plan-warnings"' in page and "fw-a: its live migration will not converge" in page
