from __future__ import annotations

from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from escalator_site.permissions import ReadOrRole
from inventory import models as m
from inventory import services
from inventory.api import serializers as s
from inventory.files import InventoryError, dumps_inventory
from inventory.filtersets import (
    HostFilterSet,
    ServerFilterSet,
    ServerGroupFilterSet,
    VnfFilterSet,
)
from inventory.queries import hosts_with_usage, servers_with_context, vnfs_with_members


class CloudViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = m.Cloud.objects.prefetch_related("target_components", "control_plane")
    serializer_class = s.CloudSerializer
    lookup_field = "name"
    lookup_value_regex = "[^/]+"
    permission_classes = [ReadOrRole]  # writes: the admin role

    @extend_schema(
        parameters=[OpenApiParameter("as", enum=["yaml", "json"], default="yaml")],
        responses={
            (200, "application/yaml"): OpenApiTypes.OBJECT,  # a YAML mapping
            (200, "application/json"): OpenApiTypes.OBJECT,
        },
    )
    @action(detail=True, methods=["get"], url_path="export")
    def export(self, request, name=None):
        fmt = request.query_params.get("as", "yaml")
        if fmt not in ("yaml", "json"):
            return Response({"as": ["must be yaml or json"]}, status=400)
        text = dumps_inventory(services.load_snapshot(self.get_object()), fmt)
        content_type = "application/json" if fmt == "json" else "application/yaml"
        return HttpResponse(text, content_type=content_type)

    @extend_schema(responses={200: s.InventoryVersionSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None)  # a plain list, newest first
    def versions(self, request, name=None):
        """The cloud's inventory versions, newest first, each with what changed."""
        history = services.version_history(self.get_object(), limit=100)
        return Response(s.InventoryVersionSerializer(history, many=True).data)

    @extend_schema(request=None, responses={202: s.CloudSerializer})
    @action(detail=True, methods=["post"])
    def refresh(self, request, name=None):
        """Read the cloud again from OpenStack (in the background): a new version when done."""
        cloud = self.get_object()
        services.request_refresh(cloud, request.user)
        cloud.refresh_from_db()
        return Response(s.CloudSerializer(cloud).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=s.InventoryImportSerializer, responses={201: dict, 400: dict})
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser],
    )
    def import_inventory(self, request):
        serializer = s.InventoryImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        try:
            counts = services.import_upload(upload, replace=serializer.validated_data["replace"],
                                            user=request.user)
        except InventoryError as exc:
            return Response({"problems": exc.problems}, status=status.HTTP_400_BAD_REQUEST)
        return Response(counts, status=status.HTTP_201_CREATED)


class HostViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = hosts_with_usage()
    serializer_class = s.HostSerializer
    filterset_class = HostFilterSet
    permission_classes = [ReadOrRole]  # writes: the admin role
    ordering_fields = ["name", "az", "vcpus", "ram_mib", "server_count", "used_ram_mib"]
    ordering = ["name"]

    def perform_update(self, serializer):
        with transaction.atomic():
            host = serializer.save()
            # Plans read inventory versions: an edit is one too.
            services.record_edit(host.cloud, self.request.user, f"API edit of host {host.name}")


class ServerViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = servers_with_context()
    serializer_class = s.ServerSerializer
    filterset_class = ServerFilterSet
    permission_classes = [ReadOrRole]  # writes: the admin role
    ordering_fields = ["name", "ram_mib", "dirty_rate_mibps", "memory_used_mib"]
    ordering = ["name"]


class VnfViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = vnfs_with_members()
    serializer_class = s.VnfSerializer
    filterset_class = VnfFilterSet
    permission_classes = [ReadOrRole]  # writes: the admin role
    ordering_fields = ["name", "ha_model", "outage_budget_s"]
    ordering = ["name"]


class ServerGroupViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = m.ServerGroup.objects.select_related("cloud").prefetch_related(
        Prefetch("members", queryset=m.Server.objects.only("id", "name"))
    )
    serializer_class = s.ServerGroupSerializer
    filterset_class = ServerGroupFilterSet
    permission_classes = [ReadOrRole]  # writes: the admin role
    ordering = ["name"]
