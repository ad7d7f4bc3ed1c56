"""Publishing progress to browsers through the channel layer."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def publish(group: str, message: dict) -> None:
    """Send ``message`` to every websocket in ``group``; its ``type`` picks the handler."""
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group, message)
