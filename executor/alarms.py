"""The alarm gate: no host goes down while the cloud's alarms say something is wrong (pure).

Before each host (and through every soak) the executor reads the active
alerts of a Prometheus Alertmanager (``GET /api/v2/alerts`` with
``active=true&silenced=false&inhibited=false``: silenced and inhibited
alerts are the on-call team's own "known, ignore"). What blocks, as
StarlingX's orchestration has it:

- ``strict``: every active alert not on the ignore list;
- ``relaxed``: only alerts whose ``severity`` label is ``critical`` or
  ``major`` (not on the ignore list);
- ``off``: nothing (no gate).

The ignore list names alerts by their ``alertname`` (``Watchdog``, the
always-firing heartbeat of kube-prometheus, is a typical entry). An
Alertmanager that cannot be read blocks too: no news is not good news
while hosts are being taken down.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

MODES = ("strict", "relaxed", "off")
RELAXED_BLOCKING = frozenset({"critical", "major"})


@dataclass(frozen=True)
class Alert:
    name: str
    severity: str = ""
    summary: str = ""
    labels: tuple[tuple[str, str], ...] = ()

    def describe(self) -> str:
        extra = ", ".join(x for x in (self.severity, self.summary) if x)
        instance = dict(self.labels).get("instance", "")
        return self.name + (f" on {instance}" if instance else "") + (f" ({extra})" if extra
                                                                      else "")


class AlarmSource(Protocol):
    def active(self) -> list[Alert]:
        """The active alerts now; raises ``AlarmSourceError`` when they cannot be read."""
        ...


class AlarmSourceError(Exception):
    pass


class Alertmanager:
    """Prometheus Alertmanager's API v2, read over HTTP."""

    def __init__(self, url: str, timeout_s: float = 5.0) -> None:
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s

    def active(self) -> list[Alert]:
        query = urllib.parse.urlencode({"active": "true", "silenced": "false",
                                        "inhibited": "false"})
        try:
            with urllib.request.urlopen(f"{self.url}/api/v2/alerts?{query}",
                                        timeout=self.timeout_s) as answer:
                body = json.load(answer)
        except (OSError, ValueError) as exc:
            raise AlarmSourceError(f"Alertmanager at {self.url} unreadable: {exc}") from exc
        return [_alert(item) for item in body if isinstance(item, dict)]


def _alert(item: dict[str, Any]) -> Alert:
    labels = {str(k): str(v) for k, v in (item.get("labels") or {}).items()}
    annotations = item.get("annotations") or {}
    return Alert(labels.get("alertname", "(unnamed alert)"), labels.get("severity", ""),
                 str(annotations.get("summary", "")), tuple(sorted(labels.items())))


@dataclass(frozen=True)
class AlarmGate:
    """Which alerts hold the execution: ``source`` read under ``mode`` minus ``ignore``."""

    source: AlarmSource
    mode: str = "strict"
    ignore: frozenset[str] = frozenset()
    kind: ClassVar[str] = "alarm"  # a hold of executor/holds.py

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"alarm mode {self.mode!r}: expected one of {', '.join(MODES)}")

    def blocking(self) -> list[str]:
        """What holds the execution now, each said for the operator; empty: go."""
        if self.mode == "off":
            return []
        try:
            alerts = self.source.active()
        except AlarmSourceError as exc:
            return [str(exc)]
        return sorted({a.describe() for a in alerts if self._blocks(a)})

    def reasons(self) -> list[str]:
        return self.blocking()

    def _blocks(self, alert: Alert) -> bool:
        if alert.name in self.ignore:
            return False
        return self.mode == "strict" or alert.severity.lower() in RELAXED_BLOCKING


def gate(url: str, mode: str, ignore: Iterable[str]) -> AlarmGate | None:
    """The gate of an execution: none without an Alertmanager or with ``mode`` off."""
    if not url or mode == "off":
        return None
    return AlarmGate(Alertmanager(url), mode, frozenset(ignore))
