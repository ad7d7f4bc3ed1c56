"""The inventory over time on the real sandbox: execute, refresh, and nothing of the history lost."""

from __future__ import annotations

import pytest

from executor import services as executions
from executor.models import Execution
from executor.runner import run_execution
from inventory.models import Cloud
from inventory.services import load_snapshot, version_history
from planner import services as planning
from planner.models import Plan, PlanEvent, Simulation
from planner.tasks import run_simulation
from tests.executor.helpers import PATIENT, TARGET_VERSIONS, sandbox_config

pytestmark = [pytest.mark.sandbox]


def _approved(kit, strategy: str) -> Plan:
    plan = planning.create_plan(kit.author, strategy, {"hosts_per_wave": 1}, cloud="sandbox")
    simulation = planning.request_simulation(plan, kit.author, runs=2, start=False)
    run_simulation(simulation.pk)
    plan = planning.submit_plan(Plan.objects.get(pk=plan.pk), kit.author)
    return planning.approve_plan(plan, kit.approver)


def test_execute_then_refresh_keeps_the_history_and_dates_the_other_plans(sandbox, kit):
    executed, sibling = _approved(kit, "serial"), _approved(kit, "optimized")
    history = (PlanEvent.objects.count(), Simulation.objects.count())

    execution = executions.start_execution(executed, kit.admin, sandbox_config(**PATIENT))
    assert run_execution(execution.pk) == "done"

    # The cloud was read again at the end: the hosts show the versions they run now.
    cloud = Cloud.objects.get(name="sandbox")
    latest = version_history(cloud, limit=1)[0]
    assert (latest["number"], latest["kind"]) == (2, "refresh")
    assert {h.name: dict(h.versions) for h in load_snapshot(cloud).hosts} == {
        h: TARGET_VERSIONS for h in ("cmp1", "cmp2", "cmp3", "cmp4")}
    assert any(line.startswith("host cmp1 ") for line in latest["changes"])
    assert execution.events.filter(message__startswith="inventory refreshed from the cloud: "
                                   "version 2").exists()
    # Plans, simulations and the audit log are all still there.
    assert Plan.objects.filter(pk__in=[executed.pk, sibling.pk]).count() == 2
    assert (PlanEvent.objects.count(), Simulation.objects.count()) >= history
    executed.refresh_from_db()
    assert executed.state == "executed"

    # Both plans were made from version 1: out of date now, with the reasons.
    for plan in (executed, sibling):
        reasons = planning.plan_drift(Plan.objects.get(pk=plan.pk))
        assert "host cmp1 of the plan already runs the target versions" in reasons
    refused = executions.start_execution
    with pytest.raises(executions.ExecutionError, match="out of date with the cloud: host cmp"):
        refused(Plan.objects.get(pk=sibling.pk), kit.admin, sandbox_config(**PATIENT))
    assert Execution.objects.filter(plan=sibling).count() == 0

    # Re-planned against version 2, nothing is left to upgrade.
    replanned = planning.replan(Plan.objects.get(pk=sibling.pk), kit.author)
    assert (replanned.inventory_version.number, replanned.state) == (2, "draft")
    assert replanned.content["waves"] == []
