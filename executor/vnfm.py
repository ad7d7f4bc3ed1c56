"""The two-way exchange with the VNF managers, after OpenStack Fenix (pure: stdlib only).

Per host and per project (tenant) holding instances the plan moves or
switches over, the executor sends a maintenance notification (state
``PREPARE_MAINTENANCE``) with the actions allowed per instance and a reply
deadline (``actions_at``), waits for the VNF manager's reply (posted to our
REST endpoint, stored by the Django shell), and hands each instance's chosen
action to its step. No reply by the deadline: the plan's ``vnfm_timeout``
decides (``proceed`` with the plan's own action, or ``pause`` the
execution). Then ``IN_MAINTENANCE`` when the emptied host goes down and
``MAINTENANCE_COMPLETE`` when it is back in service. docs/vnfm.md has the
messages.

The durable half (the sessions, their tokens, the replies) lives behind
``Channel`` (executor/vnfm_channel.py), so that a worker restarted while it
waited finds the session it opened and does not notify twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from domain.plan import ActionKind

MIGRATE = "MIGRATE"
LIVE_MIGRATE = "LIVE_MIGRATE"
OWN_ACTION = "OWN_ACTION"
ACTIONS = (MIGRATE, LIVE_MIGRATE, OWN_ACTION)

# What the VNF managers may be asked to choose between, by the plan's action.
_BY_PLAN = {
    ActionKind.LIVE_MIGRATE: (LIVE_MIGRATE, MIGRATE),
    ActionKind.COLD_MIGRATE: (MIGRATE,),
}
# A VNF's ``migration_type`` -> the one action it narrows the choice to.
_BY_TYPE = {"live_migrate": LIVE_MIGRATE, "migrate": MIGRATE, "own_action": OWN_ACTION}

TIMEOUT_POLICIES = ("proceed", "pause")

# Sessions' states (executor.models.VnfmSession.state).
WAITING, REPLIED, REFUSED, EXPIRED = "waiting", "replied", "refused", "expired"


class HoldForOperator(Exception):
    """The step cannot go on without the operator: the execution pauses with ``cause``.

    The step goes back to pending; resuming runs it again (a new exchange)."""

    def __init__(self, cause: str) -> None:
        super().__init__(cause)
        self.cause = cause


@dataclass(frozen=True)
class VnfRules:
    """A VNF's constraints for maintenance (Fenix's instance-group constraints)."""

    recovery_time_s: float = 0.0
    lead_time_s: float = 0.0
    migration_type: str = "any"


@dataclass(frozen=True)
class Instance:
    """One instance in a notification: Nova's id, our name, what may be done to it."""

    id: str
    name: str
    vnf: str
    planned: str  # the plan's ActionKind
    allowed: tuple[str, ...]


def allowed_actions(planned: str, vnf: str, migration_type: str = "any") -> tuple[str, ...]:
    """The Fenix actions a VNF manager may pick for an instance the plan ``planned``.

    A member of a VNF may always take its own action (switch over, move
    itself); the VNF's ``migration_type`` narrows the choice to one when
    that one is possible.
    """
    base = tuple(_BY_PLAN.get(ActionKind(planned), ())) + ((OWN_ACTION,) if vnf else ())
    wanted = _BY_TYPE.get(migration_type)
    if wanted in base:
        return (str(wanted),)
    return base


class ReplyError(ValueError):
    """A VNF manager's reply refused: the message names the field and what is wrong."""


def check_reply(body: Any, *, session_id: str, project_id: str,
                allowed: Mapping[str, list[str]]) -> dict[str, Any]:
    """The reply as we keep it (``state``, ``instance_actions``, ``reason``) or ReplyError.

    Instances the reply leaves out get the plan's own action.
    """
    if not isinstance(body, dict):
        raise ReplyError("the reply must be a JSON object")
    unknown = sorted(set(body) - {"session_id", "project_id", "state", "instance_actions",
                                  "reason"})
    if unknown:
        raise ReplyError(f"unknown fields: {', '.join(unknown)}")
    if body.get("session_id") != session_id:
        raise ReplyError(f"session_id: expected {session_id!r}, got {body.get('session_id')!r}")
    if body.get("project_id") != project_id:
        raise ReplyError(f"project_id: expected {project_id!r}, got {body.get('project_id')!r}")
    state = body.get("state")
    if state not in ("ACK_PREPARE_MAINTENANCE", "NACK_PREPARE_MAINTENANCE"):
        raise ReplyError("state: ACK_PREPARE_MAINTENANCE or NACK_PREPARE_MAINTENANCE, "
                         f"not {state!r}")
    reason = body.get("reason", "")
    if not isinstance(reason, str) or len(reason) > 1000:
        raise ReplyError("reason: a text of at most 1000 characters")
    actions = body.get("instance_actions", {})
    if not isinstance(actions, dict):
        raise ReplyError("instance_actions: an object, instance id -> action")
    for instance, action in actions.items():
        if instance not in allowed:
            raise ReplyError(f"instance_actions.{instance}: not an instance of this "
                             f"notification (its instances: {', '.join(sorted(allowed))})")
        if action not in allowed[instance]:
            raise ReplyError(f"instance_actions.{instance}: {action!r} is not allowed "
                             f"(allowed: {', '.join(allowed[instance]) or 'none'})")
    return {"state": state, "instance_actions": dict(actions), "reason": reason}


@dataclass(frozen=True)
class Session:
    """One notification and its reply, as the channel stores it (times epoch s)."""

    id: int
    project_id: str
    state: str  # waiting | replied | refused | expired
    deadline: float
    round: int = 1
    actions: Mapping[str, str] = field(default_factory=dict)  # instance id -> action
    reason: str = ""
    sent_now: bool = False  # this call delivered it (else it was delivered before)


