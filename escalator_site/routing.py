"""Websocket routes of every app, gathered in one list."""

from __future__ import annotations

from django.urls import path, re_path

from escalator_site.sockets import NoRouteConsumer
from executor.consumers import ExecutionConsumer
from planner.consumers import SimulationProgressConsumer

websocket_urlpatterns: list = [
    path("ws/simulations/<int:pk>/", SimulationProgressConsumer.as_asgi()),
    path("ws/executions/<int:pk>/", ExecutionConsumer.as_asgi()),
    re_path(r"", NoRouteConsumer.as_asgi()),  # last: every other path closes with 4404
]
