from __future__ import annotations

from rest_framework import serializers

from planner.models import Plan, PlanEvent, PrecheckRun, Simulation
from planner.simulation import MAX_SEED


class PlanEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = PlanEvent
        fields = ["at", "actor", "action", "from_state", "to_state", "comment", "content_hash"]


class SimulationSerializer(serializers.ModelSerializer):
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    inventory_version = serializers.SlugRelatedField(slug_field="number", read_only=True,
                                                     allow_null=True)
    progress_ws = serializers.SerializerMethodField()

    class Meta:
        model = Simulation
        fields = ["id", "plan", "inventory_version", "runs", "seed", "params", "state",
                  "done_runs", "summary",
                  "error", "requested_by", "created", "started", "finished", "content_hash",
                  "progress_ws"]
        read_only_fields = fields

    def get_progress_ws(self, simulation) -> str:
        return f"/ws/simulations/{simulation.pk}/"


class SimulationDetailSerializer(SimulationSerializer):
    class Meta(SimulationSerializer.Meta):
        fields = [*SimulationSerializer.Meta.fields, "sample_run"]
        read_only_fields = fields


class PlanSerializer(serializers.ModelSerializer):
    cloud = serializers.SlugRelatedField(slug_field="name", read_only=True)
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)
    approved_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    inventory_version = serializers.SlugRelatedField(slug_field="number", read_only=True,
                                                     allow_null=True)
    policy = serializers.JSONField(source="options", read_only=True)

    class Meta:
        model = Plan
        fields = ["id", "name", "cloud", "inventory_version", "strategy", "options", "policy",
                  "target_release", "state", "content_hash", "approved_hash",
                  "approved_simulation", "validation", "lower_bound_s", "author", "approved_by",
                  "created", "updated"]
        read_only_fields = fields


class PlanDetailSerializer(PlanSerializer):
    events = PlanEventSerializer(many=True, read_only=True)
    out_of_date = serializers.SerializerMethodField()

    class Meta(PlanSerializer.Meta):
        fields = [*PlanSerializer.Meta.fields, "out_of_date", "content", "events"]
        read_only_fields = fields

    def get_out_of_date(self, plan) -> list[str]:
        """Why the plan no longer fits the cloud's current inventory (empty: it does)."""
        from planner.services import plan_drift

        return plan_drift(plan)


class PlanCreateSerializer(serializers.Serializer):
    strategy = serializers.CharField()
    options = serializers.DictField(required=False, default=dict)
    name = serializers.CharField(required=False, allow_blank=True, default="")
    cloud = serializers.CharField(required=False, allow_null=True, default=None)


class PlanContentSerializer(serializers.Serializer):
    content = serializers.DictField()
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class SimulateSerializer(serializers.Serializer):
    runs = serializers.IntegerField(min_value=1, max_value=1000, default=20)
    seed = serializers.IntegerField(min_value=0, max_value=MAX_SEED, default=0)
    params = serializers.DictField(required=False, default=dict)


class PolicySerializer(serializers.Serializer):
    options = serializers.DictField()
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ApproveSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    simulation = serializers.IntegerField(required=False, allow_null=True, default=None,
                                          min_value=1, max_value=2**31 - 1)
    hooks = serializers.DictField(
        child=serializers.CharField(max_length=100), required=False, allow_null=True,
        default=None, help_text="The named hooks the approval covers: upgrade_driver, "
        "vnf_manager (default: the built-ins sandbox and none).")


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class PrecheckRunSerializer(serializers.ModelSerializer):
    cloud = serializers.SlugRelatedField(slug_field="name", read_only=True)
    inventory_version = serializers.SlugRelatedField(slug_field="number", read_only=True,
                                                     allow_null=True)
    run_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = PrecheckRun
        fields = ["id", "cloud", "inventory_version", "at", "run_by", "ok", "counts", "items"]
        read_only_fields = fields
