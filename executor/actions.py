"""What each kind of step does, under one contract (STYLE #6; pure).

Every handler has ``observe`` (is the wanted end state already there?),
``precondition`` (may we act now?), ``execute`` (act and wait) and
``postcondition`` (did it work?); what undoing means is ``StepSpec.undo``.
``execute`` always starts from what the cloud shows, never from what the
executor believes, so running a step again (after a crash, a retry, a
resume) never does its work twice: a server already on its target is not
migrated again, a service already disabled is fine.

A step's durable notes (``ctx.data``) are saved before each irreversible
request, so a restarted worker knows what was asked before it died.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from domain.plan import ActionKind
from executor.hooks import UpgradeDriver, VnfManager
from executor.port import CloudPort, Conflict, Permanent, ServerInfo, Transient
from executor.steps import StepKind, StepSpec
from executor.vnfm import LIVE_MIGRATE, MIGRATE, OWN_ACTION

# Nova's migration statuses that are over (anything else is in flight).
MIGRATION_DONE = frozenset({"completed", "finished", "confirmed", "reverted"})
MIGRATION_FAILED = frozenset({"failed", "error", "cancelled", "aborted"})


class Interrupted(Exception):
    """The operator aborted: the step stops where it is (waits end at once)."""


class StepFailed(Exception):
    """The step cannot succeed without the operator; ``cause`` says why."""

    def __init__(self, cause: str, *, host_lost: bool = False) -> None:
        super().__init__(cause)
        self.cause = cause
        # The host did not come back: its wave must stop.
        self.host_lost = host_lost


@dataclass(frozen=True)
class Policy:
    """Retries, timeouts and limits of one execution."""

    transient_retries: int = 5
    backoff_s: float = 1.0
    backoff_max_s: float = 30.0
    migration_attempts: int = 2  # a failed migration is tried again once
    migration_timeout_s: float = 900.0
    host_return_timeout_s: float = 1800.0
    verify_timeout_s: float = 300.0
    # How long nova-compute must be seen up without a break before the host
    # counts as back: longer than Nova's service_down_time, so that a stale
    # heartbeat from before the reboot cannot pass for a fresh one.
    verify_settle_s: float = 0.0
    server_timeout_s: float = 300.0
    # Waits look again after poll_min_s, then back off (x1.5) up to poll_s:
    # a request's effect is seen within tens of ms, a long wait costs few reads.
    poll_s: float = 1.0
    poll_min_s: float = 0.05
    # How often a worker looks for an abort while steps run.
    control_poll_s: float = 0.25
    # How long an abort waits for Nova to cancel a live migration.
    abort_timeout_s: float = 60.0
    # Unplanned destinations stay in the server's availability zone.
    keep_az: bool = True
    # How long a move waits for a host to take its server before failing, and
    # asks again after "No valid host" without spending an attempt: longer than
    # Nova's scheduler_instance_sync_interval (120 s) plus periodic_fuzzy_delay
    # (60 s), how long its scheduler may count a server on the host it left.
    destination_wait_s: float = 180.0
    # A step running longer than watchdog_factor x its simulated p95 is
    # flagged (0: never); watchdog_pause also pauses the execution then.
    watchdog_factor: float = 2.0
    watchdog_pause: bool = False
    # Most migrations in flight across the cloud at once (0: no limit).
    concurrent_migrations: int = 0
    # The alarm gate (executor/alarms.py), from the plan's policy: strict,
    # relaxed or off, and the alert names that never hold a host.
    alarm_mode: str = "strict"
    alarm_ignore: tuple[str, ...] = ()
    # How often a held execution looks again at its alarms and window.
    hold_poll_s: float = 5.0
    # How long a VNF manager that chose OWN_ACTION has to take its instance
    # off the host before the step fails (docs/vnfm.md).
    own_action_timeout_s: float = 600.0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Policy:
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data or {}) - known)
        if unknown:
            raise ValueError(f"unknown execution policy keys: {', '.join(unknown)}")
        if isinstance((data or {}).get("alarm_ignore"), str):
            raise ValueError("alarm_ignore: a list of alert names")
        return cls(**{k: type(getattr(cls(), k))(v) for k, v in (data or {}).items()})


class StepContext(Protocol):
    """What a step handler may use: the cloud, the hooks, its own durable notes."""

    @property
    def cloud(self) -> CloudPort: ...

    @property
    def vnf_manager(self) -> VnfManager: ...

    @property
    def upgrade_driver(self) -> UpgradeDriver: ...

    @property
    def policy(self) -> Policy: ...

    @property
    def plan_label(self) -> str: ...

    @property
    def target_versions(self) -> Mapping[str, str]: ...

    @property
    def data(self) -> dict[str, Any]: ...

    def save(self) -> None: ...

    def server_id(self, name: str) -> str: ...

    def log(self, message: str, **data: Any) -> None: ...

    def origin_notes(self) -> Mapping[str, Any]:
        """The notes of the step that stopped this step's server (for restore)."""
        ...

    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None:
        """Wait; raises ``Interrupted`` at once when the operator aborts."""
        ...

    def pause(self, seconds: float) -> None:
        """Wait, even after an abort (the abort's own clean-up)."""
        ...

    def wait_server(self, server_id: str, status: str | tuple[str, ...],
                    timeout: float | None = None, failures: tuple[str, ...] = ("ERROR",),
                    interruptible: bool = True) -> ServerInfo: ...

    def destination(self, server: ServerInfo, source: str,
                    exclude: tuple[str, ...] = ()) -> str | None:
        """Where the plan's rule sends ``server`` off ``source`` now (None: nowhere)."""
        ...

    def reserving(self, server: ServerInfo, dest: str) -> AbstractContextManager[None]:
        """Count ``server`` on ``dest`` while it moves there (for other choices meanwhile)."""
        ...

    def vnfm_action(self) -> str | None:
        """The VNF manager's choice for this step's server (None: the plan's own action);
        may wait for its reply, or raise ``executor.vnfm.HoldForOperator``."""
        ...

    def vnfm_host(self, state: str) -> None:
        """Tell the VNF managers of this host's instances: IN_MAINTENANCE, MAINTENANCE_COMPLETE."""
        ...

    def recovery_wait(self) -> None:
        """Wait out the VNF's recovery_time after another member came back."""
        ...


