"""What every websocket of the site shares: they only send, and refuse cleanly."""

from __future__ import annotations

import json

from channels.generic.websocket import AsyncJsonWebsocketConsumer, AsyncWebsocketConsumer

# Application close codes (4000-4999): 4400 bad frame, 4401 not signed in, 4404 no such thing.
BAD_FRAME, NOT_FOUND = 4400, 4404


class RelayConsumer(AsyncJsonWebsocketConsumer):
    """A socket that relays events to the browser; the browser has nothing to send.

    A frame that is not JSON gets an error message and the socket closes with
    4400 (not a 1011 with a traceback); a JSON frame is ignored.
    """

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if text_data is None:
            await self._refuse("binary frames are not accepted")
            return
        try:
            json.loads(text_data)
        except (ValueError, RecursionError):
            await self._refuse("frames must be JSON (and not nested without end)")

    async def _refuse(self, reason: str) -> None:
        await self.send_json({"error": f"{reason}; this socket only sends events"})
        await self.close(code=BAD_FRAME)


class NoRouteConsumer(AsyncWebsocketConsumer):
    """Any websocket path no route matches: closed with 4404, nothing logged as an error."""

    async def connect(self):
        await self.close(code=NOT_FOUND)
