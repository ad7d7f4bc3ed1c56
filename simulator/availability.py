"""Per-VNF outage and degraded time, as DESIGN.md defines them.

Outage: the VNF delivers no service: no member serving, or a switchover in
progress, or (HA model ``none``) fewer serving members than it needs.
Degraded: fewer serving members than ``required_members`` (an outage is also
degraded time). Each contiguous outage is one *event*: its length is checked
against the VNF's per-event budget.
"""

from __future__ import annotations

from domain.snapshot import HaModel, MemberRole, Snapshot
from simulator.records import VNF_OUTAGE, Event, SlaViolation


class VnfState:
    __slots__ = (
        "name", "model", "required", "budget", "serving", "switching", "active",
        "out_since", "deg_since", "outage", "degraded", "worst", "members", "ignored",
    )

    def __init__(self, name: str, model: HaModel, required: int, budget: float) -> None:
        self.name = name
        self.model = model
        self.required = required
        self.budget = budget
        self.serving = 0
        self.switching = 0
        self.active: str | None = None  # active-standby: the member carrying the service
        self.out_since: float | None = None
        self.deg_since: float | None = None
        self.outage = 0.0
        self.degraded = 0.0
        self.worst = 0.0
        self.members: list[str] = []
        # A VNF with no member running before the upgrade suffers nothing from it.
        self.ignored = False


class Availability:
    """Tracks which members serve, and integrates outage and degraded time."""

    def __init__(self, snapshot: Snapshot, events: list[Event]) -> None:
        self.events = events
        self.violations: list[SlaViolation] = []
        self.vnfs: dict[str, VnfState] = {}
        self.vnf_of: dict[str, VnfState] = {}
        self.serving: dict[str, bool] = {}
        servers = snapshot.server_by_name
        for vnf in snapshot.vnfs:
            state = VnfState(vnf.name, vnf.ha_model, max(1, vnf.required_members), vnf.outage_budget_s)
            self.vnfs[vnf.name] = state
            for member in vnf.members:
                server = servers.get(member.server)
                up = server is not None and server.status == "ACTIVE"
                self.serving[member.server] = up
                self.vnf_of[member.server] = state
                state.members.append(member.server)
                state.serving += up
                if up and member.role == MemberRole.ACTIVE and state.active is None:
                    state.active = member.server
            state.ignored = state.serving == 0
            if vnf.ha_model == HaModel.ACTIVE_STANDBY and state.active is None:
                state.active = next((m for m in state.members if self.serving[m]), None)
            self._update(state, 0.0)

    def is_active(self, server: str) -> bool:
        state = self.vnf_of.get(server)
        return state is not None and state.model == HaModel.ACTIVE_STANDBY and state.active == server

    def spare_for(self, server: str) -> str | None:
        """A serving member that could take over from ``server``, if any."""
        state = self.vnf_of.get(server)
        if state is None:
            return None
        for member in state.members:
            if member != server and self.serving.get(member):
                return member
        return None

    def down(self, server: str, now: float) -> None:
        state = self.vnf_of.get(server)
        if state is None or not self.serving.get(server):
            return
        self.serving[server] = False
        state.serving -= 1
        self._update(state, now)

    def up(self, server: str, now: float) -> None:
        state = self.vnf_of.get(server)
        if state is None or self.serving.get(server):
            return
        self.serving[server] = True
        state.serving += 1
        if state.model == HaModel.ACTIVE_STANDBY and (
            state.active is None or not self.serving.get(state.active)
        ):
            state.active = server
        self._update(state, now)

    def switch_begin(self, server: str, new_active: str | None, now: float) -> None:
        state = self.vnf_of[server]
        state.switching += 1
        state.active = new_active
        self._update(state, now)

    def switch_end(self, server: str, now: float) -> None:
        state = self.vnf_of[server]
        state.switching -= 1
        self._update(state, now)

    def _update(self, state: VnfState, now: float) -> None:
        if state.ignored:
            return
        out = (
            state.serving == 0
            or state.switching > 0
            or (state.model == HaModel.NONE and state.serving < state.required)
        )
        degraded = out or state.serving < state.required
        if out and state.out_since is None:
            state.out_since = now
        elif not out and state.out_since is not None:
            self._close_outage(state, now)
        if degraded and state.deg_since is None:
            state.deg_since = now
        elif not degraded and state.deg_since is not None:
            state.degraded += now - state.deg_since
            state.deg_since = None

    def _close_outage(self, state: VnfState, now: float) -> None:
        start = state.out_since
        assert start is not None
        length = now - start
        state.out_since = None
        state.outage += length
        state.worst = max(state.worst, length)
        if state.budget > 0 and length > state.budget:
            self.violations.append(SlaViolation(state.name, start, length, state.budget))
        self.events.append(Event(start, now, "", "", state.name, VNF_OUTAGE, f"{length:.3f} s"))

    def finish(self, now: float) -> None:
        """Close intervals still open at the end of the run."""
        for state in self.vnfs.values():
            if state.out_since is not None:
                self._close_outage(state, now)
            if state.deg_since is not None:
                state.degraded += now - state.deg_since
                state.deg_since = None
