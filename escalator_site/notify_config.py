"""Which receivers get the on-call notifications (pure: read by settings.py at start-up).

See escalator_site/notifications.py for what is sent and how.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

EVENTS = ("plan.submitted", "plan.approved", "execution.started", "execution.paused",
          "execution.resumed", "execution.blocked", "execution.finished")


@dataclass(frozen=True)
class Receiver:
    name: str
    url: str
    secret: str
    events: frozenset[str] = frozenset(EVENTS)
    timeout_s: float = 5.0


def parse_receivers(data: Any, where: str) -> list[Receiver]:
    """Receivers from a configuration document; a mistake names its place."""
    if data is None:
        return []
    items = data.get("receivers") if isinstance(data, Mapping) else data
    if not isinstance(items, list):
        raise ValueError(f"{where}: expected a list of receivers under 'receivers'")
    out = []
    for i, item in enumerate(items):
        at = f"{where}: receivers[{i}]"
        if not isinstance(item, Mapping):
            raise ValueError(f"{at}: expected a mapping with url and secret")
        unknown = sorted(set(item) - {"name", "url", "secret", "events", "timeout_s"})
        if unknown:
            raise ValueError(f"{at}: unknown keys {', '.join(unknown)}")
        url, secret = str(item.get("url") or ""), str(item.get("secret") or "")
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"{at}.url: expected an http(s) URL, got {url!r}")
        if len(secret) < 16:
            raise ValueError(f"{at}.secret: at least 16 characters (it signs deliveries)")
        events = item.get("events") or list(EVENTS)
        bad = sorted(set(events) - set(EVENTS))
        if bad:
            raise ValueError(f"{at}.events: unknown {', '.join(bad)} (one of {', '.join(EVENTS)})")
        out.append(Receiver(str(item.get("name") or f"receiver-{i + 1}"), url, secret,
                            frozenset(events), float(item.get("timeout_s", 5.0))))
    return out


def load_receivers(env: Mapping[str, str]) -> list[Receiver]:
    """What settings.py reads at start-up: the file, else the two variables."""
    path = env.get("ESCALATOR_NOTIFICATIONS_FILE", "")
    if path:
        return parse_receivers(yaml.safe_load(Path(path).read_text()), path)
    url = env.get("ESCALATOR_NOTIFY_URL", "")
    if not url:
        return []
    return parse_receivers([{"name": "default", "url": url,
                             "secret": env.get("ESCALATOR_NOTIFY_SECRET", "")}],
                           "ESCALATOR_NOTIFY_URL")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()
