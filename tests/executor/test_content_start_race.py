"""A content change and an execution start at the same instant: never an executing plan in draft."""

from __future__ import annotations

import pytest

from executor.models import Execution
from planner.models import Plan
from tests.executor.test_one_per_cloud import api, race

pytestmark = [pytest.mark.django_db(transaction=True)]


def _moved(plan: Plan) -> dict:
    content = plan.content
    waves = content["waves"]
    waves[0]["hosts"].reverse()
    return {"content": content, "comment": "other order"}


def test_twenty_races_of_a_content_change_and_a_start_leave_no_executing_plan_in_draft(kit):
    outcomes = []
    for _ in range(20):
        plan = kit.approved()
        change, start = race(
            lambda p=plan: api(kit.author).put(f"/api/plans/{p.pk}/content/", _moved(p),
                                               format="json"),
            lambda p=plan: api(kit.admin).post("/api/executions/start/", {"plan": p.pk},
                                               format="json"),
        )
        plan.refresh_from_db()
        started = Execution.objects.filter(plan=plan).exists()
        # Exactly one of the two won, and the plan says which.
        assert sorted((change.status_code, start.status_code)) in ([200, 400], [200, 409],
                                                                  [202, 400]), (
            change.content, start.content)
        if started:
            assert (start.status_code, change.status_code, plan.state) == (202, 400, "executing")
        else:
            assert (change.status_code, plan.state) == (200, "draft")
        outcomes.append("started" if started else "changed")
        Execution.objects.filter(plan=plan).update(state="aborted")  # one per cloud: free it
    assert Plan.objects.filter(state="draft", executions__isnull=False).count() == 0
    assert len(outcomes) == 20