@dataclass
class Handler:
    """Base of every step handler; the defaults say 'always fine'."""

    spec: StepSpec
    ctx: StepContext
    observed: dict[str, Any] = field(default_factory=dict)

    def observe(self) -> bool:
        return False

    def precondition(self) -> str | None:
        return None

    def execute(self) -> None:
        return None

    def postcondition(self) -> str | None:
        return None

    # -------------------------------------------------------- helpers
    @property
    def cloud(self) -> CloudPort:
        return self.ctx.cloud

    def server(self) -> ServerInfo:
        return self.cloud.server(self.ctx.server_id(self.spec.server))

    def wait_server(self, status: str | tuple[str, ...], timeout: float | None = None,
                    failures: tuple[str, ...] = ("ERROR",)) -> ServerInfo:
        return self.ctx.wait_server(self.ctx.server_id(self.spec.server), status, timeout,
                                    failures)

    def at_target_versions(self) -> bool:
        versions = self.cloud.host_versions(self.spec.host)
        return all(versions.get(k) == v for k, v in self.ctx.target_versions.items())


def intervals(policy: Policy) -> Iterator[float]:
    """Pauses between looks: fast at first (a request's effect is often quick), then
    backing off to ``poll_s`` (a long wait costs few requests).

    Growing by a tenth each time, the pause stays near a tenth of the time
    waited so far: what the cloud did is seen at most ~10 % late, and a wait
    of T seconds costs about 10 ln(T / poll_min_s) looks.
    """
    interval = min(policy.poll_min_s, policy.poll_s)
    while True:
        yield interval
        interval = min(interval * 1.1, policy.poll_s)


def settled(server: ServerInfo) -> bool:
    return not server.task_state and server.status.upper() in ("ACTIVE", "SHUTOFF")


class Precheck(Handler):
    """The host is known, its service up, none of its servers broken."""

    def precondition(self) -> str | None:
        service = self.cloud.compute_service(self.spec.host)
        if service.state != "up":
            return f"nova-compute on {self.spec.host} is {service.state}"
        broken = [s.name for s in self.cloud.servers(host=self.spec.host)
                  if s.status.upper() == "ERROR"]
        if broken:
            return f"servers in ERROR on {self.spec.host}: {', '.join(sorted(broken))}"
        return None


