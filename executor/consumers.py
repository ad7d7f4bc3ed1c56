"""Websocket of an execution's events: replay from the database, then relay (STYLE #8).

``ws/executions/<id>/?after=SEQ``: a signed-in user first gets every stored
event numbered above SEQ (0 or absent: all of them), then each new one as
the worker publishes it. Events are numbered, so a client that reconnects
asks for what came after the last number it saw, and one that receives an
event twice (published while it was replaying) drops it by its number.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.db import database_sync_to_async

from escalator_site.sockets import RelayConsumer
from executor.live import register_loop
from executor.models import Execution, ExecutionEvent

REPLAY_LIMIT = 5000


class ExecutionConsumer(RelayConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if not user or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.execution_id = int(self.scope["url_route"]["kwargs"]["pk"])
        if not await self._exists():
            await self.close(code=4404)
            return
        query = parse_qs((self.scope.get("query_string") or b"").decode())
        try:
            after = int(query.get("after", ["0"])[0])
        except ValueError:
            after = 0
        after = min(max(after, 0), 2**62)  # a number the database can compare
        self.group = f"execution-{self.execution_id}"
        register_loop()
        # Join before reading the backlog: nothing published meanwhile is lost.
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        self.last_seq = after
        for message in await self._backlog(after):
            await self._send_event(message)

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def execution_event(self, message):
        await self._send_event(message["event"])

    async def _send_event(self, event: dict) -> None:
        if event["seq"] <= self.last_seq:
            return  # already sent (replayed and published at once)
        if event["seq"] > self.last_seq + 1:
            # A gap: events of another process (a control action beside the
            # worker) can arrive out of order. They are stored before they
            # are published: send the missing ones first, from the database.
            for missed in await self._backlog(self.last_seq, event["seq"]):
                self.last_seq = missed["seq"]
                await self.send_json(missed)
        self.last_seq = event["seq"]
        await self.send_json(event)

    @database_sync_to_async
    def _exists(self) -> bool:
        return Execution.objects.filter(pk=self.execution_id).exists()

    @database_sync_to_async
    def _backlog(self, after: int, before: int | None = None) -> list[dict]:
        events = ExecutionEvent.objects.filter(execution_id=self.execution_id, seq__gt=after)
        if before is not None:
            events = events.filter(seq__lt=before)
        events = events.select_related("actor").order_by("seq")[:REPLAY_LIMIT]
        return [e.as_message() for e in events]
