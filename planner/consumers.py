"""Websocket of a simulation's progress: it only relays what the task publishes."""

from __future__ import annotations

from channels.db import database_sync_to_async

from escalator_site.progress import register_loop
from escalator_site.sockets import RelayConsumer
from planner.models import Simulation


class SimulationProgressConsumer(RelayConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if not user or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.simulation_id = int(self.scope["url_route"]["kwargs"]["pk"])
        current = await self._current()
        if current is None:
            await self.close(code=4404)
            return
        register_loop()
        self.group = f"simulation-{self.simulation_id}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        # The state as it is now, so a page that connects late starts from the truth.
        await self.send_json(current)

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def simulation_progress(self, event):
        await self.send_json({k: v for k, v in event.items() if k != "type"})

    @database_sync_to_async
    def _current(self):
        simulation = Simulation.objects.filter(pk=self.simulation_id).first()
        if simulation is None:
            return None
        return {"simulation": simulation.pk, "state": simulation.state,
                "done": simulation.done_runs, "runs": simulation.runs}
