"""The plan's side of an execution ending: the one workflow change the worker makes.

The runner (at an execution's end) and the services import this module, so
neither imports the other.
"""

from __future__ import annotations

from executor.choices import ExecutionState
from executor.models import Execution
from planner import services as workflow
from planner.choices import PlanState
from planner.models import Plan


def plan_finished(execution: Execution, state: str) -> None:
    """The plan is executed if its execution completed, and approved again
    (to run again or be changed) if it was aborted."""
    plan = Plan.objects.get(pk=execution.plan_id)
    if plan.state != PlanState.EXECUTING:
        return
    if state == ExecutionState.DONE:
        workflow.mark_executed(plan, execution.started_by)
    elif state == ExecutionState.ABORTED:
        workflow.mark_aborted(plan, execution.started_by)
