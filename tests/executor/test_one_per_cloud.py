"""One execution per cloud at a time, enforced by the database: the loser of a race gets 409."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, close_old_connections, transaction
from rest_framework.test import APIClient

from executor.models import Execution

pytestmark = [pytest.mark.django_db(transaction=True)]


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def race(*calls):
    """Run the calls at the same instant, each on its own thread and connection."""
    barrier = threading.Barrier(len(calls))
    answers: list = [None] * len(calls)

    def one(i, call):
        try:
            barrier.wait(5)
            answers[i] = call()
        finally:
            close_old_connections()

    threads = [threading.Thread(target=one, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return answers


def test_two_plans_of_one_cloud_started_at_the_same_instant_one_runs_one_is_refused(kit):
    first, second = kit.approved(), kit.approved()
    second.name = "other"
    second.save(update_fields=["name"])

    answers = race(*(lambda p=p: api(kit.admin).post("/api/executions/start/", {"plan": p.pk},
                                                     format="json")
                     for p in (first, second)))

    codes = sorted(a.status_code for a in answers)
    assert codes == [202, 409]
    winner = next(a for a in answers if a.status_code == 202).json()
    loser = next(a for a in answers if a.status_code == 409).json()
    assert loser["detail"] == (
        f"Cloud 'sandbox' already has execution {winner['id']} of plan "
        f"'{winner['plan_name']}' (queued): one execution per cloud at a time; let it "
        "finish or abort it first.")
    assert Execution.objects.count() == 1
    # The loser's plan is untouched: still approved, ready to start later.
    loser_plan = first if winner["plan"] == second.pk else second
    loser_plan.refresh_from_db()
    assert loser_plan.state == "approved"


def test_one_plan_started_twice_at_the_same_instant_is_one_execution_and_one_409(kit):
    plan = kit.approved()

    answers = race(*(lambda: api(kit.admin).post("/api/executions/start/", {"plan": plan.pk},
                                                 format="json") for _ in range(2)))

    assert sorted(a.status_code for a in answers) == [202, 409]
    assert Execution.objects.count() == 1


def test_the_database_itself_refuses_a_second_execution_under_way_on_a_cloud(kit):
    from executor.services import start_execution

    running = start_execution(kit.approved(), kit.admin)
    Execution.objects.filter(pk=running.pk).update(state="blocked")
    with pytest.raises(IntegrityError), transaction.atomic():
        Execution.objects.create(plan=running.plan, plan_hash="x", cloud_name="sandbox",
                                 started_by=kit.admin)
    # Once it is over, the cloud is free again.
    Execution.objects.filter(pk=running.pk).update(state="aborted")
    Execution.objects.create(plan=running.plan, plan_hash="x", cloud_name="sandbox",
                             started_by=kit.admin)


def test_the_page_says_why_a_second_start_is_refused(kit, client):
    from executor.services import start_execution

    running = start_execution(kit.approved(), kit.admin)
    other = kit.approved()
    client.force_login(kit.admin)

    response = client.post("/executions/start/", {"plan": other.pk}, follow=True)

    assert response.status_code == 200
    text = response.content.decode()
    assert (f"Cloud &#x27;sandbox&#x27; already has execution {running.pk} of plan "
            "&#x27;rolling&#x27; (queued)") in text
    assert Execution.objects.count() == 1
