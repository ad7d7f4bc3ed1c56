"""Downloads of a stored plan: its content with state, approval and simulated estimate."""

from __future__ import annotations

import json
from typing import Any

import yaml

from planner import export as plan_format
from planner.models import Plan

EXPORT_FORMATS = ("json", "yaml", "csv")
_CONTENT_TYPES = {"json": "application/json", "yaml": "application/yaml", "csv": "text/csv"}


def export_document(plan: Plan) -> dict[str, Any]:
    """The plan's stored content plus where it stands and what the simulator expects."""
    document = json.loads(json.dumps(plan.content))
    document["plan"] = {
        "id": plan.pk,
        "name": plan.name,
        "cloud": plan.cloud.name,
        "state": plan.state,
        "author": plan.author.username,
        "content_hash": plan.content_hash,
        "approved_by": plan.approved_by.username if plan.approved_by else None,
        "approved_hash": plan.approved_hash or None,
        # What the approval covers besides the content (docs/plan.md).
        "policy": dict(plan.options),
        "inventory_version": plan.inventory_version.number if plan.inventory_version else None,
        "inventory_fingerprint": plan.inventory_version.fingerprint if plan.inventory_version else None,
        "approved_simulation": plan.approved_simulation_id,
    }
    # The estimate the approver saw once approved; before that the latest baseline.
    simulation = plan.headline_simulation
    if simulation is not None and simulation.content_hash == plan.content_hash:
        document["estimate"] = plan_format.estimate_from_summary(
            simulation.summary, runs=simulation.runs, seed=simulation.seed,
            lower_bound_s=plan.lower_bound_s,
        )
    return document


def export_plan(plan: Plan, fmt: str) -> tuple[str, str]:
    document = export_document(plan)
    if fmt == "json":
        text = json.dumps(document, indent=2) + "\n"
    elif fmt == "yaml":
        text = yaml.safe_dump(document, sort_keys=False, width=100)
    elif fmt == "csv":
        text = plan_format.to_csv(document)
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    return text, _CONTENT_TYPES[fmt]
