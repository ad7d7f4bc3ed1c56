"""Background half of the plan workflow: planning, and simulations with live progress."""

from __future__ import annotations

import json
import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from escalator_site.jobs import background
from escalator_site.progress import publish
from planner.choices import JobState, PlanState
from planner.models import Plan, PlanEvent, Simulation
from planner.options import PlanOptions
from planner.services import PLAN_TASK, SIMULATE_TASK, compute_plan, plan_snapshot, pure_plan
from simulator.engine import simulate
from simulator.montecarlo import monte_carlo
from simulator.params import SimParams

# The Gantt needs one run's records; a huge plan's full event list would not
# fit a page, so only this many are kept (host steps first).
SAMPLE_EVENTS_LIMIT = 6000
PROGRESS_EVERY_S = 0.25


def _publish(simulation: Simulation, **fields) -> None:
    publish(
        simulation.group,
        {"type": "simulation.progress", "simulation": simulation.pk, "runs": simulation.runs,
         **fields},
    )


def _sample(run) -> dict:
    data = run.to_dict()
    events = data.get("events", [])
    if len(events) > SAMPLE_EVENTS_LIMIT:
        hosts = [e for e in events if not e.get("server")]
        rest = [e for e in events if e.get("server")]
        data["events"] = (hosts + rest)[:SAMPLE_EVENTS_LIMIT]
        data["events_truncated"] = len(events)
    return data


@background(PLAN_TASK)
def plan_task(plan_id: int) -> None:
    compute_plan(plan_id)


@background(SIMULATE_TASK)
def simulate_task(simulation_id: int) -> None:
    run_simulation(simulation_id)


def run_simulation(simulation_id: int, on_progress=None) -> None:
    """Run a queued simulation once (compare-and-set: a second worker finds it taken).

    ``on_progress(done, total)`` is called besides the websocket updates (the
    command line draws its progress bar with it).
    """
    taken = Simulation.objects.filter(pk=simulation_id, state=JobState.QUEUED).update(
        state=JobState.RUNNING, started=timezone.now()
    )
    if taken != 1:
        return
    simulation = Simulation.objects.select_related("plan__cloud").get(pk=simulation_id)
    _publish(simulation, state=JobState.RUNNING, done=0)
    try:
        plan_row = simulation.plan
        if plan_row.content_hash != simulation.content_hash:
            raise RuntimeError("the plan changed after this simulation was requested")
        snapshot = plan_snapshot(plan_row)
        plan = pure_plan(plan_row)
        # The plan's soaks and maintenance windows are part of its estimate (a
        # simulation's own params win): the windows as for an execution started
        # when the simulation was asked for, so the same simulation runs again alike.
        params = PlanOptions.from_dict(plan_row.options).simulated(
            SimParams.from_dict(simulation.params), given=simulation.params,
            start=simulation.created)
        last = [0.0]

        def progress(done: int, total: int) -> None:
            now = time.monotonic()
            if done < total and now - last[0] < PROGRESS_EVERY_S:
                return
            last[0] = now
            if on_progress is not None:
                on_progress(done, total)
            Simulation.objects.filter(pk=simulation_id).update(done_runs=done)
            _publish(simulation, state=JobState.RUNNING, done=done)

        summary = monte_carlo(
            snapshot, plan, params, runs=simulation.runs, seed=simulation.seed,
            processes=settings.SIMULATION_PROCESSES, progress=progress,
        )
        sample = simulate(snapshot, plan, params, seed=simulation.seed)
    except Exception as exc:
        _fail(simulation, exc)
        raise
    try:
        _save_result(simulation, plan_row, summary.to_dict(), _sample(sample))
    except Exception as exc:
        # A result that cannot be stored must not leave the simulation running for ever.
        _fail(simulation, exc, "saving the result failed")
        raise
    _publish(simulation, state=JobState.DONE, done=simulation.runs)


def _fail(simulation: Simulation, exc: Exception, doing: str = "") -> None:
    reason = f"{doing + ': ' if doing else ''}{type(exc).__name__}: {exc}"[:2000]
    Simulation.objects.filter(pk=simulation.pk).update(
        state=JobState.FAILED, error=reason, finished=timezone.now()
    )
    _publish(simulation, state=JobState.FAILED, error=reason)


def _save_result(simulation: Simulation, plan_row: Plan, summary: dict, sample: dict) -> None:
    # JSON has no NaN or infinity: a result holding one would be stored, then break
    # every page and API response that shows it.
    json.dumps(summary, allow_nan=False)
    json.dumps(sample, allow_nan=False)
    simulation_id = simulation.pk
    with transaction.atomic():
        Simulation.objects.filter(pk=simulation_id).update(
            state=JobState.DONE, done_runs=simulation.runs, summary=summary,
            sample_run=sample, finished=timezone.now(),
        )
        moved = Plan.objects.filter(
            pk=plan_row.pk, state=PlanState.DRAFT, content_hash=simulation.content_hash
        ).update(state=PlanState.SIMULATED, updated=timezone.now())
        if moved:
            PlanEvent.objects.create(
                plan=plan_row, actor=simulation.requested_by, action="simulated",
                from_state=PlanState.DRAFT, to_state=PlanState.SIMULATED,
                comment=f"{simulation.runs} runs, seed {simulation.seed}",
                content_hash=simulation.content_hash,
            )
