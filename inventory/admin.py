from django.contrib import admin

from inventory import models as m


class HostComponentInline(admin.TabularInline):
    model = m.HostComponent
    extra = 0


class ReleaseComponentInline(admin.TabularInline):
    model = m.ReleaseComponent
    extra = 0


class ControlPlaneInline(admin.TabularInline):
    model = m.ControlPlaneComponent
    extra = 0


@admin.register(m.Cloud)
class CloudAdmin(admin.ModelAdmin):
    list_display = ["name", "openstack_cloud", "target_release", "updated"]
    inlines = [ReleaseComponentInline, ControlPlaneInline]


@admin.register(m.Aggregate)
class AggregateAdmin(admin.ModelAdmin):
    list_display = ["name", "cloud"]
    list_filter = ["cloud"]


@admin.register(m.Host)
class HostAdmin(admin.ModelAdmin):
    list_display = ["name", "cloud", "az", "vcpus", "ram_mib", "service_status", "service_state"]
    list_filter = ["cloud", "az", "service_status", "service_state", "aggregates"]
    search_fields = ["name"]
    filter_horizontal = ["aggregates"]
    inlines = [HostComponentInline]


@admin.register(m.Server)
class ServerAdmin(admin.ModelAdmin):
    list_display = ["name", "host", "flavor", "vcpus", "ram_mib", "status", "live_migratable"]
    list_filter = ["cloud", "status", "live_migratable"]
    search_fields = ["name", "uuid"]
    raw_id_fields = ["host"]
    list_select_related = ["host"]


@admin.register(m.ServerGroup)
class ServerGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "cloud", "policy"]
    list_filter = ["cloud", "policy"]
    search_fields = ["name"]
    raw_id_fields = ["members"]


class VnfMemberInline(admin.TabularInline):
    model = m.VnfMember
    extra = 0
    raw_id_fields = ["server"]


@admin.register(m.Vnf)
class VnfAdmin(admin.ModelAdmin):
    list_display = ["name", "cloud", "ha_model", "max_impacted", "outage_budget_s"]
    list_filter = ["cloud", "ha_model"]
    search_fields = ["name"]
    inlines = [VnfMemberInline]
