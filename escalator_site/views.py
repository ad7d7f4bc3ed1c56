"""Site-wide pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import render

from escalator_site import roles
from inventory import models as inventory_models
from inventory.services import CloudNotFound, cloud_overview
from planner.choices import PlanState
from planner.models import Plan, PrecheckRun
from planner.services import awaiting_approval_by


@login_required
def dashboard(request):
    try:
        overview = cloud_overview()
    except CloudNotFound as exc:
        overview = {"missing": str(exc)}
    by_state = dict(Plan.objects.values_list("state").annotate(n=Count("id")))
    context = {
        "overview": overview,
        "precheck": PrecheckRun.objects.first(),
        "plans_by_state": [(value, label, by_state.get(value, 0)) for value, label in PlanState.choices],
        "recent_plans": Plan.objects.select_related("author").order_by("-updated")[:8],
        "executions": _executions_in_progress(),
        "inbox": awaiting_approval_by(request.user),
        "show_inbox": roles.can_approve(request.user),
    }
    return render(request, "dashboard.html", context)


def _executions_in_progress() -> list:
    """Executions under way (running, paused or blocked): not the finished ones."""
    from executor.choices import UNDER_WAY
    from executor.models import Execution

    return list(Execution.objects.select_related("plan").filter(state__in=list(UNDER_WAY))
                .order_by("-pk")[:5])


SEARCH_LIMIT = 20  # rows per kind: a search is a way in, not a list


@login_required
def search(request):
    """Hosts, servers (name or UUID), VNFs, server groups and plans whose name holds the words."""
    query = request.GET.get("q", "").strip()[:100]
    results: dict[str, list] = {}
    if query:
        results = {
            "hosts": list(inventory_models.Host.objects.filter(name__icontains=query)
                          .order_by("name")[:SEARCH_LIMIT]),
            "servers": list(inventory_models.Server.objects.select_related("host")
                            .filter(Q(name__icontains=query) | Q(uuid__iexact=query))
                            .order_by("name")[:SEARCH_LIMIT]),
            "vnfs": list(inventory_models.Vnf.objects.filter(name__icontains=query)
                         .order_by("name")[:SEARCH_LIMIT]),
            "groups": list(inventory_models.ServerGroup.objects.filter(name__icontains=query)
                           .order_by("name")[:SEARCH_LIMIT]),
            "plans": list(Plan.objects.filter(name__icontains=query)
                          .order_by("-updated")[:SEARCH_LIMIT]),
        }
    return render(request, "search.html", {
        "query": query, "results": results, "limit": SEARCH_LIMIT,
        "found": sum(len(rows) for rows in results.values())})


@login_required
def preferences(request):
    """The user's display choices: the time zone of every page's times."""
    from django.core.exceptions import ValidationError
    from django.shortcuts import redirect
    from django.utils.http import url_has_allowed_host_and_scheme

    from escalator_site.models import time_zone_names
    from escalator_site.time_zones import set_time_zone, time_zone_of

    error = ""
    back = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = ""
    if request.method == "POST":
        chosen = request.POST.get("time_zone", "")[:64]
        try:
            set_time_zone(request.user, chosen)
        except ValidationError as exc:
            error = "; ".join(exc.message_dict.get("time_zone", exc.messages))
        else:
            return redirect(back or "preferences")
    status = 400 if error else 200
    return render(request, "preferences.html", {
        "zones": time_zone_names(), "current": time_zone_of(request.user), "error": error,
        "next": back}, status=status)
