"""The VNF managers' reply endpoint: ``POST /api/vnfm-sessions/<id>/reply/``.

Authenticated by the notification's one-time token (``Authorization: Bearer
<reply_token>``), not by a user: a VNF manager has no account here. A reply
is checked whole before anything is stored; a refused one changes nothing
(docs/vnfm.md, "The VNFM's reply").
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime

from django.db import transaction
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from executor import vnfm
from executor.models import VnfmSession
from executor.store import record_event
from executor.vnfm_channel import token_hash


def _token(request) -> str:
    scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _unauthorized(detail: str) -> Response:
    return Response({"detail": detail}, status=status.HTTP_401_UNAUTHORIZED,
                    headers={"WWW-Authenticate": 'Bearer realm="vnfm"'})


_ACTIONS = serializers.DictField(child=serializers.CharField(),
                                 help_text="Instance id -> LIVE_MIGRATE, MIGRATE or OWN_ACTION.")
_REPLY = inline_serializer("VnfmReply", {
    "session_id": serializers.CharField(), "project_id": serializers.CharField(),
    "state": serializers.ChoiceField(["ACK_PREPARE_MAINTENANCE", "NACK_PREPARE_MAINTENANCE"]),
    "instance_actions": _ACTIONS, "reason": serializers.CharField(required=False)})
_ANSWER = inline_serializer("VnfmReplyTaken", {
    "session_id": serializers.CharField(), "project_id": serializers.CharField(),
    "host": serializers.CharField(), "state": serializers.CharField(),
    "instance_actions": _ACTIONS})
_DETAIL = inline_serializer("VnfmRefusal", {"detail": serializers.CharField()})


class VnfmSessionViewSet(viewsets.GenericViewSet):
    """Where a VNF manager answers a maintenance notification."""

    queryset = VnfmSession.objects.all()
    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(request=_REPLY, responses={200: _ANSWER, 400: _DETAIL, 401: _DETAIL,
                                              409: _DETAIL})
    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        token = _token(request)
        if not token:
            return _unauthorized("Authorization: Bearer <reply_token of the notification> "
                                 "is required")
        with transaction.atomic():
            row = (VnfmSession.objects.select_for_update().filter(pk=pk).first()
                   if str(pk).isdigit() else None)
            if row is None or not hmac.compare_digest(token_hash(token), row.token_hash):
                # One answer for both: a wrong token learns nothing about the ids.
                return _unauthorized("no maintenance session with this id and token")
            try:
                answer = vnfm.check_reply(
                    request.data, session_id=row.session_id, project_id=row.project_id,
                    allowed={i: info["allowed"] for i, info in row.instances.items()})
            except vnfm.ReplyError as exc:
                return Response({"detail": f"reply refused: {exc}"}, status=400)
            if row.state in (VnfmSession.State.REPLIED, VnfmSession.State.REFUSED):
                if row.reply == answer:  # the same reply again (a retry): fine
                    return Response(self._body(row))
                return Response({"detail": f"session {row.pk} was answered already at "
                                 f"{row.replied:%H:%M:%S} UTC; its answer stands"},
                                status=status.HTTP_409_CONFLICT)
            now = datetime.now(UTC)
            if row.state == VnfmSession.State.EXPIRED or now > row.deadline:
                return Response({"detail": f"too late: the reply was due by "
                                 f"{row.deadline:%H:%M:%S} UTC; the plan's policy decided"},
                                status=status.HTTP_409_CONFLICT)
            ack = answer["state"].startswith("ACK")
            row.state = VnfmSession.State.REPLIED if ack else VnfmSession.State.REFUSED
            row.reply = answer
            row.replied = now
            row.save(update_fields=["state", "reply", "replied"])
            names = {i: info["name"] for i, info in row.instances.items()}
            chosen = ", ".join(f"{name} {a}" for name, a in sorted(
                (names[i], a) for i, a in answer["instance_actions"].items())) or "as planned"
            record_event(row.execution_id, "vnfm",
                         f"vnfm: reply from project {row.project_id} for {row.host}: "
                         + (chosen if ack else f"refused ({answer['reason'] or 'no reason'})"),
                         host=row.host, project_id=row.project_id, session=row.pk,
                         state=answer["state"],
                         actions={names[i]: a for i, a in answer["instance_actions"].items()})
        return Response(self._body(row))

    @staticmethod
    def _body(row: VnfmSession) -> dict:
        return {"session_id": row.session_id, "project_id": row.project_id,
                "host": row.host, "state": row.reply.get("state"),
                "instance_actions": row.reply.get("instance_actions", {})}
