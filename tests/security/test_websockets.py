"""Websockets: only this site's exact origin may open one, and signing out closes it."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.models import Session
from django.test import Client

from escalator_site import ws_security
from escalator_site.ws_security import origin_allowed, websocket_application
from tests.security.helpers import user_with

SITE = "localhost:8000"


def _scope(origin: str | None, host: str = SITE, scheme: str = "ws", **extra: str) -> dict:
    headers = [(b"host", host.encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    headers += [(k.encode(), v.encode()) for k, v in extra.items()]
    return {"type": "websocket", "scheme": scheme, "headers": headers}


@pytest.mark.parametrize(("origin", "host", "scheme", "allowed"), [
    ("http://localhost:8000", SITE, "ws", True),
    ("http://LOCALHOST:8000", SITE, "ws", True),
    ("http://localhost:9999", SITE, "ws", False),      # another port: another origin
    ("https://localhost:8000", SITE, "ws", False),     # another scheme
    ("http://localhost", SITE, "ws", False),           # port 80 is not 8000
    ("http://127.0.0.1:8000", SITE, "ws", False),      # another host name
    ("http://evil.example:8000", SITE, "ws", False),
    ("http://evil.example:8000", "evil.example:8000", "ws", False),  # not an allowed host
    ("null", SITE, "ws", False),
    (None, SITE, "ws", False),                          # no Origin at all
    ("https://localhost", "localhost", "wss", True),
    ("https://localhost:443", "localhost", "wss", True),
    ("http://localhost", "localhost", "wss", False),
])
def test_the_origin_must_be_exactly_the_site(origin, host, scheme, allowed):
    assert origin_allowed(_scope(origin, host, scheme)) is allowed


def test_behind_a_tls_proxy_the_forwarded_scheme_counts(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    proxied = {"x-forwarded-proto": "https"}
    assert origin_allowed(_scope("https://localhost", "localhost", **proxied))
    assert not origin_allowed(_scope("http://localhost", "localhost", **proxied))
    assert not origin_allowed(_scope("https://localhost", "localhost"))


def test_a_trusted_origin_is_matched_exactly(settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://escalator.example.net"]
    assert origin_allowed(_scope("https://escalator.example.net", "10.0.0.5:8000"))
    assert not origin_allowed(_scope("https://escalator.example.net:8443", "10.0.0.5:8000"))


# --- the whole stack, with a real session ---------------------------------------------

@pytest.fixture
def simulation(lab_cloud, admin_user):
    from planner import services as planning

    plan = planning.create_plan(admin_user, "serial", {})
    return planning.request_simulation(plan, admin_user, runs=5, start=False)


def _signed_in_client(django_user_model) -> Client:
    client = Client()
    client.force_login(user_with(django_user_model, "watcher", "viewer"))
    return client


def _socket(path: str, cookie: str = "", origin: str = "http://" + SITE):
    headers = [(b"host", SITE.encode()), (b"origin", origin.encode())]
    if cookie:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    return WebsocketCommunicator(websocket_application(), path, headers=headers)


async def _progress(simulation_id: int, done: int) -> None:
    await get_channel_layer().group_send(f"simulation-{simulation_id}", {
        "type": "simulation.progress", "simulation": simulation_id, "state": "running",
        "done": done, "runs": 5})


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_another_port_is_refused_at_the_handshake(simulation, django_user_model):
    client = await sync_to_async(_signed_in_client)(django_user_model)
    cookie = client.cookies["sessionid"].value
    refused = _socket(f"/ws/simulations/{simulation.pk}/", cookie, "http://localhost:9999")
    connected, _ = await refused.connect()
    assert not connected
    accepted = _socket(f"/ws/simulations/{simulation.pk}/", cookie)
    assert (await accepted.connect())[0]
    assert (await accepted.receive_json_from(timeout=5))["simulation"] == simulation.pk
    await accepted.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_signing_out_closes_the_open_socket(simulation, django_user_model):
    client = await sync_to_async(_signed_in_client)(django_user_model)
    socket = _socket(f"/ws/simulations/{simulation.pk}/", client.cookies["sessionid"].value)
    assert (await socket.connect())[0]
    await socket.receive_json_from(timeout=5)
    await _progress(simulation.pk, 1)
    assert (await socket.receive_json_from(timeout=5))["done"] == 1

    response = await sync_to_async(client.post)("/accounts/logout/")
    assert response.status_code == 302
    closed = await socket.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 4401}
    await _progress(simulation.pk, 2)
    assert await socket.receive_nothing(timeout=0.3)


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_session_ended_elsewhere_stops_the_stream(simulation, django_user_model,
                                                          monkeypatch):
    monkeypatch.setattr(ws_security, "SESSION_RECHECK_S", 0.0)
    client = await sync_to_async(_signed_in_client)(django_user_model)
    socket = _socket(f"/ws/simulations/{simulation.pk}/", client.cookies["sessionid"].value)
    assert (await socket.connect())[0]
    await socket.receive_json_from(timeout=5)
    # Expired or cleared by an admin (no logout signal): the next message is not sent.
    await sync_to_async(Session.objects.all().delete)()
    await _progress(simulation.pk, 3)
    assert await socket.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_without_a_session_the_socket_is_refused(simulation):
    socket = _socket(f"/ws/simulations/{simulation.pk}/")
    assert await socket.connect() == (False, 4401)