class Channel(Protocol):
    """Where sessions are kept and messages go (the Django shell: executor/vnfm_channel.py)."""

    def open(self, host: str, project_id: str, instances: list[Instance],
             reply_s: float) -> Session:
        """The host's current session for the project: the stored one if still open, else
        a new one, notified (PREPARE_MAINTENANCE) now with ``reply_s`` to answer."""
        ...

    def look(self, session_id: int) -> Session: ...

    def expire(self, session_id: int) -> Session:
        """Close a waiting session at its deadline (later replies are refused); the
        session as it is then (a reply that came first wins)."""
        ...

    def host_state(self, host: str, state: str) -> list[str]:
        """Tell the host's projects IN_MAINTENANCE / MAINTENANCE_COMPLETE; the projects told."""
        ...


Say = Callable[..., None]


class Exchange:
    """The executor's half of the exchange, for one execution's machine."""

    def __init__(self, channel: Channel, *, say: Say, reply_s: float,
                 timeout_policy: str = "proceed", vnfs: Mapping[str, VnfRules] | None = None,
                 now: Callable[[], float], poll_s: float = 0.5) -> None:
        if timeout_policy not in TIMEOUT_POLICIES:
            raise ValueError(f"vnfm_timeout: one of {', '.join(TIMEOUT_POLICIES)}, "
                             f"not {timeout_policy!r}")
        self.channel = channel
        self.say = say
        self.reply_s = reply_s
        self.timeout_policy = timeout_policy
        self.vnfs = dict(vnfs or {})
        self.now = now
        self.poll_s = poll_s
        self._decided: dict[str, dict[str, str | None]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def rules(self, vnf: str) -> VnfRules:
        return self.vnfs.get(vnf, VnfRules())

    def _lock(self, host: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(host, threading.Lock())

    def reply_window(self, instances: list[Instance]) -> float:
        """Seconds to answer: the notice the instances' VNFs ask for (``lead_time_s``, the
        longest), else the plan's ``vnfm_reply_s`` (as the simulator models it)."""
        asked = [self.rules(i.vnf).lead_time_s for i in instances]
        return max(asked) if any(t > 0 for t in asked) else self.reply_s

    def actions(self, host: str, instances: Callable[[], Mapping[str, list[Instance]]],
                wait: Callable[[float], None]) -> dict[str, str | None]:
        """Instance id -> the action chosen (None: the plan's own), asking each project.

        ``instances()``: project id -> its instances on ``host`` now (read once,
        by the host's first step to ask). ``wait`` is the
        machine's interruptible sleep (an abort ends it at once). Raises
        HoldForOperator when the plan's policy pauses, or the VNFM refused.
        """
        with self._lock(host):
            if host in self._decided:
                return self._decided[host]
            chosen: dict[str, str | None] = {}
            for project, group in sorted(instances().items()):
                chosen.update(self._ask(host, project, group, wait))
            self._decided[host] = chosen
            return chosen

    def _ask(self, host: str, project: str, group: list[Instance],
             wait: Callable[[float], None]) -> dict[str, str | None]:
        session = self.channel.open(host, project, group, self.reply_window(group))
        names = ", ".join(i.name for i in group)
        if session.sent_now:
            self.say("vnfm", f"vnfm: maintenance notification for {host} sent to project "
                     f"{project} ({names}); reply by {_clock(session.deadline)}",
                     host=host, project_id=project, session=session.id,
                     state="PREPARE_MAINTENANCE", instances=[i.name for i in group],
                     deadline=session.deadline, round=session.round)
        while session.state == WAITING:
            left = session.deadline - self.now()
            if left <= 0:
                session = self.channel.expire(session.id)
                break
            wait(min(self.poll_s, left))
            session = self.channel.look(session.id)
        by_id = {i.id: i for i in group}
        if session.state == REPLIED:
            picked = {i: session.actions.get(i) for i in by_id}
            said = ", ".join(f"{by_id[i].name} {a or 'as planned'}" for i, a in picked.items())
            self.say("vnfm", f"vnfm: project {project} chose for {host}: {said}", host=host,
                     project_id=project, session=session.id,
                     actions={by_id[i].name: a for i, a in picked.items()})
            return picked
        if session.state == REFUSED:
            cause = (f"vnfm: project {project} refused the maintenance of {host}"
                     + (f": {session.reason}" if session.reason else ""))
            self.say("vnfm", cause, host=host, project_id=project, session=session.id)
            raise HoldForOperator(cause)
        late = f"vnfm: no reply from project {project} for {host} by {_clock(session.deadline)}"
        if self.timeout_policy == "pause":
            cause = f"{late}; the plan's policy pauses the execution"
            self.say("vnfm", cause, host=host, project_id=project, session=session.id,
                     timeout="pause")
            raise HoldForOperator(cause)
        self.say("vnfm", f"{late}; the plan's policy proceeds with its own actions "
                 f"({names})", host=host, project_id=project, session=session.id,
                 timeout="proceed")
        return {i: None for i in by_id}

    def host_state(self, host: str, state: str) -> None:
        told = self.channel.host_state(host, state)
        if told:
            what = "in maintenance" if state == "IN_MAINTENANCE" else "back in service"
            self.say("vnfm", f"vnfm: {host} {what} ({state}) told to project(s) "
                     f"{', '.join(told)}", host=host, state=state, projects=told)


def _clock(epoch: float) -> str:
    import time

    return time.strftime("%H:%M:%S", time.gmtime(epoch))
