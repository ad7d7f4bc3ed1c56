from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inventory import models as m


class ComponentSerializer(serializers.ModelSerializer):
    class Meta:
        model = m.HostComponent
        fields = ["name", "version"]


class InventoryVersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    source = serializers.CharField()
    created = serializers.DateTimeField()
    created_by = serializers.CharField()
    fingerprint = serializers.CharField()
    counts = serializers.DictField(child=serializers.IntegerField())
    changes = serializers.ListField(child=serializers.CharField(),
                                    help_text="What changed since the previous version.")


class CloudSerializer(serializers.ModelSerializer):
    target_components = serializers.SerializerMethodField()
    control_plane = serializers.SerializerMethodField()
    version = serializers.SerializerMethodField()

    class Meta:
        model = m.Cloud
        fields = ["id", "name", "openstack_cloud", "target_release", "target_components",
                  "control_plane", "updated", "version", "refresh_requested", "refresh_error"]

    @extend_schema_field(InventoryVersionSerializer)
    def get_version(self, cloud) -> dict:
        """The current inventory version: when it was taken, from where, what changed."""
        from inventory.services import version_history

        return version_history(cloud, limit=1)[0]

    def get_target_components(self, cloud) -> dict[str, str]:
        return {c.name: c.version for c in cloud.target_components.all()}

    def get_control_plane(self, cloud) -> dict[str, str]:
        return {c.name: c.version for c in cloud.control_plane.all()}


class HostSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="host-detail")
    cloud = serializers.SlugRelatedField(slug_field="name", read_only=True)
    aggregates = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    components = serializers.SerializerMethodField()
    server_count = serializers.IntegerField(read_only=True)
    used_vcpus = serializers.IntegerField(read_only=True)
    used_ram_mib = serializers.IntegerField(read_only=True)
    used_disk_gib = serializers.IntegerField(read_only=True)

    class Meta:
        model = m.Host
        fields = [
            "id", "url", "cloud", "name", "az", "aggregates", "vcpus", "ram_mib", "disk_gib",
            "cpu_allocation_ratio", "ram_allocation_ratio", "disk_allocation_ratio",
            "nic_bandwidth_mibps", "service_status", "service_state", "disabled_reason",
            "components", "server_count", "used_vcpus", "used_ram_mib", "used_disk_gib",
        ]
        read_only_fields = ["cloud", "name"]

    def get_components(self, host) -> dict[str, str]:
        return {c.name: c.version for c in host.components.all()}

    def validate(self, attrs):
        # Run the model's own validation so the API and the admin agree.
        instance = self.instance or m.Host()
        for key, value in attrs.items():
            setattr(instance, key, value)
        try:
            instance.clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return attrs


class ServerSerializer(serializers.ModelSerializer):
    cloud = serializers.SlugRelatedField(slug_field="name", read_only=True)
    host = serializers.SlugRelatedField(slug_field="name", read_only=True)
    vnf = serializers.SerializerMethodField()

    class Meta:
        model = m.Server
        fields = [
            "id", "cloud", "name", "uuid", "host", "flavor", "vcpus", "ram_mib", "disk_gib",
            "status", "task_state", "memory_used_mib", "memory_source", "dirty_rate_mibps",
            "dirty_rate_source", "working_set_mib",
            "live_migratable", "not_migratable_reason", "vnf",
        ]

    def get_vnf(self, server) -> str | None:
        member = getattr(server, "vnf_member", None)
        return member.vnf.name if member else None


class VnfMemberSerializer(serializers.ModelSerializer):
    server = serializers.SlugRelatedField(slug_field="name", read_only=True)
    host = serializers.CharField(source="server.host.name", read_only=True)

    class Meta:
        model = m.VnfMember
        fields = ["server", "role", "host"]


class VnfSerializer(serializers.ModelSerializer):
    cloud = serializers.SlugRelatedField(slug_field="name", read_only=True)
    members = VnfMemberSerializer(many=True, read_only=True)

    class Meta:
        model = m.Vnf
        fields = ["id", "cloud", "name", "ha_model", "max_impacted", "required_members",
                  "switchover_s", "outage_budget_s", "recovery_time_s", "lead_time_s",
                  "migration_type", "members"]


class ServerGroupSerializer(serializers.ModelSerializer):
    cloud = serializers.SlugRelatedField(slug_field="name", read_only=True)
    members = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)

    class Meta:
        model = m.ServerGroup
        fields = ["id", "cloud", "name", "policy", "members"]


class InventoryImportSerializer(serializers.Serializer):
    file = serializers.FileField()
    replace = serializers.BooleanField(default=False)