class Disable(Handler):
    """nova-compute disabled with a reason naming the plan: no new servers land."""

    def reason(self) -> str:
        return f"escalator: {self.ctx.plan_label}"

    def observe(self) -> bool:
        return self.cloud.compute_service(self.spec.host).status == "disabled"

    def execute(self) -> None:
        self.cloud.disable_service(self.spec.host, self.reason())

    def postcondition(self) -> str | None:
        if self.cloud.compute_service(self.spec.host).status != "disabled":
            return f"nova-compute on {self.spec.host} is still enabled"
        return None


class Switchover(Handler):
    """The VNF manager takes the member out of service; it is stopped in place."""

    def out(self, server: ServerInfo) -> bool:
        """Out of service: stopped, or taken off the host by the VNF manager itself."""
        return server.status.upper() == "SHUTOFF" or (
            self.ctx.data.get("vnfm_action") == OWN_ACTION and settled(server)
            and server.host != self.spec.host)

    def observe(self) -> bool:
        return bool(self.ctx.data.get("switched")) and self.out(self.server())

    def execute(self) -> None:
        data = self.ctx.data
        if "was_active" not in data:
            data["was_active"] = self.server().status.upper() == "ACTIVE"
            self.ctx.save()
        if not data.get("switched"):
            self.ctx.recovery_wait()
            data["vnfm_action"] = self.ctx.vnfm_action() or ""
            self.ctx.save()
            # OWN_ACTION: the VNF manager's reply is its switchover (it has taken the
            # member out of service); the member is then stopped in place as planned.
            if data["vnfm_action"] != OWN_ACTION:
                self.ctx.vnf_manager.switchover(vnf=self.spec.vnf, server=self.spec.server,
                                                host=self.spec.host, plan=self.ctx.plan_label)
            data["switched"] = True
            self.ctx.save()
        server = self.server()
        if self.out(server):
            return
        if server.status.upper() == "ACTIVE" and not server.task_state:
            self.cloud.stop_server(server.id)
        self.wait_server("SHUTOFF")

    def postcondition(self) -> str | None:
        server = self.server()
        return None if self.out(server) else (
            f"{self.spec.server} is {server.status.upper()}, not SHUTOFF")


class Move(Handler):
    """A live or cold migration off the host, or a stop for ``stop-start``.

    The step drains its server off ``spec.source``: it is done once the
    server is settled anywhere else (a planned server that Nova already
    placed elsewhere has nothing left to do). The destination is the plan's
    when it names one, else the one the plan's rule picks now
    (``executor.destinations``); every request names it.
    """

    @property
    def kind(self) -> ActionKind:
        """The plan's action, or the one the VNF manager chose instead."""
        return _CHOSEN.get(self.ctx.data.get("vnfm_action") or "", ActionKind(self.spec.action))

    def arrived(self, server: ServerInfo) -> bool:
        if not settled(server) or server.status.upper() == "VERIFY_RESIZE":
            return False
        if self.ctx.data.get("vnfm_action") == OWN_ACTION:
            return server.host != self.spec.source or server.status.upper() == "SHUTOFF"
        if self.kind is ActionKind.STOP_START:
            return server.status.upper() == "SHUTOFF"
        return server.host != self.spec.source

    def observe(self) -> bool:
        self._seen: ServerInfo | None = self.server()
        return self.arrived(self._seen)

    def execute(self) -> None:
        data = self.ctx.data
        sid = self.ctx.server_id(self.spec.server)
        if "vnfm_action" not in data:
            self.ctx.recovery_wait()
            data["vnfm_action"] = self.ctx.vnfm_action() or ""
            self.ctx.save()
        if data["vnfm_action"] == OWN_ACTION:
            self._seen = own_action(self.ctx, sid, self.spec.server, self.spec.source)
            return
        if self.kind is ActionKind.STOP_START:
            self._seen = None
            data.setdefault("was_active", self.server().status.upper() == "ACTIVE")
            self.ctx.save()
            if self.server().status.upper() == "ACTIVE":
                self.cloud.stop_server(sid)
            self.wait_server("SHUTOFF")
            return
        # What was just seen serves once more: each look costs a request.
        self._seen = migrate(self.ctx, sid, self.spec.server, self.spec.source,
                             self.spec.target, data, cold=self.kind is ActionKind.COLD_MIGRATE,
                             seen=getattr(self, "_seen", None))

    def postcondition(self) -> str | None:
        server = getattr(self, "_seen", None) or self.server()
        self._seen = None
        if self.arrived(server):
            if self.kind is not ActionKind.STOP_START:
                self.observed["host"] = server.host
                self.observed["moved"] = bool(self.ctx.data.get("attempts"))
            return None
        return f"{self.spec.server} is {server.status} on {server.host}"


