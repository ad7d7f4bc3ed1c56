"""Executions have workers of their own: simulations and searches cannot keep one waiting."""

from __future__ import annotations

import threading

from django.test import override_settings

from escalator_site import jobs
from executor.tasks import run_execution_task
from planner.tasks import simulate_task


class Blocking:
    """A task that holds its worker until released (a long what-if search)."""

    def __init__(self, name: str, queue: str, release: threading.Event,
                 ran: threading.Event | None = None) -> None:
        self.name, self.queue, self.release, self.ran = name, queue, release, ran

    def run(self, *args) -> None:
        if self.ran is not None:
            self.ran.set()
        self.release.wait(30)


def test_executions_and_simulations_are_routed_to_queues_of_their_own():
    assert run_execution_task.queue == "executions"
    assert simulate_task.queue == "celery"


@override_settings(TASK_BACKEND="thread")
def test_an_execution_starts_at_once_while_searches_fill_every_other_worker():
    release = threading.Event()
    try:
        for _ in range(8):  # twice the shared pool's workers
            jobs.submit(Blocking("planner.whatif", "celery", release))
        ran = threading.Event()
        jobs.submit(Blocking("executor.run_execution", "executions", release, ran))
        assert ran.wait(5), "the execution waited behind the searches"
    finally:
        release.set()


def test_a_search_cannot_ask_for_a_budget_that_would_hold_a_worker_for_long():
    import pytest

    from planner.options import PlanOptions

    with pytest.raises(ValueError, match=r"time_budget_s must be at most 120 s, got 3600"):
        PlanOptions(time_budget_s=3600)
    assert PlanOptions(time_budget_s=120).time_budget_s == 120
