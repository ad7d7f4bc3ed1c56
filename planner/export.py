"""The versioned plan format (pure): a Plan as a document, and back.

Version 1. JSON and YAML carry the document as is; CSV has one row per
server action. Documented in docs/plan.md, schema in docs/plan.schema.json.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Mapping
from typing import Any

from domain.plan import PLAN_FORMAT_VERSION, ActionKind, HostStep, Plan, ServerAction, Wave
from domain.snapshot import Snapshot

FORMAT_NAME = "escalator-plan"
CSV_COLUMNS = ["wave", "host", "order", "server", "action", "source", "target"]


def plan_to_dict(plan: Plan, snapshot: Snapshot | None = None) -> dict[str, Any]:
    """A plan as a document; with the snapshot, the target release's versions are included."""
    target: dict[str, Any] = {"name": plan.target_release}
    if snapshot is not None:
        target["components"] = {c.name: c.version for c in snapshot.target.components}
    document: dict[str, Any] = {
        "format": FORMAT_NAME,
        "format_version": PLAN_FORMAT_VERSION,
        "cloud": snapshot.cloud if snapshot is not None else "",
        "strategy": plan.strategy,
        "target_release": target,
        "options": _plain(plan.options),
        "warnings": list(plan.warnings),
        "waves": [
            {
                "index": index,
                **({"why": wave.why} if wave.why else {}),
                "hosts": [
                    {
                        "host": step.host,
                        "actions": [
                            {"server": a.server, "kind": str(a.kind), "source": a.source,
                             "target": a.target}
                            for a in step.actions
                        ],
                    }
                    for step in wave.hosts
                ],
            }
            for index, wave in enumerate(plan.waves, start=1)
        ],
    }
    if plan.search:
        document["search"] = _plain(plan.search)
    return document


def document_hash(document: Mapping[str, Any]) -> str:
    """SHA-256 of a plan document's canonical JSON (a stored plan's ``content_hash``)."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def plan_from_dict(document: Mapping[str, Any]) -> Plan:
    """Read a plan document back; a ValueError names what is wrong and where."""
    if not isinstance(document, Mapping):
        raise ValueError("(top): a plan document must be a mapping")
    version = document.get("format_version")
    if version != PLAN_FORMAT_VERSION:
        raise ValueError(f"format_version: must be {PLAN_FORMAT_VERSION}, not {version!r}")
    waves_in = document.get("waves")
    if not isinstance(waves_in, list):
        raise ValueError("waves: must be a list")
    kinds = {k.value for k in ActionKind}
    waves = []
    for w, wave in enumerate(waves_in):
        hosts = wave.get("hosts") if isinstance(wave, Mapping) else None
        if not isinstance(hosts, list) or not hosts:
            raise ValueError(f"waves[{w}].hosts: must be a non-empty list")
        steps = []
        for h, step in enumerate(hosts):
            where = f"waves[{w}].hosts[{h}]"
            if not isinstance(step, Mapping) or not isinstance(step.get("host"), str):
                raise ValueError(f"{where}.host: must be a host name")
            actions = []
            for a, action in enumerate(step.get("actions") or []):
                spot = f"{where}.actions[{a}]"
                if not isinstance(action, Mapping):
                    raise ValueError(f"{spot}: must be a mapping")
                if action.get("kind") not in kinds:
                    raise ValueError(f"{spot}.kind: must be one of {', '.join(sorted(kinds))}")
                if not isinstance(action.get("server"), str):
                    raise ValueError(f"{spot}.server: must be a server name")
                target = action.get("target")
                if target is not None and not isinstance(target, str):
                    raise ValueError(f"{spot}.target: must be a host name or null")
                actions.append(ServerAction(
                    server=action["server"], kind=ActionKind(action["kind"]),
                    source=action.get("source") or step["host"], target=target,
                ))
            steps.append(HostStep(host=step["host"], actions=tuple(actions)))
        why = wave.get("why", "")
        if not isinstance(why, str):
            raise ValueError(f"waves[{w}].why: must be text")
        waves.append(Wave(hosts=tuple(steps), why=why))
    target = document.get("target_release") or {}
    warnings = document.get("warnings") or []
    if not isinstance(warnings, list) or not all(isinstance(x, str) for x in warnings):
        raise ValueError("warnings: must be a list of text")
    search = document.get("search") or {}
    if not isinstance(search, Mapping):
        raise ValueError("search: must be a mapping")
    return Plan(
        strategy=str(document.get("strategy", "")),
        target_release=str(target.get("name", "")) if isinstance(target, Mapping) else str(target),
        waves=tuple(waves),
        options=dict(document.get("options") or {}),
        warnings=tuple(warnings),
        search=dict(search),
    )


def estimate_from_summary(summary: Mapping[str, Any], runs: int, seed: int,
                          lower_bound_s: float | None) -> dict[str, Any]:
    """The simulated estimate carried by an export: percentiles of the headline figures."""
    estimate: dict[str, Any] = {"runs": runs, "seed": seed, "lower_bound_s": lower_bound_s}
    for key in ("duration_s", "total_vnf_outage_s", "worst_vnf_outage_s", "sla_violations",
                "migrations"):
        value = summary.get(key, (summary.get("figures") or {}).get(key))
        if isinstance(value, Mapping):
            estimate[key] = {p: value[p] for p in ("p50", "p95", "p99", "max") if p in value}
    per_vnf = summary.get("vnf_outage_s")
    if isinstance(per_vnf, Mapping):
        estimate["vnf_outage_s"] = {
            name: {p: v[p] for p in ("p50", "p95") if p in v}
            for name, v in per_vnf.items() if isinstance(v, Mapping)
        }
    return estimate


def to_csv(document: Mapping[str, Any]) -> str:
    """One row per server action (hosts without servers get one row with no server)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for wave in document.get("waves", []):
        for step in wave["hosts"]:
            actions = step.get("actions") or [None]
            for order, action in enumerate(actions, start=1):
                if action is None:
                    writer.writerow([wave["index"], step["host"], 0, "", "", "", ""])
                else:
                    writer.writerow([wave["index"], step["host"], order, action["server"],
                                     action["kind"], action.get("source") or step["host"],
                                     action.get("target") or ""])
    return out.getvalue()


def _plain(value: Any) -> Any:
    """Options as JSON-safe values (sets and enums become sorted lists and strings)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(str(v) for v in value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