# A VNF manager's choice -> what the Move step then does.
_CHOSEN = {LIVE_MIGRATE: ActionKind.LIVE_MIGRATE, MIGRATE: ActionKind.COLD_MIGRATE}


def own_action(ctx: StepContext, sid: str, name: str, host: str) -> ServerInfo:
    """The VNF manager moves (or stops) its instance itself: wait, reading the cloud, until
    it is settled off ``host`` or shut off, at most ``own_action_timeout_s``."""
    policy = ctx.policy
    ctx.log(f"{name}: the VNF manager takes it off {host} itself (OWN_ACTION); waiting "
            f"up to {policy.own_action_timeout_s:g} s", server=name, own_action=True)
    deadline = ctx.now() + policy.own_action_timeout_s
    pauses = intervals(policy)
    while True:
        server = ctx.cloud.server(sid)
        if settled(server) and (server.host != host or server.status.upper() == "SHUTOFF"):
            ctx.log(f"{name}: the VNF manager's own action is done: {server.status} on "
                    f"{server.host}", server=name, own_action=True, host_now=server.host)
            return server
        if ctx.now() >= deadline:
            raise StepFailed(f"{name}: the VNF manager chose OWN_ACTION but the server is "
                             f"still {server.status} on {host} after "
                             f"{policy.own_action_timeout_s:g} s")
        ctx.sleep(next(pauses))


def migrate(ctx: StepContext, sid: str, name: str, source: str, target: str | None,
            notes: dict[str, Any], *, cold: bool = False,
            seen: ServerInfo | None = None) -> ServerInfo:
    """Move server ``sid`` off ``source`` (to ``target``, else the rule's choice).

    Returns the server as last seen, settled off ``source``; ``seen`` is how
    it was seen just before (saving a look).

    Nova's migration records since ``notes["baseline"]`` (the newest record
    id seen before the first request) tell this move's attempts apart from
    earlier history, so a restarted worker never starts a second migration
    of a server whose first one is running or done. An attempt is counted
    once Nova has it (the request answered, or a record of it), so a worker
    killed just before its request spends none.
    """
    cloud = ctx.cloud
    policy = ctx.policy
    kind = "cold-migrate" if cold else "live-migrate"
    fresh = "baseline" not in notes
    if fresh:
        # Saved with the destination, before the request: one write, not two.
        ids = [int(m.id) for m in cloud.migrations(server_id=sid) if m.id.isdigit()]
        notes["baseline"] = max(ids, default=0)

    def ours() -> list[Any]:
        baseline = int(notes.get("baseline", 0))
        return [m for m in cloud.migrations(server_id=sid)
                if m.id.isdigit() and int(m.id) > baseline]

    def wait() -> ServerInfo:
        try:
            return ctx.wait_server(sid, ("ACTIVE", "SHUTOFF", "VERIFY_RESIZE"),
                                   policy.migration_timeout_s)
        except Interrupted:
            if not cold:
                cancel_in_flight(ctx, sid, name, ours())
            raise

    while True:
        server, seen = seen or cloud.server(sid), None
        if server.status.upper() == "VERIFY_RESIZE":
            cloud.confirm_resize(sid)
            seen = ctx.wait_server(sid, ("ACTIVE", "SHUTOFF"), policy.migration_timeout_s)
            continue
        if not settled(server):
            seen = wait()  # a migration (ours, from before a restart) is in flight
            continue
        if server.host != source:
            return server
        # A fresh baseline has nothing after it yet: no need to ask Nova.
        failed = ([m for m in ours() if m.status in MIGRATION_FAILED]
                  if notes.get("attempts") or not fresh else [])
        fresh = False
        # Nova records a refusal "No valid host" as a failed migration too; those
        # the wait below let through (notes["no_host"]) spent no attempt.
        attempts = max(int(notes.get("attempts", 0)),
                       len(failed) - int(notes.get("no_host", 0)))
        if attempts >= policy.migration_attempts:
            cause = notes.get("last_error") or (
                f"migration {failed[-1].id} {failed[-1].status}" if failed else "not moved")
            raise StepFailed(f"{name}: {kind} failed {attempts} time(s); last: {cause}")
        if attempts:
            # Give the cloud a moment (a scheduler that has not yet seen a
            # host come back answers "No valid host" meanwhile).
            ctx.sleep(min(policy.backoff_s * 2 ** attempts, policy.backoff_max_s))
        refused = tuple(notes.get("refused", ()))
        # A host that refused is tried last: when it is the only one, again after the backoff.
        # The plan's target too, once Nova refused the request ("No valid host": a host
        # just upgraded may not serve yet): then the rule picks, so the upgrade goes on.
        planned = target if target and target not in refused else None
        dest = planned or find_destination(ctx, server, source, refused)
        if dest is None:
            raise StepFailed(f"{name}: no host may take it (for "
                             f"{policy.destination_wait_s:g} s every enabled, up host "
                             "outside this wave was full, in another zone or held its "
                             "anti-affinity peer)")
        notes["dest"] = dest
        ctx.save()  # the baseline is known before Nova has the request
        ctx.log(f"{kind} {name} {source} -> {dest}, attempt {attempts + 1}",
                server=name, attempt=attempts + 1, dest=dest)
        with ctx.reserving(server, dest):
            try:
                if cold:
                    cloud.cold_migrate(sid, dest)
                else:
                    cloud.live_migrate(sid, dest)
            except Permanent as exc:
                notes["last_error"] = exc.message
                if dest not in notes.get("refused", ()):
                    notes["refused"] = [*notes.get("refused", ()), dest]
                if no_valid_host(exc.message) and waiting_for_host(ctx, notes):
                    # The scheduler found no host and nothing started: no attempt spent.
                    notes["no_host"] = int(notes.get("no_host", 0)) + 1
                    ctx.save()
                    ctx.log(f"{kind} {name}: Nova found no valid host ({dest} asked); "
                            "asking again, another host first", server=name, dest=dest,
                            no_valid_host=notes["no_host"])
                    ctx.sleep(min(policy.backoff_s * 2 ** min(notes["no_host"], 16),
                                  policy.backoff_max_s))
                    continue
                notes["attempts"] = attempts + 1
                ctx.save()
                continue
            notes["attempts"] = attempts + 1  # Nova has it now
            notes["requests"] = int(notes.get("requests", 0)) + 1
            ctx.save()
            server = seen = wait()
        if server.host == source and server.status.upper() != "VERIFY_RESIZE":
            records = ours()
            last = records[-1] if records else None
            notes["last_error"] = (f"migration {last.id} {last.status}, server still on "
                                   f"{server.host}" if last else f"still on {server.host}")
            if not target:  # another host first next time (this one may not be ready)
                notes["refused"] = [*notes.get("refused", ()), dest]
            ctx.save()


