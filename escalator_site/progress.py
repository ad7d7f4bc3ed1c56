"""Publishing progress to websockets from any thread, safely.

With Redis (scale-out), ``async_to_sync(group_send)`` is right from any
thread. With the in-process layer (embedded mode: background work is a thread
of the web process), the consumers wait on asyncio queues of the server's
event loop; putting into them from another thread's loop does not wake that
loop, so messages would wait for its next timer (about a second in daphne).
Consumers register their loop on connect, and publishing then goes through
that loop with ``run_coroutine_threadsafe``.
"""

from __future__ import annotations

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

logger = logging.getLogger(__name__)
_loop: asyncio.AbstractEventLoop | None = None
PUBLISH_TIMEOUT_S = 5.0


def register_loop() -> None:
    """Called by a consumer (in the server's loop) so that workers can reach its queues."""
    global _loop
    _loop = asyncio.get_running_loop()


def publish(group: str, message: dict) -> None:
    """Send ``message`` to every websocket in ``group``; its ``type`` picks the handler."""
    layer = get_channel_layer()
    if layer is None:
        return
    loop = _loop
    if isinstance(layer, InMemoryChannelLayer) and loop is not None and loop.is_running():
        try:
            current = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        if current is not loop:
            future = asyncio.run_coroutine_threadsafe(layer.group_send(group, message), loop)
            try:
                future.result(timeout=PUBLISH_TIMEOUT_S)
            except Exception:  # a browser that misses one message catches up on the next
                logger.exception("could not publish to %s", group)
            return
    async_to_sync(layer.group_send)(group, message)
