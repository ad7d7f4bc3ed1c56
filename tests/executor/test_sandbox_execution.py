"""An admin executes an approved plan against the real Nova sandbox."""

from __future__ import annotations

import pytest

from executor import services
from executor.models import Execution
from executor.runner import run_execution
from tests.executor.helpers import (
    PATIENT,
    PLANNED,
    TARGET_VERSIONS,
    migrations_since,
    newest_migration_id,
    sandbox_config,
)

pytestmark = [pytest.mark.sandbox]


def where(cloud) -> dict[str, str]:
    return {s.name: s.host for s in cloud.servers()}


def test_a_multi_host_plan_runs_end_to_end(sandbox, kit):
    cloud = sandbox.cloud()
    baseline = newest_migration_id(cloud)
    plan = kit.approved()

    execution = services.start_execution(plan, kit.admin, sandbox_config(**PATIENT))
    assert kit.dispatched == [execution.pk]
    outcome = run_execution(execution.pk)

    execution.refresh_from_db()
    assert execution.cause == ""
    assert (outcome, execution.state) == ("done", "done")
    assert where(cloud) == PLANNED
    assert {s.name: s.status for s in cloud.servers()} == {
        "fw-a": "ACTIVE", "lb-1": "ACTIVE", "fw-b": "ACTIVE", "batch-1": "SHUTOFF",
        "lb-2": "ACTIVE", "lb-3": "ACTIVE"}
    computes = {s.host: (s.status, s.state) for s in cloud.services()
                if s.binary == "nova-compute"}
    assert computes == {h: ("enabled", "up") for h in ("cmp1", "cmp2", "cmp3", "cmp4")}
    assert {h: cloud.host_versions(h) for h in computes} == {h: TARGET_VERSIONS
                                                            for h in computes}
    # One migration per planned move, each completed: none twice.
    moves = sorted((m.kind, cloud.server(m.server_id).name, m.source_host, m.dest_host, m.status)
                   for m in migrations_since(cloud, baseline))
    assert moves == [
        ("live-migration", "fw-b", "cmp2", "cmp4", "completed"),
        ("live-migration", "fw-b", "cmp4", "cmp2", "completed"),
        ("live-migration", "lb-1", "cmp1", "cmp3", "completed"),
        ("live-migration", "lb-1", "cmp3", "cmp1", "completed"),
        ("migration", "lb-2", "cmp3", "cmp2", "confirmed"),
    ]
    assert set(execution.steps.values_list("state", flat=True)) == {"done"}
    plan.refresh_from_db()
    assert plan.state == "executed"
    events = list(execution.events.values_list("seq", "kind"))
    assert [seq for seq, _ in events] == list(range(1, len(events) + 1))
    assert events[0][1] == "execution" and events[-1][1] == "execution"
    reason_events = execution.events.filter(kind="step", message__startswith="disable cmp1")
    assert reason_events.count() == 2
    assert Execution.objects.get(pk=execution.pk).runner == ""
