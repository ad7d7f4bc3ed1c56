from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from inventory.services import CloudNotFound
from planner import services
from planner.api import serializers as s
from planner.api.permissions import PlanPermission
from planner.exports import EXPORT_FORMATS, export_plan
from planner.models import Plan, PrecheckRun, Simulation


def _refusal(exc: Exception) -> Response:
    code = (status.HTTP_403_FORBIDDEN if isinstance(exc, services.NotAllowed)
            else status.HTTP_429_TOO_MANY_REQUESTS if isinstance(exc, services.TooMany)
            else 400)
    return Response({"detail": str(exc)}, status=code)


class PlanViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Upgrade plans: create with a strategy, simulate, submit, approve or reject, export."""

    queryset = Plan.objects.select_related("cloud", "author", "approved_by", "inventory_version")
    permission_classes = [PlanPermission]
    filterset_fields = ["state", "strategy", "cloud__name"]
    ordering_fields = ["created", "updated", "state"]
    ordering = ["-created"]

    def get_serializer_class(self):
        if self.action == "retrieve":
            return s.PlanDetailSerializer
        return s.PlanSerializer

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("events__actor")
        return queryset

    @extend_schema(request=s.PlanCreateSerializer, responses={202: s.PlanSerializer})
    def create(self, request, *args, **kwargs):
        """Start planning: the plan is ``planning`` until the task makes it a draft."""
        body = s.PlanCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            plan = services.create_plan(request.user, background=True, **body.validated_data)
        except (services.WorkflowError, CloudNotFound) as exc:
            return _refusal(exc)
        return Response(s.PlanSerializer(plan, context={"request": request}).data, status=202)

    @extend_schema(request=s.PlanContentSerializer, responses={200: s.PlanDetailSerializer})
    @action(detail=True, methods=["put"], url_path="content")
    def content(self, request, pk=None):
        body = s.PlanContentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            plan = services.change_content(self.get_object(), request.user,
                                           body.validated_data["content"],
                                           body.validated_data["comment"])
        except services.WorkflowError as exc:
            return _refusal(exc)
        return Response(s.PlanDetailSerializer(plan, context={"request": request}).data)

    @extend_schema(request=s.PolicySerializer, responses={200: s.PlanDetailSerializer})
    @action(detail=True, methods=["put"], url_path="policy")
    def policy(self, request, pk=None):
        """Change the options that bound the plan; it goes back to draft."""
        body = s.PolicySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            plan = services.change_policy(self.get_object(), request.user,
                                          body.validated_data["options"],
                                          body.validated_data["comment"])
        except services.WorkflowError as exc:
            return _refusal(exc)
        return Response(s.PlanDetailSerializer(plan, context={"request": request}).data)

    @extend_schema(request=s.CommentSerializer, responses={200: s.PlanDetailSerializer})
    @action(detail=True, methods=["post"])
    def replan(self, request, pk=None):
        """Plan again against the cloud's current inventory version (back to draft)."""
        body = s.CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            plan = services.replan(self.get_object(), request.user, body.validated_data["comment"])
        except services.WorkflowError as exc:
            return _refusal(exc)
        return Response(s.PlanDetailSerializer(plan, context={"request": request}).data)

    @extend_schema(request=s.SimulateSerializer, responses={202: s.SimulationSerializer})
    @action(detail=True, methods=["post"])
    def simulate(self, request, pk=None):
        body = s.SimulateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            simulation = services.request_simulation(self.get_object(), request.user,
                                                     **body.validated_data)
        except services.WorkflowError as exc:
            return _refusal(exc)
        return Response(s.SimulationSerializer(simulation).data, status=202)

    def _workflow(self, request, step, comment_required=False):
        body = s.CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            plan = step(self.get_object(), request.user, body.validated_data["comment"])
        except services.WorkflowError as exc:
            return _refusal(exc)
        return Response(s.PlanSerializer(plan, context={"request": request}).data)

    @extend_schema(request=s.CommentSerializer, responses={200: s.PlanSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._workflow(request, services.submit_plan)

    @extend_schema(request=s.ApproveSerializer, responses={200: s.PlanSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve the plan with the estimate the approver saw (default: the latest baseline)."""
        body = s.ApproveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            plan = services.approve_plan(self.get_object(), request.user,
                                         body.validated_data["comment"],
                                         simulation=body.validated_data["simulation"],
                                         hooks=body.validated_data["hooks"])
        except services.WorkflowError as exc:
            return _refusal(exc)
        return Response(s.PlanSerializer(plan, context={"request": request}).data)

    @extend_schema(request=s.CommentSerializer, responses={200: s.PlanSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._workflow(request, services.reject_plan)

    @extend_schema(
        parameters=[OpenApiParameter("as", enum=list(EXPORT_FORMATS), default="json")],
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, "application/yaml"): OpenApiTypes.OBJECT,  # a YAML mapping
            (200, "text/csv"): OpenApiTypes.STR,
        },
    )
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        fmt = request.query_params.get("as", "json")
        if fmt not in EXPORT_FORMATS:
            return Response({"as": [f"must be one of {', '.join(EXPORT_FORMATS)}"]},
                            status=400)
        plan = self.get_object()
        text, content_type = export_plan(plan, fmt)
        response = HttpResponse(text, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="plan-{plan.pk}.{fmt}"'
        return response


class SimulationViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Simulation.objects.select_related("requested_by")
    permission_classes = [PlanPermission]
    filterset_fields = ["plan", "state"]
    ordering = ["-created"]

    def get_serializer_class(self):
        return s.SimulationDetailSerializer if self.action == "retrieve" else s.SimulationSerializer


class PrecheckViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Pre-check runs; POST runs the pre-check on the stored inventory now."""

    queryset = PrecheckRun.objects.select_related("cloud", "run_by")
    serializer_class = s.PrecheckRunSerializer
    permission_classes = [PlanPermission]
    ordering = ["-at", "-pk"]

    @extend_schema(request=None, responses={201: s.PrecheckRunSerializer})
    def create(self, request):
        from escalator_site import roles

        if not roles.can_plan(request.user):
            return Response({"detail": "Your role does not allow you to run the pre-check."},
                            status=403)
        try:
            run = services.run_precheck(request.user, request.data.get("cloud"))
        except CloudNotFound as exc:
            return Response({"detail": str(exc)}, status=404)
        return Response(s.PrecheckRunSerializer(run).data, status=201)