def no_valid_host(message: str) -> bool:
    return "no valid host" in message.lower()


def waiting_for_host(ctx: StepContext, notes: dict[str, Any]) -> bool:
    """Whether a move refused with "No valid host" may still ask again without spending an
    attempt: for ``destination_wait_s`` from its first such refusal.

    Nova's scheduler keeps a live-migrated server counted on the host it left until
    that host's nova-compute next sends its instance list
    (``scheduler_instance_sync_interval``, 120 s by default, the first one up to
    ``periodic_fuzzy_delay`` later after a restart): meanwhile a peer of its hard
    anti-affinity group is refused there although the host is empty. The rule's other
    hosts are asked first; this wait covers the case where there is no other.
    """
    since = notes.setdefault("no_host_since", ctx.now())
    return ctx.now() - float(since) < ctx.policy.destination_wait_s


def find_destination(ctx: StepContext, server: ServerInfo, source: str,
                     refused: tuple[str, ...]) -> str | None:
    """The rule's destination; a host that refused is tried last (when it is the only one,
    again after the backoff). None for ``destination_wait_s``: nowhere to go.

    Waiting covers what passes: a host just upgraded that Nova still sees
    down for a few seconds, a move in flight that will free room.
    """
    deadline = ctx.now() + ctx.policy.destination_wait_s
    pauses = intervals(ctx.policy)
    while True:
        dest = ctx.destination(server, source, refused) or (
            ctx.destination(server, source) if refused else None)
        if dest is not None or ctx.now() >= deadline:
            return dest
        ctx.sleep(next(pauses))


