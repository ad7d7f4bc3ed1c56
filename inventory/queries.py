"""Querysets of the inventory with what lists show, in a fixed number of queries."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Sum
from django.db.models.functions import Coalesce

from inventory import models as m


def hosts_with_usage():
    """Hosts annotated with their servers' usage, components and aggregates prefetched."""
    return (
        m.Host.objects.select_related("cloud")
        .annotate(
            server_count=Count("servers"),
            used_vcpus=Coalesce(Sum("servers__vcpus"), 0),
            used_ram_mib=Coalesce(Sum("servers__ram_mib"), 0),
            used_disk_gib=Coalesce(Sum("servers__disk_gib"), 0),
        )
        .prefetch_related(
            Prefetch("components", queryset=m.HostComponent.objects.order_by("name")),
            Prefetch("aggregates", queryset=m.Aggregate.objects.order_by("name")),
        )
    )


def servers_with_context():
    return m.Server.objects.select_related("cloud", "host", "vnf_member__vnf").prefetch_related(
        Prefetch("server_groups", queryset=m.ServerGroup.objects.order_by("name")))


def groups_with_members():
    """Server groups with their members (and the members' hosts) prefetched."""
    return (
        m.ServerGroup.objects.select_related("cloud")
        .annotate(member_count=Count("members"))
        .prefetch_related(
            Prefetch("members", queryset=m.Server.objects.select_related("host").order_by("name"))
        )
    )


def vnfs_with_members():
    return (
        m.Vnf.objects.select_related("cloud")
        .annotate(member_count=Count("members"))
        .prefetch_related(
            Prefetch(
                "members",
                queryset=m.VnfMember.objects.select_related("server__host").order_by(
                    "server__name"
                ),
            )
        )
    )
