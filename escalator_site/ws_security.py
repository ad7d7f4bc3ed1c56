"""Websocket guards: an exact Origin check, and sockets that end with the session.

- ``ExactOriginValidator``: a browser's websocket must come from the page's own
  origin - scheme, host and port all equal to those of the request (the Host
  header, which must be an allowed host), or from an exact entry of
  ``CSRF_TRUSTED_ORIGINS``. Channels' ``AllowedHostsOriginValidator`` compares
  host names only, so ``http://localhost:9999`` passed for ``https://localhost``.
- ``SessionGuard``: a signed-in socket listens for its session's end. Signing out
  (``user_logged_out``) closes every socket of that session at once with 4401;
  a session deleted or expired any other way is noticed at the next message.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from importlib import import_module
from urllib.parse import urlsplit

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver
from django.http.request import split_domain_port, validate_host

logger = logging.getLogger(__name__)
SIGNED_OUT = 4401
SESSION_RECHECK_S = 2.0  # at most one session look-up per socket in this time
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _header(scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


def _origin_tuple(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[parts.scheme]


def _request_scheme(scope) -> str:
    if scope.get("scheme") in ("wss", "https"):
        return "https"
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy:
        name = proxy[0].removeprefix("HTTP_").replace("_", "-").lower().encode()
        if _header(scope, name) == proxy[1]:
            return "https"
    return "http"


def origin_allowed(scope) -> bool:
    """Whether the handshake's Origin is exactly this site's own (or a trusted one)."""
    origin = _origin_tuple(_header(scope, b"origin"))
    if origin is None:
        return False
    trusted = {_origin_tuple(o) for o in settings.CSRF_TRUSTED_ORIGINS if "*" not in o}
    if origin in trusted:
        return True
    host = _header(scope, b"host")
    domain, _ = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return False
    return origin == _origin_tuple(f"{_request_scheme(scope)}://{host}")


class ExactOriginValidator:
    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(scope):
            logger.warning("websocket refused: origin %r is not this site (host %r)",
                           _header(scope, b"origin"), _header(scope, b"host"))
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)


def session_group(session_key: str) -> str:
    # The key itself never goes to the channel layer (Redis): a digest names the group.
    return "session-" + hashlib.sha256(session_key.encode()).hexdigest()[:40]


def _session_exists(session_key: str) -> bool:
    store = import_module(settings.SESSION_ENGINE).SessionStore
    return store().exists(session_key)


class SessionGuard:
    """Inside AuthMiddlewareStack: ends a signed-in socket when its session ends."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        user, session = scope.get("user"), scope.get("session")
        key = getattr(session, "session_key", None)
        if scope["type"] != "websocket" or not key or not getattr(user, "is_authenticated", False):
            return await self.application(scope, receive, send)
        layer = get_channel_layer()
        channel = await layer.new_channel()
        group = session_group(key)
        await layer.group_add(group, channel)
        ended = asyncio.Event()
        state = {"closed": False, "checked": time.monotonic()}

        async def watch():
            await layer.receive(channel)  # the only message sent here: the session ended
            ended.set()

        async def still_signed_in() -> bool:
            if ended.is_set():
                return False
            if time.monotonic() - state["checked"] >= SESSION_RECHECK_S:
                state["checked"] = time.monotonic()
                if not await database_sync_to_async(_session_exists)(key):
                    ended.set()
            return not ended.is_set()

        async def close() -> None:
            if not state["closed"]:
                state["closed"] = True
                await send({"type": "websocket.close", "code": SIGNED_OUT})

        async def guarded_send(message):
            if state["closed"]:
                return
            if message["type"] == "websocket.send" and not await still_signed_in():
                await close()
                return
            if message["type"] == "websocket.close":
                state["closed"] = True
            await send(message)

        async def guarded_receive():
            incoming = asyncio.ensure_future(receive())
            ending = asyncio.ensure_future(ended.wait())
            done, _ = await asyncio.wait({incoming, ending}, return_when=asyncio.FIRST_COMPLETED)
            if incoming in done:
                ending.cancel()
                return incoming.result()
            incoming.cancel()
            await close()
            return {"type": "websocket.disconnect", "code": SIGNED_OUT}

        watcher = asyncio.ensure_future(watch())
        try:
            return await self.application(scope, guarded_receive, guarded_send)
        finally:
            watcher.cancel()
            await layer.group_discard(group, channel)


@receiver(user_logged_out, dispatch_uid="escalator-close-sockets-at-logout")
def close_sockets_at_logout(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    key = getattr(session, "session_key", None)
    layer = get_channel_layer()
    if key and layer is not None:
        async_to_sync(layer.group_send)(session_group(key), {"type": "session.ended"})


def websocket_application():
    """The site's websocket stack: exact origin, session auth, session end, routes."""
    from channels.auth import AuthMiddlewareStack
    from channels.routing import URLRouter

    from escalator_site.routing import websocket_urlpatterns

    return ExactOriginValidator(AuthMiddlewareStack(SessionGuard(URLRouter(websocket_urlpatterns))))
