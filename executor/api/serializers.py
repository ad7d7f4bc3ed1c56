from __future__ import annotations

from rest_framework import serializers

from executor.models import Execution, ExecutionEvent, StepRecord


class StepSerializer(serializers.ModelSerializer):
    class Meta:
        model = StepRecord
        fields = ["index", "key", "wave", "host", "kind", "server", "action", "source",
                  "target", "vnf", "state", "attempts", "error", "started_at", "finished_at",
                  "expected_s", "observed", "skip_reason"]
        read_only_fields = fields


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = ExecutionEvent
        fields = ["seq", "at", "kind", "message", "step", "host", "data", "actor"]
        read_only_fields = fields


class ExecutionSerializer(serializers.ModelSerializer):
    plan_name = serializers.CharField(source="plan.name", read_only=True)
    started_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    events_ws = serializers.SerializerMethodField()

    class Meta:
        model = Execution
        fields = ["id", "plan", "plan_name", "plan_hash", "cloud_name", "state", "wanted",
                  "cause", "config", "target_versions", "started_by", "created", "started",
                  "finished", "last_seq", "events_ws"]
        read_only_fields = fields

    def get_events_ws(self, execution) -> str:
        return f"/ws/executions/{execution.pk}/"


class ExecutionDetailSerializer(ExecutionSerializer):
    steps = StepSerializer(many=True, read_only=True)

    class Meta(ExecutionSerializer.Meta):
        fields = [*ExecutionSerializer.Meta.fields, "steps"]
        read_only_fields = fields


class StartSerializer(serializers.Serializer):
    plan = serializers.IntegerField()
    config = serializers.JSONField(required=False, default=dict)


class StepKeySerializer(serializers.Serializer):
    step = serializers.CharField()


class SkipSerializer(StepKeySerializer):
    reason = serializers.CharField()


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")
