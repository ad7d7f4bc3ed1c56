"""The Django half of the VNF manager exchange: sessions in the database, webhooks out.

A ``fenix`` VNF manager is configured on the server (executor/hook_config.py)::

    vnf_managers:
      vnfm: {kind: fenix, url: "https://vnfm.example/maintenance",
             reply_base_url: "https://escalator.example", secret: "...", timeout_s: 10}

Notifications are POSTed to ``url`` as JSON, signed as the on-call
notifications are (``X-Escalator-Timestamp``, ``X-Escalator-Signature``,
escalator_site.notify_config.sign) when a ``secret`` is set. The reply comes
back to ``reply_base_url`` + ``/api/vnfm-sessions/<id>/reply/`` with the
notification's one-time token (executor/api/vnfm.py).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse

from escalator_site.notify_config import sign
from executor import vnfm
from executor.models import VnfmSession
from executor.store import record_event

# Deliveries are tried this many times, a second apart, before the session
# simply waits for its deadline (an unreachable VNFM is a silent one).
DELIVERY_ATTEMPTS = 3


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _epoch(moment: datetime) -> float:
    return moment.timestamp()


def _view(row: VnfmSession, sent_now: bool = False) -> vnfm.Session:
    return vnfm.Session(id=row.pk, project_id=row.project_id, state=row.state,
                        deadline=_epoch(row.deadline), round=row.round,
                        actions=dict((row.reply or {}).get("instance_actions") or {}),
                        reason=str((row.reply or {}).get("reason") or ""), sent_now=sent_now)


class DjangoChannel:
    """``executor.vnfm.Channel`` for one execution and one configured VNF manager."""

    def __init__(self, execution_id: int, config: Mapping[str, Any], plan_label: str = "",
                 release: str = "") -> None:
        self.execution_id = execution_id
        self.url = str(config["url"])
        self.reply_base = str(config.get("reply_base_url", "")).rstrip("/")
        self.secret = str(config.get("secret", ""))
        self.timeout_s = float(config.get("timeout_s", 10.0))
        self.plan_label = plan_label
        self.release = release

    # ---------------------------------------------------------------- sessions
    def open(self, host: str, project_id: str, instances: list[vnfm.Instance],
             reply_s: float) -> vnfm.Session:
        rows = VnfmSession.objects.filter(execution_id=self.execution_id, host=host,
                                          project_id=project_id)
        last = rows.order_by("-round").first()
        if last is not None and last.state in (VnfmSession.State.WAITING,
                                               VnfmSession.State.REPLIED):
            return _view(last)  # a restarted worker: the session it opened
        token = secrets.token_urlsafe(32)
        try:
            with transaction.atomic():
                row = VnfmSession.objects.create(
                    execution_id=self.execution_id, host=host, project_id=project_id,
                    round=(last.round + 1) if last else 1, token_hash=token_hash(token),
                    instances={i.id: {"name": i.name, "vnf": i.vnf, "planned": i.planned,
                                      "allowed": list(i.allowed)} for i in instances},
                    deadline=datetime.now(UTC) + timedelta(seconds=reply_s))
        except IntegrityError:  # another worker opened it this instant
            return _view(rows.order_by("-round").first())
        self._deliver(row, self.notification(row, token), "PREPARE_MAINTENANCE")
        return _view(row, sent_now=True)

    def look(self, session_id: int) -> vnfm.Session:
        return _view(VnfmSession.objects.get(pk=session_id))

    def expire(self, session_id: int) -> vnfm.Session:
        VnfmSession.objects.filter(pk=session_id, state=VnfmSession.State.WAITING).update(
            state=VnfmSession.State.EXPIRED)
        return self.look(session_id)

    def host_state(self, host: str, state: str) -> list[str]:
        told = []
        latest: dict[str, VnfmSession] = {}
        for row in VnfmSession.objects.filter(execution_id=self.execution_id, host=host
                                              ).order_by("round"):
            latest[row.project_id] = row
        for project, row in sorted(latest.items()):
            if state in row.told:
                continue
            body = {**self._common(row), "event_type": "maintenance.host", "state": state,
                    "host": host, "instance_ids": sorted(row.instances)}
            self._deliver(row, body, state)
            row.told = [*row.told, state]
            row.save(update_fields=["told"])
            told.append(project)
        return told

    # ---------------------------------------------------------------- messages
    def reply_url(self, row: VnfmSession) -> str:
        return self.reply_base + reverse("vnfm-session-reply", args=[row.pk])

    def _common(self, row: VnfmSession) -> dict[str, Any]:
        return {"service": "escalator", "session_id": row.session_id,
                "project_id": row.project_id,
                "metadata": {"host": row.host, "plan": self.plan_label,
                             "openstack_release": self.release}}

    def notification(self, row: VnfmSession, token: str) -> dict[str, Any]:
        deadline = row.deadline.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {**self._common(row), "event_type": "maintenance.scheduled",
                "state": "PREPARE_MAINTENANCE",
                "instance_ids": sorted(row.instances),
                "allowed_actions": {i: info["allowed"] for i, info in
                                    sorted(row.instances.items())},
                "instances": {i: {"name": info["name"], "vnf": info["vnf"],
                                  "planned": info["planned"]}
                              for i, info in sorted(row.instances.items())},
                "reply_url": self.reply_url(row), "reply_token": token,
                "reply_at": deadline, "actions_at": deadline, "round": row.round}

    def _deliver(self, row: VnfmSession, body: dict[str, Any], state: str) -> None:
        raw = json.dumps(body).encode()
        error = ""
        for attempt in range(DELIVERY_ATTEMPTS):
            timestamp = str(int(time.time()))
            headers = {"Content-Type": "application/json", "User-Agent": "escalator-vnfm",
                       "X-Escalator-Event": f"vnfm.{state.lower()}",
                       "X-Escalator-Timestamp": timestamp}
            if self.secret:
                headers["X-Escalator-Signature"] = sign(self.secret, timestamp, raw)
            request = urllib.request.Request(self.url, data=raw, method="POST", headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s):
                    pass
            except urllib.error.HTTPError as exc:
                error = f"HTTP {exc.code}"
                if exc.code < 500 and exc.code not in (408, 429):
                    break
            except (urllib.error.URLError, OSError, TimeoutError) as exc:
                error = str(getattr(exc, "reason", exc))
            else:
                if state == "PREPARE_MAINTENANCE":
                    VnfmSession.objects.filter(pk=row.pk).update(sent=datetime.now(UTC))
                return
            if attempt + 1 < DELIVERY_ATTEMPTS:
                time.sleep(1.0)
        VnfmSession.objects.filter(pk=row.pk).update(delivery_error=f"{state}: {error}")
        record_event(self.execution_id, "vnfm",
                     f"vnfm: {state} for {row.host} could not be delivered to {self.url}: "
                     f"{error}", host=row.host, project_id=row.project_id, session=row.pk,
                     state=state, delivery_error=error)


def exchange(execution, config: Mapping[str, Any], options, say, vnfs, plan_label: str
             ) -> vnfm.Exchange:
    """The machine's exchange for a ``fenix`` VNF manager under the plan's policy."""
    channel = DjangoChannel(execution.pk, config, plan_label,
                            execution.plan.target_release or "")
    return vnfm.Exchange(channel, say=say, reply_s=options.vnfm_reply_s,
                         timeout_policy=options.vnfm_timeout, vnfs=vnfs, now=time.time,
                         poll_s=float(config.get("poll_s", 0.5)))
