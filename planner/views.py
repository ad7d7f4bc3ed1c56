"""Pages of planning: pre-check, plan builder, plan page, what-if. Thin: services do the work."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from escalator_site import paging, roles
from inventory.services import CloudNotFound, current_version, default_cloud
from planner import charts, services
from planner.choices import PlanState
from planner.exports import EXPORT_FORMATS, export_plan
from planner.forms import CommentForm, MoveHostForm, PlanBuilderForm, SimulateForm
from planner.models import Plan, PrecheckRun, Simulation

MAX_COMPARED = 4


@login_required
def precheck(request):
    if request.method == "POST":
        if not roles.can_plan(request.user):
            raise PermissionDenied
        try:
            services.run_precheck(request.user)
        except CloudNotFound as exc:
            messages.error(request, str(exc))
        return redirect("planner:precheck")
    run = PrecheckRun.objects.select_related("run_by").first()
    return render(request, "planner/precheck.html", {"run": run, "can_plan": roles.can_plan(request.user)})


@login_required
def plan_list(request):
    plans = Plan.objects.select_related("author", "cloud").order_by("-created")
    state = request.GET.get("state")
    if state:
        plans = plans.filter(state=state)
    page = paging.page_of(request, plans)
    return render(request, "planner/plan_list.html", {
        "plans": page, "page": page, "page_sizes": paging.PAGE_SIZES,
        "query_no_page": paging.query_without(request, "page"),
        "states": PlanState.choices, "state": state,
        "can_plan": roles.can_plan(request.user),
    })


@login_required
def plan_new(request):
    if not roles.can_plan(request.user):
        raise PermissionDenied
    try:
        cloud = default_cloud()
    except CloudNotFound as exc:
        messages.error(request, str(exc))
        return redirect("dashboard")
    form = PlanBuilderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.create_plan(
                request.user, form.cleaned_data["strategy"], form.options(),
                name=form.cleaned_data["name"], background=True,
            )
        except services.WorkflowError as exc:
            form.add_error(None, str(exc))
        else:
            messages.info(request, f"Planning {plan.name}: this page shows the plan when it is ready.")
            return redirect(plan)
    return render(request, "planner/plan_new.html", {
        "form": form, "cloud": cloud,
        "target": cloud.target_components.all(),
    })


@login_required
def plan_detail(request, pk: int):
    plan = get_object_or_404(
        Plan.objects.select_related("author", "approved_by", "cloud", "inventory_version"), pk=pk)
    simulation = plan.simulations.order_by("-created").first()
    # The approved estimate, else the latest baseline: a what-if variant never takes its place.
    finished = plan.headline_simulation or plan.latest_simulation
    user = request.user
    shaped = user.pk in services.shapers(plan)
    context = {
        "plan": plan,
        "waves": charts.waves_table(plan.content),
        "simulation": simulation,
        "finished": finished,
        "figures": charts.figures(plan, finished) if finished else None,
        "chart_data": charts.plan_charts(finished) if finished else None,
        "vnf_rows": charts.vnf_rows(finished) if finished else [],
        "events": plan.events.select_related("actor"),
        "simulate_form": SimulateForm(),
        "comment_form": CommentForm(),
        "move_form": MoveHostForm(),
        "can_plan": roles.can_plan(user),
        "can_approve": roles.can_approve(user) and not shaped,
        "can_execute": roles.can_execute(user),
        "is_author": shaped,
        "out_of_date": services.plan_drift(plan),
        "current_version": current_version(plan.cloud),
        "simulations": plan.simulations.select_related("requested_by").order_by("-created")[:20],
        "policy": sorted(plan.options.items()),
        "export_formats": EXPORT_FORMATS,
        "approval_current": services.is_approved_as_is(plan),
    }
    context["verdicts_differ"] = bool(
        plan.content and plan.is_valid and context["figures"]
        and (context["figures"]["sla_violations_max"] or 0) > 0)
    return render(request, "planner/plan_detail.html", context)


def _act(request, plan, step, success: str):
    form = CommentForm(request.POST)
    form.is_valid()
    try:
        step(plan, request.user, form.cleaned_data.get("comment", ""))
    except services.NotAllowed as exc:
        messages.error(request, str(exc))
        return redirect(plan)
    except services.WorkflowError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success)
    return redirect(plan)


@login_required
@require_POST
def plan_submit(request, pk: int):
    return _act(request, get_object_or_404(Plan, pk=pk), services.submit_plan, "Submitted for approval.")


@login_required
@require_POST
def plan_approve(request, pk: int):
    plan = get_object_or_404(Plan, pk=pk)
    seen = request.POST.get("simulation", "")
    estimate = int(seen) if seen.isdigit() and len(seen) < 10 else None

    def approve(plan, user, comment):
        return services.approve_plan(plan, user, comment, simulation=estimate)

    return _act(request, plan, approve, "Plan approved.")


@login_required
@require_POST
def plan_replan(request, pk: int):
    return _act(request, get_object_or_404(Plan, pk=pk), services.replan,
                "Re-planned against the current inventory: simulate it, then submit it again.")


@login_required
@require_POST
def plan_reject(request, pk: int):
    return _act(request, get_object_or_404(Plan, pk=pk), services.reject_plan, "Plan rejected.")


@login_required
@require_POST
def plan_simulate(request, pk: int):
    plan = get_object_or_404(Plan, pk=pk)
    form = SimulateForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Simulation: {form.errors.as_text()}")
        return redirect(plan)
    try:
        services.request_simulation(
            plan, request.user, runs=form.cleaned_data["runs"], seed=form.cleaned_data["seed"],
            params=form.params(),
        )
    except services.WorkflowError as exc:
        messages.error(request, str(exc))
    return redirect(plan)


@login_required
@require_POST
def plan_move_host(request, pk: int):
    plan = get_object_or_404(Plan, pk=pk)
    form = MoveHostForm(request.POST)
    if form.is_valid():
        try:
            services.move_host(plan, request.user, form.cleaned_data["host"], form.cleaned_data["wave"])
        except services.WorkflowError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Plan changed: it is a draft again and needs a new simulation.")
    else:
        messages.error(request, form.errors.as_text())
    return redirect(plan)


@login_required
def plan_export(request, pk: int, fmt: str):
    if fmt not in EXPORT_FORMATS:
        return HttpResponse(f"format must be one of {', '.join(EXPORT_FORMATS)}", status=400)
    plan = get_object_or_404(Plan, pk=pk)
    if not plan.content or plan.state in (PlanState.PLANNING, PlanState.FAILED):
        return HttpResponse(f"Plan {plan.pk} is {plan.get_state_display().lower()}: it has no "
                            "content to export.", status=409, content_type="text/plain")
    text, content_type = export_plan(plan, fmt)
    response = HttpResponse(text, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="plan-{plan.pk}.{fmt}"'
    return response


@login_required
def whatif(request):
    plans = Plan.objects.order_by("-created")[:50]
    if request.method == "POST":
        if not roles.can_plan(request.user):
            raise PermissionDenied
        ids = []
        for column in range(MAX_COMPARED):
            plan_id = request.POST.get(f"plan_{column}", "")
            if not plan_id.isdigit():
                continue
            form = SimulateForm({key.removesuffix(f"_{column}"): value
                                 for key, value in request.POST.items() if key.endswith(f"_{column}")})
            if not form.is_valid():
                messages.error(request, f"Column {column + 1}: {form.errors.as_text()}")
                continue
            try:
                simulation = services.request_simulation(
                    get_object_or_404(Plan, pk=plan_id), request.user,
                    runs=form.cleaned_data["runs"], seed=form.cleaned_data["seed"],
                    params=form.params(),
                )
            except services.WorkflowError as exc:
                messages.error(request, f"Column {column + 1}: {exc}")
                continue
            ids.append(str(simulation.pk))
        if len(ids) < 2:
            messages.error(request, "Choose at least two plans or variants to compare.")
        return redirect(f"{request.path}?" + "&".join(f"s={i}" for i in ids))
    chosen = [int(i) for i in request.GET.getlist("s") if i.isdigit() and len(i) < 19]
    chosen = chosen[:MAX_COMPARED]
    simulations = list(Simulation.objects.filter(pk__in=chosen).select_related("plan"))
    simulations.sort(key=lambda s: chosen.index(s.pk))
    # The form shows back what was compared, column by column, to vary one thing and run again.
    defaults = SimulateForm().initial_values()
    columns = []
    for column in range(MAX_COMPARED):
        chosen_sim = simulations[column] if column < len(simulations) else None
        values = dict(defaults, plan=None)
        if chosen_sim is not None:
            values.update(chosen_sim.params, plan=chosen_sim.plan_id, runs=chosen_sim.runs,
                          seed=chosen_sim.seed)
        columns.append({"index": column, **values})
    return render(request, "planner/whatif.html", {
        "plans": plans,
        "columns": columns,
        "simulations": simulations,
        "comparison": charts.comparison(simulations),
        "can_plan": roles.can_plan(request.user),
    })
