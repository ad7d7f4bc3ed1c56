"""The VNF page's outage history: predicted per plan, measured per execution.

A template tag, so that the inventory's page shows what the planner and the
executor know of a VNF without the inventory importing either (layers).
"""

from __future__ import annotations

from typing import Any

from django import template

from executor.models import Execution
from executor.reports import report
from planner.charts import per_vnf

register = template.Library()
SHOWN = 10  # the latest plans and executions: a history to glance at, not an archive


@register.inclusion_tag("executor/_vnf_outage_history.html")
def outage_history(vnf) -> dict[str, Any]:
    from planner.models import Plan

    plans = []
    for plan in (Plan.objects.filter(cloud_id=vnf.cloud_id).exclude(content={})
                 .order_by("-updated")[:SHOWN]):
        simulation = plan.headline_simulation or plan.latest_simulation
        outage = per_vnf(simulation.summary, "vnf_outage_s").get(vnf.name) if simulation else None
        plans.append({"plan": plan, "simulation": simulation, "outage": outage,
                      "over": bool(outage and outage.get("max", 0) > vnf.outage_budget_s)})
    executions = []
    for execution in (Execution.objects.select_related("plan").filter(plan__cloud_id=vnf.cloud_id)
                      .order_by("-created")[:SHOWN]):
        row = next((v for v in report(execution)["vnfs"] if v["vnf"] == vnf.name), None)
        executions.append({"execution": execution, "row": row})
    return {"vnf": vnf, "plans": plans, "executions": executions}
