"""Pages of executions: the list (with start), the live page, control buttons, exports.

Thin: the services do the work and check that the user is an admin.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from escalator_site import paging, roles
from executor import services
from executor.choices import FINAL_STATES, UNDER_WAY, ExecutionState
from executor.gates import gates
from executor.models import Execution
from executor.reports import report, report_csv, simulation_of
from planner.choices import PlanState
from planner.models import Plan


@login_required
def execution_list(request):
    page = paging.page_of(request, Execution.objects.select_related("plan", "started_by"))
    executions = list(page)
    now = timezone.now()
    for e in executions:
        end = e.finished or (now if e.state in UNDER_WAY else None)
        e.duration_s = (end - e.started).total_seconds() if e.started and end else None
    startable = Plan.objects.filter(state=PlanState.APPROVED).order_by("-updated")
    return render(request, "executor/execution_list.html", {
        "executions": executions, "startable": startable, "page": page,
        "page_sizes": paging.PAGE_SIZES, "query_no_page": paging.query_without(request, "page"),
        "can_execute": roles.can_execute(request.user)})


@login_required
def execution_detail(request, pk: int):
    execution = get_object_or_404(Execution.objects.select_related("plan", "started_by"), pk=pk)
    # The log shown and the number the websocket continues after must agree:
    # read the events first, and ask for what came after the newest of them.
    events = list(execution.events.select_related("actor").order_by("-seq")[:300])
    # The state as new as those events at least: one read before them could miss a change
    # whose event is already in the log (and so never comes over the websocket).
    execution.refresh_from_db(fields=["state", "cause", "started", "finished"])
    data = report(execution)
    steps = {s.key: s for s in execution.steps.order_by("index")}
    for step in steps.values():
        step.label = _label(step)
        step.name = f"wave {step.wave + 1} · {step.host} · {step.label}"
    page = {
        "id": execution.pk, "state": execution.state,
        "last_seq": events[0].seq if events else 0,
        "steps": [{**line, "label": _label(steps[line["key"]]),
                   "name": steps[line["key"]].name} for line in data["steps"]],
        "started": execution.started.timestamp() if execution.started else None,
        "finished": execution.finished.timestamp() if execution.finished else None,
        "origin": min((s.started_at for s in steps.values() if s.started_at), default=None),
        "simulated_total_s": _simulated_total(execution),
        "final_states": list(FINAL_STATES),
    }
    waves: dict[int, dict[str, list]] = {}
    for step in steps.values():
        waves.setdefault(step.wave, {}).setdefault(step.host, []).append(step)
    wave_rows = []
    for number, hosts in sorted(waves.items()):
        wave_steps = [s for host_steps in hosts.values() for s in host_steps]
        finished = sum(s.state in ("done", "skipped") for s in wave_steps)
        wave_rows.append({"number": number + 1, "hosts": hosts, "total": len(wave_steps),
                          "finished": finished, "complete": finished == len(wave_steps)})
    state = execution.state
    final = state in FINAL_STATES
    # Paused by an alarm or a window: it runs again by itself; Pause keeps it paused.
    held = services.held(execution)
    page["held"] = held
    return render(request, "executor/execution_detail.html", {
        "execution": execution, "waves": wave_rows, "steps": list(steps.values()),
        "events": events, "final": final,
        "controls": {
            "pause": state in (ExecutionState.QUEUED, ExecutionState.RUNNING) or held,
            "resume": state in (ExecutionState.PAUSED, ExecutionState.BLOCKED) and not held,
            "abort": not final and state != ExecutionState.ABORTING,
            "retry": not final and any(s.state == "failed" for s in steps.values()),
            "skip": not final and any(s.state in ("failed", "pending")
                                      for s in steps.values()),
        },
        "report": data, "page": page, "can_execute": roles.can_execute(request.user),
        "gates": gates(execution)})


def _simulated_total(execution: Execution) -> float | None:
    """The simulated duration (p50) of the content run, for the ETA; None if not simulated."""
    simulation = simulation_of(execution)
    if simulation is None:
        return None
    value = ((simulation.summary or {}).get("duration_s") or {}).get("p50")
    return float(value) if isinstance(value, (int, float)) else None


def _label(step) -> str:
    if step.kind == "move":
        if step.action == "stop-start":
            return f"stop {step.server}"
        return f"{step.action} {step.server} → {step.target or 'scheduler'}"
    if step.kind in ("switchover", "restore"):
        return f"{step.kind} {step.server}"
    return step.kind


@login_required
@require_POST
def execution_start(request):
    plan = get_object_or_404(Plan, pk=request.POST.get("plan"))
    try:
        config = json.loads(request.POST.get("config") or "{}")
        execution = services.start_execution(plan, request.user, config)
    except (services.ExecutionError, ValueError) as exc:
        messages.error(request, str(exc))
        return redirect("executor:execution-list")
    return redirect(execution)


@login_required
@require_POST
def execution_control(request, pk: int, action: str):
    execution = get_object_or_404(Execution, pk=pk)
    post = request.POST
    try:
        if action == "pause":
            services.pause(execution, request.user)
        elif action == "resume":
            services.resume(execution, request.user)
        elif action == "abort":
            services.abort(execution, request.user, post.get("reason", ""))
        elif action == "retry":
            services.retry_step(execution, request.user, post.get("step", ""))
        elif action == "skip":
            services.skip_step(execution, request.user, post.get("step", ""),
                               post.get("reason", ""))
        else:
            messages.error(request, f"Unknown action {action}.")
    except services.ExecutionError as exc:
        messages.error(request, str(exc))
    if request.headers.get("Accept") == "application/json":
        execution.refresh_from_db()
        return JsonResponse({"state": execution.state})
    return redirect(execution)


@login_required
def execution_report(request, pk: int, fmt: str):
    execution = get_object_or_404(Execution, pk=pk)
    if fmt == "csv":
        response = HttpResponse(report_csv(execution), content_type="text/csv")
    else:
        response = HttpResponse(json.dumps(report(execution), indent=2),
                                content_type="application/json")
        fmt = "json"
    response["Content-Disposition"] = f'attachment; filename="execution-{pk}-report.{fmt}"'
    return response