def cancel_in_flight(ctx: StepContext, sid: str, name: str, records: list[Any]) -> None:
    """After an abort: cancel the server's live migration in Nova, leave it on its source."""
    cloud = ctx.cloud
    live = [m for m in records if m.kind == "live-migration"
            and m.status not in MIGRATION_DONE | MIGRATION_FAILED]
    for record in live:
        deadline = ctx.now() + ctx.policy.abort_timeout_s
        while True:
            try:
                cloud.abort_migration(sid, record.id)
                ctx.log(f"abort: live migration {record.id} of {name} cancelled in Nova",
                        server=name, migration=record.id, aborted=True)
                break
            except (Conflict, Permanent, Transient) as exc:
                # Not abortable yet (queued, preparing) or already over: look again.
                now = [m for m in cloud.migrations(server_id=sid) if m.id == record.id]
                if not now or now[0].status in MIGRATION_DONE | MIGRATION_FAILED:
                    break
                if ctx.now() >= deadline:
                    ctx.log(f"abort: live migration {record.id} of {name} could not be "
                            f"cancelled: {exc.message}", server=name, migration=record.id)
                    break
                ctx.pause(0.1)
    if live:
        try:
            ctx.wait_server(sid, ("ACTIVE", "SHUTOFF"), ctx.policy.abort_timeout_s,
                            interruptible=False)
        except Transient:
            pass  # shown by the host's state; the abort goes on


class Drain(Handler):
    """Whatever still runs on the host now (Nova placed it there since planning) leaves.

    The cloud is the truth: the servers on the host are read now, and each
    one not shut off is live-migrated to a destination the plan's rule picks.
    Each such move is an *unplanned* move, in the log and in the report.
    """

    def running_here(self) -> list[ServerInfo]:
        return [s for s in self.cloud.servers(host=self.spec.host)
                if s.status.upper() != "SHUTOFF"]

    def observe(self) -> bool:
        moves = self.ctx.data.get("moves") or {}
        if not moves and not self.running_here():
            return True
        return not self.running_here() and all(m.get("host") for m in moves.values())

    def execute(self) -> None:
        moves: dict[str, dict[str, Any]] = self.ctx.data.setdefault("moves", {})
        for notes in moves.values():  # moves begun before a restart first
            if not notes.get("host"):
                self.move(notes["id"], notes["name"], notes)
        for _ in range(3):  # new arrivals while draining: Nova may still be placing
            left = self.running_here()
            if not left:
                return
            for server in left:
                if server.status.upper() == "ERROR":
                    raise StepFailed(f"{server.name} on {self.spec.host} is in ERROR: it "
                                     "cannot be moved; the operator decides")
                notes = moves.setdefault(server.id, {"id": server.id, "name": server.name})
                notes.pop("host", None)
                self.ctx.log(f"unplanned move: {server.name} is on {self.spec.host} now "
                             "(placed there since planning)", server=server.name,
                             unplanned=True)
                self.move(server.id, server.name, notes)

    def move(self, sid: str, name: str, notes: dict[str, Any]) -> None:
        self.ctx.save()
        host = migrate(self.ctx, sid, name, self.spec.host, None, notes).host
        notes["host"] = host
        self.ctx.save()
        self.ctx.log(f"unplanned move: {name} {self.spec.host} -> {host} done",
                     server=name, unplanned=True, dest=host)

    def postcondition(self) -> str | None:
        left = sorted(s.name for s in self.running_here())
        self.observed["moves"] = [
            {"server": m["name"], "source": self.spec.host, "dest": m.get("host", ""),
             "requests": int(m.get("requests", 0))}
            for m in (self.ctx.data.get("moves") or {}).values()]
        if left:
            return f"servers still running on {self.spec.host}: {', '.join(left)}"
        return None


class Upgrade(Handler):
    """The upgrade driver upgrades and reboots the host; we wait for it to come back."""

    def observe(self) -> bool:
        driver = self.ctx.upgrade_driver.in_progress(self.spec.host)
        return not driver and self.at_target_versions()

    def precondition(self) -> str | None:
        if self.cloud.compute_service(self.spec.host).status != "disabled":
            return f"nova-compute on {self.spec.host} is enabled"
        running = [s.name for s in self.cloud.servers(host=self.spec.host)
                   if s.status.upper() != "SHUTOFF"]
        if running:
            return f"servers still running on {self.spec.host}: {', '.join(sorted(running))}"
        return None

    def execute(self) -> None:
        data = self.ctx.data
        driver = self.ctx.upgrade_driver
        busy = driver.in_progress(self.spec.host)
        # Ask again unless the driver says it is busy, or cannot tell and was asked.
        if not busy and not (busy is None and data.get("requested")):
            if not data.get("told_in_maintenance"):
                self.ctx.vnfm_host("IN_MAINTENANCE")
                data["told_in_maintenance"] = True
            data["requested"] = True
            self.ctx.save()
            driver.start(self.spec.host)
        self.wait_back()

    def wait_back(self) -> None:
        """Wait for the host's new versions; a host that never reports them is lost."""
        policy = self.ctx.policy
        deadline = self.ctx.now() + policy.host_return_timeout_s
        pauses = intervals(policy)
        while True:
            if self.at_target_versions() and not self.ctx.upgrade_driver.in_progress(
                    self.spec.host):
                return
            if self.ctx.now() >= deadline:
                raise StepFailed(f"{self.spec.host} did not come back at the target versions "
                                 f"within {policy.host_return_timeout_s:g} s", host_lost=True)
            self.ctx.sleep(next(pauses))


