"""Links shared by concurrent copies, max-min fair, re-divided when a flow starts or ends.

A flow crosses the source host's NIC, the destination host's NIC and, when
configured, the fabric. Between two changes of a flow's share its copy model
advances in closed form (``PreCopy.advance`` or ``Transfer.advance``), so the
only SimPy events are: a flow's next milestone (a round that converges, the
end of the copy, a timeout) under its current share, rescheduled only when
that share changes. A change re-divides only the connected component of
flows that share a link with it: without a fabric those components are small.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Protocol

import simpy

from simulator.migration import EV_ABORTED, EV_DONE, EV_FAILED, EV_STUCK

TERMINAL_EVENTS = frozenset({EV_DONE, EV_FAILED, EV_ABORTED, EV_STUCK})
_EPS = 1e-9


class CopyModel(Protocol):
    def advance(self, bandwidth: float, dt: float) -> str | None: ...

    def time_to_event(self, bandwidth: float) -> tuple[float, str]: ...

    def probe(self, bandwidth: float) -> tuple[float, str, CopyModel]: ...


class Transfer:
    """A fixed amount of data to copy (a cold migration's disk)."""

    __slots__ = ("size", "sent", "t")

    def __init__(self, size_mib: float) -> None:
        self.size = size_mib
        self.sent = 0.0
        self.t = 0.0

    def advance(self, bandwidth: float, dt: float) -> str | None:
        if self.sent >= self.size:
            return None
        need = (self.size - self.sent) / bandwidth if bandwidth > 0 else math.inf
        if need <= dt + _EPS:
            self.t += need
            self.sent = self.size
            return EV_DONE
        self.t += dt
        self.sent += bandwidth * dt
        return None

    def time_to_event(self, bandwidth: float) -> tuple[float, str]:
        if bandwidth <= 0:
            return math.inf, EV_STUCK
        return max(0.0, (self.size - self.sent) / bandwidth), EV_DONE

    def probe(self, bandwidth: float) -> tuple[float, str, Transfer]:
        dt, event = self.time_to_event(bandwidth)
        future = Transfer(self.size)
        future.sent = self.size if event == EV_DONE else self.sent
        future.t = self.t + dt
        return dt, event, future


class Link:
    """A shared capacity: one host's NIC, or the fabric."""

    __slots__ = ("name", "capacity", "flows")

    def __init__(self, name: str, capacity: float) -> None:
        self.name = name
        self.capacity = capacity
        self.flows: set[Flow] = set()


class Flow:
    """One copy in progress; ``on_event(flow, event)`` hears each of its milestones."""

    __slots__ = (
        "model", "links", "cap", "rate", "last", "gen", "on_event", "deadline", "active", "future",
        "future_event",
    )

    def __init__(
        self,
        model: CopyModel,
        links: tuple[Link, ...],
        on_event: Callable[[Flow, str], None],
        cap: float = math.inf,
        deadline: float = math.inf,
    ) -> None:
        self.model = model
        self.links = links
        self.on_event = on_event
        self.cap = cap  # the flow's own ceiling (Nova's live_migration_bandwidth, disk speed)
        self.rate = 0.0
        self.last = 0.0
        self.gen = 0
        self.deadline = deadline  # absolute time after which a never-ending copy is given up
        self.active = False
        # The model's state at its next milestone under the current rate: adopted
        # as is when the milestone comes with the rate unchanged (no recomputation).
        self.future: CopyModel | None = None
        self.future_event = ""


def max_min_rates(flows: Iterable[Flow]) -> dict[Flow, float]:
    """Max-min fair shares by progressive filling (each flow also bounded by its own cap)."""
    pending = set(flows)
    if len(pending) == 1:  # the common case without a fabric: a flow alone on its links
        (flow,) = pending
        return {flow: min(flow.cap, min(link.capacity for link in flow.links))}
    rates: dict[Flow, float] = {}
    remaining: dict[Link, float] = {}
    count: dict[Link, int] = {}
    for flow in pending:
        for link in flow.links:
            remaining[link] = link.capacity
            count[link] = count.get(link, 0) + 1
    while pending:
        share = math.inf
        bottleneck: Link | None = None
        for link, n in count.items():
            if n and remaining[link] / n < share:
                share = remaining[link] / n
                bottleneck = link
        smallest_cap = min(flow.cap for flow in pending)
        if smallest_cap <= share:
            frozen = [flow for flow in pending if flow.cap <= smallest_cap]
            share = smallest_cap
        else:
            assert bottleneck is not None
            frozen = [flow for flow in pending if bottleneck in flow.links]
        for flow in frozen:
            rates[flow] = share
            pending.discard(flow)
            for link in flow.links:
                remaining[link] = max(0.0, remaining[link] - share)
                count[link] -= 1
    return rates


class Network:
    """All flows of a run, on one SimPy environment."""

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self.flows_started = 0

    def start(self, flow: Flow) -> None:
        flow.last = self.env.now
        flow.active = True
        for link in flow.links:
            link.flows.add(flow)
        self.flows_started += 1
        if all(len(link.flows) == 1 for link in flow.links):
            # Alone on its links (the usual case without a fabric): no one to re-divide with.
            flow.rate = min(flow.cap, min(link.capacity for link in flow.links))
            self._schedule(flow)
            return
        self._reshare(self._component([flow]), [])

    def _component(self, seeds: Iterable[Flow]) -> set[Flow]:
        seen: set[Flow] = set()
        todo = [f for f in seeds if f.active]
        seen.update(todo)
        links_seen: set[Link] = set()
        while todo:
            flow = todo.pop()
            for link in flow.links:
                if link in links_seen:
                    continue
                links_seen.add(link)
                for other in link.flows:
                    if other not in seen:
                        seen.add(other)
                        todo.append(other)
        return seen

    def _catch_up(self, flow: Flow, now: float) -> str | None:
        flow.future = None
        dt = now - flow.last
        flow.last = now
        # Even with dt == 0: a milestone may be due now (a zero-size last round).
        return flow.model.advance(flow.rate, max(0.0, dt))

    def _detach(self, flow: Flow) -> None:
        flow.active = False
        flow.gen += 1
        for link in flow.links:
            link.flows.discard(flow)

    def _reshare(self, component: set[Flow], heard: list[tuple[Flow, str]]) -> None:
        """Bring a component up to now, re-divide its links, reschedule changed flows."""
        now = self.env.now
        for flow in list(component):
            event = self._catch_up(flow, now)
            if event is not None:
                heard.append((flow, event))
                if event in TERMINAL_EVENTS:
                    self._detach(flow)
                    component.discard(flow)
        rates = max_min_rates(component)
        touched = {flow for flow, _ in heard}
        for flow, rate in rates.items():
            if rate != flow.rate or flow.gen == 0 or flow in touched:
                flow.rate = rate
                self._schedule(flow)
        for flow, event in heard:
            flow.on_event(flow, event)

    def _schedule(self, flow: Flow) -> None:
        flow.gen += 1
        gen = flow.gen
        dt, event, future = flow.model.probe(flow.rate)
        until_deadline = max(0.0, flow.deadline - self.env.now)
        if dt <= until_deadline:
            flow.future, flow.future_event = future, event
        else:
            dt, flow.future = until_deadline, None
        if math.isinf(dt):
            return  # no progress at this rate and no deadline: wait for a share to change
        timer = self.env.timeout(dt)
        timer.callbacks.append(lambda _ev: self._on_timer(flow, gen))

    def _on_timer(self, flow: Flow, gen: int) -> None:
        if flow.gen != gen or not flow.active:
            return
        now = self.env.now
        event: str | None
        if flow.future is not None:
            flow.model, flow.last = flow.future, now
            flow.future, event = None, flow.future_event
        else:
            event = self._catch_up(flow, now)
        if event is None:
            if now >= flow.deadline - _EPS:
                event = EV_STUCK
            else:  # floating-point shortfall: the milestone is a hair away
                self._schedule(flow)
                return
        if event in TERMINAL_EVENTS:
            neighbours = [other for link in flow.links for other in link.flows if other is not flow]
            self._detach(flow)
            if neighbours:
                self._reshare(self._component(neighbours), [])
        else:
            self._schedule(flow)  # same share, new phase
        flow.on_event(flow, event)
