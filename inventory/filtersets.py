"""Filters of the inventory lists, shared by the pages and the API."""

from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef, Q

from inventory import models as m
from inventory.choices import GroupPolicy, HaModel, ServiceState, ServiceStatus


class HostFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Name contains")
    cloud = django_filters.CharFilter(field_name="cloud__name")
    az = django_filters.CharFilter(field_name="az", label="Availability zone")
    aggregate = django_filters.CharFilter(
        field_name="aggregates__name", label="Aggregate", distinct=True
    )
    service_status = django_filters.ChoiceFilter(choices=ServiceStatus.choices)
    service_state = django_filters.ChoiceFilter(choices=ServiceState.choices)
    component = django_filters.CharFilter(method="filter_component", label="Component")
    version = django_filters.CharFilter(method="filter_version", label="Version")
    behind_target = django_filters.BooleanFilter(method="filter_behind", label="Behind target")

    class Meta:
        model = m.Host
        fields = ["q", "cloud", "az", "aggregate", "service_status", "service_state"]

    def search(self, queryset, name, value):
        return queryset.filter(name__icontains=value)

    def filter_component(self, queryset, name, value):
        version = self.data.get("version")
        lookup = Q(components__name=value)
        if version:
            lookup &= Q(components__version=version)
        return queryset.filter(lookup).distinct()

    def filter_version(self, queryset, name, value):
        if self.data.get("component"):
            return queryset  # combined with the component in filter_component
        return queryset.filter(components__version=value).distinct()

    def filter_behind(self, queryset, name, value):
        """Hosts with at least one component not at the target release's version."""
        mismatch = m.ReleaseComponent.objects.filter(
            cloud=OuterRef("host__cloud"), name=OuterRef("name")
        ).exclude(version=OuterRef("version"))
        behind = m.HostComponent.objects.filter(Exists(mismatch)).values("host_id")
        return queryset.filter(pk__in=behind) if value else queryset.exclude(pk__in=behind)


class ServerFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="Name contains")
    cloud = django_filters.CharFilter(field_name="cloud__name")
    host = django_filters.CharFilter(field_name="host__name")
    status = django_filters.CharFilter()
    live_migratable = django_filters.BooleanFilter()
    vnf = django_filters.CharFilter(field_name="vnf_member__vnf__name", label="VNF")

    class Meta:
        model = m.Server
        fields = ["q", "cloud", "host", "status", "live_migratable", "vnf"]


class VnfFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="Name contains")
    cloud = django_filters.CharFilter(field_name="cloud__name")
    ha_model = django_filters.ChoiceFilter(choices=HaModel.choices, label="HA model")

    class Meta:
        model = m.Vnf
        fields = ["q", "cloud", "ha_model"]


class ServerGroupFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="Name contains")
    cloud = django_filters.CharFilter(field_name="cloud__name")
    policy = django_filters.ChoiceFilter(choices=GroupPolicy.choices, empty_label="any")
    member = django_filters.CharFilter(field_name="members__name", label="Member server",
                                       distinct=True)

    class Meta:
        model = m.ServerGroup
        fields = ["q", "cloud", "policy", "member"]