class Verify(Handler):
    """The host is up and reports every target version."""

    def execute(self) -> None:
        policy = self.ctx.policy
        deadline = self.ctx.now() + policy.verify_timeout_s
        up_since: float | None = None
        pauses = intervals(policy)
        while True:
            now = self.ctx.now()
            try:
                state = self.cloud.compute_service(self.spec.host).state
            except Transient:
                state = "unknown"
            if state == "up":
                up_since = now if up_since is None else up_since
                if now - up_since >= policy.verify_settle_s:
                    return
            else:
                up_since = None
            if now >= deadline:
                raise StepFailed(f"{self.spec.host} is not up steadily after "
                                 f"{policy.verify_timeout_s:g} s (last seen {state})",
                                 host_lost=True)
            self.ctx.sleep(next(pauses))

    def postcondition(self) -> str | None:
        service = self.cloud.compute_service(self.spec.host)
        if service.state != "up":
            return f"nova-compute on {self.spec.host} is {service.state}"
        versions = self.cloud.host_versions(self.spec.host)
        wrong = {k: versions.get(k) for k, v in self.ctx.target_versions.items()
                 if versions.get(k) != v}
        if wrong:
            return f"{self.spec.host} reports {wrong}, not the target versions"
        self.observed["versions"] = dict(versions)
        return None


class Enable(Handler):
    def observe(self) -> bool:
        return self.cloud.compute_service(self.spec.host).status == "enabled"

    def execute(self) -> None:
        self.cloud.enable_service(self.spec.host)

    def postcondition(self) -> str | None:
        if self.cloud.compute_service(self.spec.host).status != "enabled":
            return f"nova-compute on {self.spec.host} is still disabled"
        if not self.ctx.data.get("told_complete"):
            self.ctx.vnfm_host("MAINTENANCE_COMPLETE")
            self.ctx.data["told_complete"] = True
            self.ctx.save()
        return None


class Restore(Handler):
    """Start what the plan stopped, and give a switched-over member back to its VNF."""

    def was_active(self) -> bool:
        # A server that was already shut off before the plan stopped it stays off.
        return self.ctx.origin_notes().get("was_active") is not False

    def observe(self) -> bool:
        restored = self.ctx.data.get("restored") or self.spec.action != ActionKind.SWITCHOVER
        server = self.server()
        return bool(restored) and (server.status.upper() == "ACTIVE" or not self.was_active())

    def execute(self) -> None:
        server = self.server()
        if self.was_active() and server.status.upper() == "SHUTOFF" and not server.task_state:
            self.cloud.start_server(server.id)
        if self.was_active():
            self.wait_server("ACTIVE")
        if self.spec.action == ActionKind.SWITCHOVER and not self.ctx.data.get("restored"):
            self.ctx.vnf_manager.restore(vnf=self.spec.vnf, server=self.spec.server,
                                         host=self.spec.host, plan=self.ctx.plan_label)
            self.ctx.data["restored"] = True
            self.ctx.save()


HANDLERS: dict[StepKind, type[Handler]] = {
    StepKind.PRECHECK: Precheck,
    StepKind.DISABLE: Disable,
    StepKind.SWITCHOVER: Switchover,
    StepKind.MOVE: Move,
    StepKind.DRAIN: Drain,
    StepKind.UPGRADE: Upgrade,
    StepKind.VERIFY: Verify,
    StepKind.ENABLE: Enable,
    StepKind.RESTORE: Restore,
}


def handler_for(spec: StepSpec, ctx: StepContext) -> Handler:
    return HANDLERS[spec.kind](spec, ctx)

