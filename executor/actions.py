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

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from domain.plan import ActionKind
from executor.hooks import UpgradeDriver, VnfManager
from executor.port import CloudPort, Permanent, ServerInfo, Transient
from executor.steps import StepKind, StepSpec

# Nova's migration statuses that are over (anything else is in flight).
MIGRATION_DONE = frozenset({"completed", "finished", "confirmed", "reverted"})
MIGRATION_FAILED = frozenset({"failed", "error", "cancelled", "aborted"})


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
    poll_s: float = 1.0
    # Most migrations in flight across the cloud at once (0: no limit).
    concurrent_migrations: int = 0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Policy:
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data or {}) - known)
        if unknown:
            raise ValueError(f"unknown execution policy keys: {', '.join(unknown)}")
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

    def sleep(self, seconds: float) -> None: ...


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
        return self.cloud.wait_for_server(
            self.ctx.server_id(self.spec.server), status,
            timeout=timeout or self.ctx.policy.server_timeout_s,
            interval=self.ctx.policy.poll_s, failures=failures)

    def at_target_versions(self) -> bool:
        versions = self.cloud.host_versions(self.spec.host)
        return all(versions.get(k) == v for k, v in self.ctx.target_versions.items())


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

    def observe(self) -> bool:
        return bool(self.ctx.data.get("switched")) and self.server().status.upper() == "SHUTOFF"

    def execute(self) -> None:
        data = self.ctx.data
        if "was_active" not in data:
            data["was_active"] = self.server().status.upper() == "ACTIVE"
            self.ctx.save()
        if not data.get("switched"):
            self.ctx.vnf_manager.switchover(vnf=self.spec.vnf, server=self.spec.server,
                                            host=self.spec.host, plan=self.ctx.plan_label)
            data["switched"] = True
            self.ctx.save()
        server = self.server()
        if server.status.upper() == "ACTIVE" and not server.task_state:
            self.cloud.stop_server(server.id)
        self.wait_server("SHUTOFF")

    def postcondition(self) -> str | None:
        status = self.server().status.upper()
        return None if status == "SHUTOFF" else f"{self.spec.server} is {status}, not SHUTOFF"


class Move(Handler):
    """A live or cold migration off the host, or a stop for ``stop-start``.

    Nova's migration records since ``baseline`` (the newest record id seen
    before the first request) tell this step's own attempts apart from
    earlier history, so a restarted worker never starts a second migration
    of a server whose first one is running or done.
    """

    @property
    def kind(self) -> ActionKind:
        return ActionKind(self.spec.action)

    def arrived(self, server: ServerInfo) -> bool:
        if not settled(server) or server.status.upper() == "VERIFY_RESIZE":
            return False
        if self.kind is ActionKind.STOP_START:
            return server.status.upper() == "SHUTOFF"
        if self.spec.target:
            return server.host == self.spec.target
        return server.host != self.spec.source

    def observe(self) -> bool:
        return self.arrived(self.server())

    def ours(self) -> list[Any]:
        baseline = int(self.ctx.data.get("baseline", 0))
        sid = self.ctx.server_id(self.spec.server)
        return [m for m in self.cloud.migrations(server_id=sid)
                if m.id.isdigit() and int(m.id) > baseline]

    def execute(self) -> None:
        data = self.ctx.data
        sid = self.ctx.server_id(self.spec.server)
        if self.kind is ActionKind.STOP_START:
            data.setdefault("was_active", self.server().status.upper() == "ACTIVE")
            self.ctx.save()
            if self.server().status.upper() == "ACTIVE":
                self.cloud.stop_server(sid)
            self.wait_server("SHUTOFF")
            return
        if "baseline" not in data:
            ids = [int(m.id) for m in self.cloud.migrations(server_id=sid) if m.id.isdigit()]
            data["baseline"] = max(ids, default=0)
            self.ctx.save()
        policy = self.ctx.policy
        while True:
            server = self.server()
            if server.status.upper() == "VERIFY_RESIZE":
                self.cloud.confirm_resize(sid)
                self.wait_server(("ACTIVE", "SHUTOFF"), policy.migration_timeout_s)
                continue
            if not settled(server):
                # A migration (ours, from before a restart) is in flight: wait for it.
                self.wait_server(("ACTIVE", "SHUTOFF", "VERIFY_RESIZE"),
                                 policy.migration_timeout_s)
                continue
            if self.arrived(server):
                return
            failed = [m for m in self.ours() if m.status in MIGRATION_FAILED]
            attempts = max(int(data.get("attempts", 0)), len(failed))
            if attempts >= policy.migration_attempts:
                cause = data.get("last_error") or (
                    f"migration {failed[-1].id} {failed[-1].status}" if failed else "not moved")
                raise StepFailed(f"{self.spec.server}: {self.kind} failed {attempts} time(s); "
                                 f"last: {cause}")
            if attempts:
                # Give the cloud a moment (a scheduler that has not yet seen a
                # host come back answers "No valid host" meanwhile).
                self.ctx.sleep(min(policy.backoff_s * 2 ** attempts, policy.backoff_max_s))
            data["attempts"] = attempts + 1
            self.ctx.save()  # before the request: a restart must see it was asked
            self.ctx.log(f"{self.kind} {self.spec.server} attempt {attempts + 1}",
                         server=self.spec.server, attempt=attempts + 1)
            try:
                if self.kind is ActionKind.LIVE_MIGRATE:
                    self.cloud.live_migrate(sid, self.spec.target)
                else:
                    self.cloud.cold_migrate(sid, self.spec.target)
            except Permanent as exc:
                data["last_error"] = exc.message
                self.ctx.save()
                continue
            self.wait_server(("ACTIVE", "SHUTOFF", "VERIFY_RESIZE"), policy.migration_timeout_s)
            server = self.server()
            if not self.arrived(server) and server.status.upper() != "VERIFY_RESIZE":
                records = self.ours()
                last = records[-1] if records else None
                data["last_error"] = (f"migration {last.id} {last.status}, server still on "
                                      f"{server.host}" if last else f"still on {server.host}")
                self.ctx.save()

    def postcondition(self) -> str | None:
        server = self.server()
        if self.arrived(server):
            if self.kind is not ActionKind.STOP_START:
                self.observed["host"] = server.host
            return None
        return f"{self.spec.server} is {server.status} on {server.host}"


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
            data["requested"] = True
            self.ctx.save()
            driver.start(self.spec.host)
        self.wait_back()

    def wait_back(self) -> None:
        """Wait for the host's new versions; a host that never reports them is lost."""
        policy = self.ctx.policy
        deadline = self.ctx.now() + policy.host_return_timeout_s
        while True:
            if self.at_target_versions() and not self.ctx.upgrade_driver.in_progress(
                    self.spec.host):
                return
            if self.ctx.now() >= deadline:
                raise StepFailed(f"{self.spec.host} did not come back at the target versions "
                                 f"within {policy.host_return_timeout_s:g} s", host_lost=True)
            self.ctx.sleep(policy.poll_s)


class Verify(Handler):
    """The host is up and reports every target version."""

    def execute(self) -> None:
        policy = self.ctx.policy
        deadline = self.ctx.now() + policy.verify_timeout_s
        up_since: float | None = None
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
            self.ctx.sleep(policy.poll_s)

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
    StepKind.UPGRADE: Upgrade,
    StepKind.VERIFY: Verify,
    StepKind.ENABLE: Enable,
    StepKind.RESTORE: Restore,
}


def handler_for(spec: StepSpec, ctx: StepContext) -> Handler:
    return HANDLERS[spec.kind](spec, ctx)

