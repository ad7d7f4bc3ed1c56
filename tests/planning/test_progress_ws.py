"""A simulation's progress reaches signed-in browsers over the websocket, and only them."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from escalator_site.progress import publish
from escalator_site.routing import websocket_urlpatterns
from planner import services

APP = URLRouter(websocket_urlpatterns)


def _make_simulation(role_users):
    plan = services.create_plan(role_users["planner"], "serial")
    return services.request_simulation(plan, role_users["planner"], runs=50, start=False)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_progress_is_relayed_with_the_current_state_first(lab_cloud, role_users):
    simulation = await sync_to_async(_make_simulation)(role_users)
    communicator = WebsocketCommunicator(APP, f"/ws/simulations/{simulation.pk}/")
    communicator.scope["user"] = role_users["viewer"]
    connected, _ = await communicator.connect()
    assert connected
    assert await communicator.receive_json_from() == {
        "simulation": simulation.pk, "state": "queued", "done": 0, "runs": 50}

    for done in (10, 30):
        await sync_to_async(publish)(simulation.group, {
            "type": "simulation.progress", "simulation": simulation.pk, "runs": 50,
            "state": "running", "done": done})
        message = await communicator.receive_json_from()
        assert (message["state"], message["done"]) == ("running", done)
    await communicator.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_anonymous_and_unknown_simulations_are_refused(lab_cloud, role_users):
    simulation = await sync_to_async(_make_simulation)(role_users)
    anonymous = WebsocketCommunicator(APP, f"/ws/simulations/{simulation.pk}/")
    anonymous.scope["user"] = AnonymousUser()
    connected, code = await anonymous.connect()
    assert (connected, code) == (False, 4401)

    missing = WebsocketCommunicator(APP, "/ws/simulations/999999/")
    missing.scope["user"] = role_users["viewer"]
    connected, code = await missing.connect()
    assert (connected, code) == (False, 4404)
