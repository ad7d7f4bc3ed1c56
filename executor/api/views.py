from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from executor import services
from executor.api import serializers as s
from executor.models import Execution
from executor.reports import report, report_csv
from planner.models import Plan


def _refusal(exc: Exception) -> Response:
    code = (status.HTTP_403_FORBIDDEN if isinstance(exc, services.NotAllowed)
            else status.HTTP_409_CONFLICT if isinstance(exc, services.Busy) else 400)
    return Response({"detail": str(exc)}, status=code)


class ExecutionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                       viewsets.GenericViewSet):
    """Executions of approved plans: start, pause, resume, abort, retry or skip a step, report.

    Every signed-in user reads; the actions check that the user is an admin.
    """

    queryset = Execution.objects.select_related("plan", "started_by")
    permission_classes = [permissions.IsAuthenticated]
    filterset_fields = ["state", "plan"]
    ordering_fields = ["created", "state"]
    ordering = ["-created"]

    def get_serializer_class(self):
        if self.action == "retrieve":
            return s.ExecutionDetailSerializer
        return s.ExecutionSerializer

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("steps")
        return queryset

    def _answer(self, request, step, *args):
        try:
            execution = step(self.get_object(), request.user, *args)
        except services.ExecutionError as exc:
            return _refusal(exc)
        return Response(s.ExecutionSerializer(execution).data)

    @extend_schema(request=s.StartSerializer, responses={202: s.ExecutionSerializer})
    @action(detail=False, methods=["post"])
    def start(self, request):
        body = s.StartSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        plan = get_object_or_404(Plan, pk=body.validated_data["plan"])
        try:
            execution = services.start_execution(plan, request.user,
                                                 body.validated_data["config"])
        except services.ExecutionError as exc:
            return _refusal(exc)
        return Response(s.ExecutionSerializer(execution).data, status=202)

    @extend_schema(request=None, responses={200: s.ExecutionSerializer})
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        return self._answer(request, services.pause)

    @extend_schema(request=None, responses={200: s.ExecutionSerializer})
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return self._answer(request, services.resume)

    @extend_schema(request=s.ReasonSerializer, responses={200: s.ExecutionSerializer})
    @action(detail=True, methods=["post"])
    def abort(self, request, pk=None):
        body = s.ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(request, services.abort, body.validated_data["reason"])

    @extend_schema(request=s.StepKeySerializer, responses={200: s.ExecutionSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        body = s.StepKeySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(request, services.retry_step, body.validated_data["step"])

    @extend_schema(request=s.SkipSerializer, responses={200: s.ExecutionSerializer})
    @action(detail=True, methods=["post"])
    def skip(self, request, pk=None):
        body = s.SkipSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(request, services.skip_step, body.validated_data["step"],
                            body.validated_data["reason"])

    @extend_schema(responses={200: s.EventSerializer(many=True)},
                   parameters=[OpenApiParameter("after", int, default=0)])
    @action(detail=True, methods=["get"])
    def events(self, request, pk=None):
        try:
            after = int(request.query_params.get("after", 0))
        except ValueError:
            return Response({"after": ["must be an integer"]}, status=400)
        events = self.get_object().events.filter(seq__gt=after).select_related("actor")
        return Response(s.EventSerializer(events, many=True).data)

    @extend_schema(parameters=[OpenApiParameter("as", enum=["json", "csv"], default="json")],
                   responses={200: dict})
    @action(detail=True, methods=["get"])
    def report(self, request, pk=None):
        execution = self.get_object()
        fmt = request.query_params.get("as", "json")
        if fmt == "csv":
            response = HttpResponse(report_csv(execution), content_type="text/csv")
            response["Content-Disposition"] = (
                f'attachment; filename="execution-{execution.pk}-report.csv"')
            return response
        if fmt != "json":
            return Response({"as": ["must be json or csv"]}, status=400)
        return Response(report(execution))
