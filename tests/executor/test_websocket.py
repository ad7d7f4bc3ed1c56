"""The live event stream of an execution, and what a reconnecting browser gets."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from escalator_site.routing import websocket_urlpatterns
from executor import services
from executor.store import record_event

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def connect(user, path):
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), path)
    communicator.scope["user"] = user
    return communicator


@pytest.fixture
def started(kit):
    """An execution just started (its worker not run): one event stored."""
    return services.start_execution(kit.approved(), kit.admin, {})


async def test_only_signed_in_users_subscribe(started):
    from django.contrib.auth.models import AnonymousUser

    communicator = connect(AnonymousUser(), f"/ws/executions/{started.pk}/")
    connected, code = await communicator.connect()
    assert (connected, code) == (False, 4401)


async def test_an_unknown_execution_is_refused(kit, started):
    communicator = connect(kit.viewer, "/ws/executions/99999/")
    connected, code = await communicator.connect()
    assert (connected, code) == (False, 4404)


async def test_a_viewer_gets_the_backlog_then_live_events_in_order(kit, started):
    communicator = connect(kit.viewer, f"/ws/executions/{started.pk}/")
    assert (await communicator.connect())[0]

    first = await communicator.receive_json_from(timeout=5)
    assert (first["seq"], first["kind"], first["actor"]) == (1, "execution", "admin")
    assert first["message"].startswith("started by admin (")

    await sync_to_async(record_event)(started.pk, "step", "disable cmp1: running",
                                      step="w1.cmp1.0001.disable", host="cmp1",
                                      state="running")
    await sync_to_async(record_event)(started.pk, "step", "disable cmp1: done",
                                      step="w1.cmp1.0001.disable", host="cmp1", state="done")
    live = [await communicator.receive_json_from(timeout=5) for _ in range(2)]
    assert [(e["seq"], e["message"], e["host"], e["data"]) for e in live] == [
        (2, "disable cmp1: running", "cmp1", {"state": "running"}),
        (3, "disable cmp1: done", "cmp1", {"state": "done"})]
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


async def test_a_reconnecting_client_gets_exactly_what_it_missed(kit, started):
    for n in range(2, 6):
        await sync_to_async(record_event)(started.pk, "log", f"event {n}")

    communicator = connect(kit.viewer, f"/ws/executions/{started.pk}/?after=3")
    assert (await communicator.connect())[0]
    missed = [await communicator.receive_json_from(timeout=5) for _ in range(2)]
    assert [(e["seq"], e["message"]) for e in missed] == [(4, "event 4"), (5, "event 5")]
    assert await communicator.receive_nothing(timeout=0.2)

    await sync_to_async(record_event)(started.pk, "log", "event 6")
    assert (await communicator.receive_json_from(timeout=5))["seq"] == 6
    await communicator.disconnect()


async def test_control_actions_are_streamed_with_their_actor(kit, started):
    communicator = connect(kit.viewer, f"/ws/executions/{started.pk}/?after=1")
    assert (await communicator.connect())[0]

    await sync_to_async(services.pause)(started, kit.admin)

    event = await communicator.receive_json_from(timeout=5)
    assert (event["seq"], event["kind"], event["message"], event["actor"]) == (
        2, "control", "pause by admin", "admin")
    assert event["data"] == {"action": "pause", "from_state": "queued", "state": "pausing"}
    await communicator.disconnect()


async def test_an_event_published_out_of_order_is_preceded_by_the_missing_ones(kit, started):
    from channels.layers import get_channel_layer

    communicator = connect(kit.viewer, f"/ws/executions/{started.pk}/?after=1")
    assert (await communicator.connect())[0]
    # Stored as 2 and 3, but 3 reaches the group first (another process).
    second = await sync_to_async(_store_only)(started.pk, 2)
    third = await sync_to_async(_store_only)(started.pk, 3)
    layer = get_channel_layer()
    await layer.group_send(f"execution-{started.pk}", {"type": "execution.event",
                                                       "event": third})
    await layer.group_send(f"execution-{started.pk}", {"type": "execution.event",
                                                       "event": second})
    received = [await communicator.receive_json_from(timeout=5) for _ in range(2)]
    assert [e["seq"] for e in received] == [2, 3]
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


def _store_only(execution_id: int, seq: int) -> dict:
    from executor.models import Execution, ExecutionEvent

    Execution.objects.filter(pk=execution_id).update(last_seq=seq)
    return ExecutionEvent.objects.create(execution_id=execution_id, seq=seq, kind="log",
                                         message=f"event {seq}").as_message()
