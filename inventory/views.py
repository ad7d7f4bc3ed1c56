"""Pages of the inventory: thin, they call queries and services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from escalator_site.paging import PAGE_SIZES, page_of, query_without
from escalator_site.permissions import role_required
from escalator_site.roles import Role
from inventory import models as m
from inventory import services
from inventory.files import InventoryError, dumps_inventory
from inventory.filtersets import (
    HostFilterSet,
    ServerFilterSet,
    ServerGroupFilterSet,
    VnfFilterSet,
)
from inventory.forms import ImportForm
from inventory.queries import (
    groups_with_members,
    hosts_with_usage,
    servers_with_context,
    vnfs_with_members,
)

HOST_SORTS = {
    "name": "name",
    "az": "az",
    "servers": "server_count",
    "ram": "used_ram_mib",
    "vcpus": "used_vcpus",
    "state": "service_state",
}
@login_required
def host_list(request):
    filterset = HostFilterSet(request.GET, queryset=hosts_with_usage())
    sort = request.GET.get("sort", "name")
    field = HOST_SORTS.get(sort.lstrip("-"), "name")
    ordering = f"-{field}" if sort.startswith("-") else field
    hosts = filterset.qs.order_by(ordering, "name")
    page = page_of(request, hosts)
    return render(
        request,
        "inventory/host_list.html",
        {
            "filter": filterset,
            "page": page,
            "sort": sort,
            "query_no_sort": query_without(request, "sort", "page"),
            "query_no_page": query_without(request, "page"),
            "page_sizes": PAGE_SIZES,
            "azs": m.Host.objects.values_list("az", flat=True).distinct().order_by("az"),
            "aggregates": m.Aggregate.objects.values_list("name", flat=True)
            .distinct()
            .order_by("name"),
            "component_names": m.HostComponent.objects.values_list("name", flat=True)
            .distinct()
            .order_by("name"),
            **_current_version(),
        },
    )


def _current_version() -> dict:
    """The default cloud and its current version, for the version panel (none stored: empty)."""
    try:
        cloud = services.default_cloud()
    except services.CloudNotFound:
        return {}
    return {"cloud": cloud, "version": services.version_history(cloud, limit=1)[0]}


@login_required
def host_detail(request, pk: int):
    host = get_object_or_404(hosts_with_usage(), pk=pk)
    servers = host.servers.select_related("vnf_member__vnf").order_by("name")
    target = {c.name: c.version for c in host.cloud.target_components.all()}
    components = [
        {"name": c.name, "version": c.version, "target": target.get(c.name),
         "current": target.get(c.name) in (None, c.version)}
        for c in host.components.all()
    ]
    bars = [
        ("vCPU", host.used_vcpus, host.vcpu_capacity, ""),
        ("RAM", host.used_ram_mib / 1024, host.ram_capacity_mib / 1024, " GiB"),
        ("Disk", host.used_disk_gib, host.disk_capacity_gib, " GiB"),
    ]
    capacity = [
        {"label": label, "used": used, "total": total, "unit": unit,
         "pct": min(100.0, round(100 * used / total, 1)) if total else 0}
        for label, used, total, unit in bars
    ]
    return render(
        request,
        "inventory/host_detail.html",
        {"host": host, "servers": servers, "components": components, "capacity": capacity},
    )


@login_required
def vnf_list(request):
    filterset = VnfFilterSet(request.GET, queryset=vnfs_with_members())
    page = page_of(request, filterset.qs.order_by("name"))
    return render(
        request,
        "inventory/vnf_list.html",
        {"filter": filterset, "page": page, "query_no_page": query_without(request, "page"),
         "page_sizes": PAGE_SIZES},
    )


@login_required
def server_list(request):
    filterset = ServerFilterSet(request.GET, queryset=servers_with_context())
    page = page_of(request, filterset.qs.order_by("name", "pk"))
    return render(request, "inventory/server_list.html", {
        "filter": filterset, "page": page, "query_no_page": query_without(request, "page"),
        "page_sizes": PAGE_SIZES,
        "hosts": m.Host.objects.values_list("name", flat=True).distinct().order_by("name"),
        "statuses": m.Server.objects.values_list("status", flat=True).distinct()
        .order_by("status")})


@login_required
def server_group_list(request):
    filterset = ServerGroupFilterSet(request.GET, queryset=groups_with_members())
    page = page_of(request, filterset.qs.order_by("name", "pk"))
    return render(request, "inventory/server_group_list.html", {
        "filter": filterset, "page": page, "query_no_page": query_without(request, "page"),
        "page_sizes": PAGE_SIZES})


@login_required
def vnf_detail(request, pk: int):
    vnf = get_object_or_404(vnfs_with_members(), pk=pk)
    groups = m.ServerGroup.objects.filter(members__vnf_member__vnf=vnf).distinct()
    return render(request, "inventory/vnf_detail.html", {"vnf": vnf, "groups": groups})


@require_POST
@role_required(Role.ADMIN)
def refresh(request, name: str):
    """Read the cloud again from OpenStack in the background; back to where the button was."""
    cloud = get_object_or_404(m.Cloud, name=name)
    services.request_refresh(cloud, request.user)
    messages.success(request, f"Refresh of cloud {cloud.name} from OpenStack started: "
                              "the hosts show the new version when it is read.")
    return redirect(_back(request, "inventory:host-list"))


def _back(request, default: str) -> str:
    target = request.META.get("HTTP_REFERER", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return reverse(default)


@role_required(Role.ADMIN)
def import_inventory(request):
    problems: list[str] = []
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                counts = services.import_upload(
                    form.cleaned_data["file"], replace=form.cleaned_data["replace"],
                    user=request.user,
                )
            except InventoryError as exc:
                problems = exc.problems
            else:
                messages.success(
                    request,
                    "Imported {hosts} hosts, {servers} servers, {vnfs} VNFs and "
                    "{server_groups} server groups as inventory version {version}."
                    .format(**counts),
                )
                return redirect("inventory:host-list")
    else:
        form = ImportForm()
    status = 400 if problems or form.errors else 200
    return render(
        request, "inventory/import.html", {"form": form, "problems": problems}, status=status
    )


@login_required
def export_inventory(request):
    fmt = request.GET.get("format", "yaml")
    if fmt not in ("yaml", "json"):
        return HttpResponse("format must be yaml or json", status=400)
    try:
        snapshot = services.load_snapshot(request.GET.get("cloud"))
    except services.CloudNotFound as exc:
        return HttpResponse(str(exc), status=404)
    response = HttpResponse(
        dumps_inventory(snapshot, fmt),
        content_type="application/json" if fmt == "json" else "application/yaml",
    )
    response["Content-Disposition"] = f'attachment; filename="{snapshot.cloud}-inventory.{fmt}"'
    return response
