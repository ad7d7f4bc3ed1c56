"""The durable, resumable state machine that runs an execution's steps (pure).

``Machine.run`` walks the waves in order; the hosts of one wave run in
parallel threads, each host's steps in order. Before each step the machine
asks the store what the operator wants (run, pause, abort): pausing and
aborting take effect after the steps in flight. Each step's record is
stored before it acts (``Store.begin``) and after (``Store.finish``), and
every handler observes the cloud first (executor/actions.py), so a run can
be cut anywhere (SIGKILL included) and started again: it continues where
the records say, and steps found running are simply run again.

Faults:
- a ``Transient`` or ``Conflict`` error makes the whole step run again after
  an exponential backoff (safe: steps are idempotent), up to
  ``Policy.transient_retries``;
- ``StepFailed`` (and any other ``CloudError``) fails the step: its host
  stops there (left disabled), the other hosts of the wave finish their
  own steps, no later wave starts, and the run ends ``blocked`` with the
  cause, for the operator to retry or skip the step.

The Django shell provides the store (executor/store.py); tests provide an
in-memory one.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from domain.choice import Choice
from domain.plan import ActionKind
from executor import destinations
from executor.actions import Interrupted, Policy, StepFailed, handler_for, intervals
from executor.holds import Holds
from executor.hooks import UpgradeDriver, VnfManager
from executor.port import (
    CloudError,
    CloudPort,
    Conflict,
    Permanent,
    ServerInfo,
    Transient,
    WaitTimeout,
)
from executor.steps import StepKind, StepSpec, steps_by_host
from executor.vnfm import Exchange, HoldForOperator, Instance, VnfRules, allowed_actions


class StepState(Choice):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


FINISHED = frozenset({StepState.DONE, StepState.SKIPPED})


class Wanted(Choice):
    """What the operator wants of a running execution."""

    RUN = "run", "Run"
    PAUSE = "pause", "Pause"
    ABORT = "abort", "Abort"


class Outcome(StrEnum):
    DONE = "done"
    PAUSED = "paused"
    ABORTED = "aborted"
    BLOCKED = "blocked"  # a step failed: the operator must retry or skip it
    LOST = "lost"  # another worker owns the execution now


@dataclass
class StepRecord:
    """A step's durable state. ``data`` holds the handler's notes; times are epoch s."""

    key: str
    state: StepState = StepState.PENDING
    attempts: int = 0
    data: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    started: float | None = None
    finished: float | None = None
    observed: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunResult:
    outcome: Outcome
    cause: str = ""
    failed_step: str = ""


class Store(Protocol):
    """Where the machine keeps records and reads the operator's wishes."""

    def load(self) -> dict[str, StepRecord]: ...

    def begin(self, record: StepRecord) -> bool:
        """Store ``record`` as running (compare-and-set); False if this worker lost it."""
        ...

    def save_notes(self, record: StepRecord) -> None: ...

    def finish(self, record: StepRecord) -> None: ...

    def wanted(self) -> Wanted: ...

    def emit(self, kind: str, message: str, step: str = "", **data: Any) -> None: ...


@dataclass
class _Context:
    """A step handler's view (``executor.actions.StepContext``)."""

    machine: Machine
    spec: StepSpec
    record: StepRecord

    @property
    def cloud(self) -> CloudPort:
        return self.machine.cloud

    @property
    def vnf_manager(self) -> VnfManager:
        return self.machine.vnf_manager

    @property
    def upgrade_driver(self) -> UpgradeDriver:
        return self.machine.upgrade_driver

    @property
    def policy(self) -> Policy:
        return self.machine.policy

    @property
    def plan_label(self) -> str:
        return self.machine.plan_label

    @property
    def target_versions(self) -> Mapping[str, str]:
        return self.machine.target_versions

    @property
    def data(self) -> dict[str, Any]:
        return self.record.data

    def save(self) -> None:
        self.machine.store.save_notes(self.record)

    def server_id(self, name: str) -> str:
        return self.machine.server_id(name)

    def log(self, message: str, **data: Any) -> None:
        self.machine.store.emit("log", message, step=self.spec.key, host=self.spec.host, **data)

    def origin_notes(self) -> Mapping[str, Any]:
        for spec in self.machine.specs:
            if (spec.host == self.spec.host and spec.server == self.spec.server
                    and spec.kind in (StepKind.SWITCHOVER, StepKind.MOVE)):
                return self.machine.records[spec.key].data
        return {}

    def now(self) -> float:
        return self.machine.now()

    def sleep(self, seconds: float) -> None:
        self.machine.wait(seconds)

    def pause(self, seconds: float) -> None:
        self.machine.wait(seconds, interruptible=False)

    def wait_server(self, server_id: str, status: str | tuple[str, ...],
                    timeout: float | None = None, failures: tuple[str, ...] = ("ERROR",),
                    interruptible: bool = True) -> ServerInfo:
        """Look at the server until it has one of ``status`` and no task in progress."""
        wanted = {x.upper() for x in ((status,) if isinstance(status, str) else status)}
        failing = {x.upper() for x in failures}
        timeout = timeout or self.policy.server_timeout_s
        deadline = self.now() + timeout
        pauses = intervals(self.policy)
        last: object = None
        while True:
            try:
                server = self.cloud.server(server_id)
                last = server
                if server.status.upper() in failing:
                    raise Permanent(f"server {server.name} ({server.id}) went to "
                                    f"{server.status}" + (f": {server.fault}" if server.fault
                                                           else ""))
                if server.status.upper() in wanted and not server.task_state:
                    return server
            except Transient as exc:
                last = exc  # the API hiccuped: the state may still come
            if self.now() >= deadline:
                raise WaitTimeout(f"timed out after {timeout:g} s waiting for server "
                                  f"{server_id} to be {'/'.join(sorted(wanted))}", last=last)
            self.machine.wait(next(pauses), interruptible=interruptible)

    def destination(self, server: ServerInfo, source: str,
                    exclude: tuple[str, ...] = ()) -> str | None:
        return self.machine.destination(server, source, exclude)

    def reserving(self, server: ServerInfo, dest: str):
        return self.machine.reserving(server, dest)

    def vnfm_action(self) -> str | None:
        """The action the VNF manager chose for this step's server (None: as planned)."""
        return self.machine.vnfm_action(self.spec)

    def vnfm_host(self, state: str) -> None:
        if self.machine.vnfm is not None:
            self.machine.vnfm.host_state(self.spec.host, state)

    def recovery_wait(self) -> None:
        self.machine.recovery_wait(self.spec)


@dataclass
class _HostResult:
    host: str
    status: str  # done | stopped | failed | lost
    cause: str = ""
    step: str = ""
    host_lost: bool = False


class Machine:
    """Runs ``specs`` against ``cloud``, keeping records in ``store``."""

    def __init__(self, specs: list[StepSpec], cloud: CloudPort, store: Store, *,
                 vnf_manager: VnfManager, upgrade_driver: UpgradeDriver,
                 policy: Policy | None = None, plan_label: str = "",
                 target_versions: Mapping[str, str] | None = None,
                 now: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] | None = None,
                 thread_wrapper: Callable[[Callable[[], Any]], Callable[[], Any]] | None = None,
                 expected_s: Mapping[str, float] | None = None,
                 holds: Holds | None = None,
                 soaks: Mapping[int, float] | None = None,
                 canary: bool = False,
                 vnfm: Exchange | None = None,
                 vnfs: Mapping[str, VnfRules] | None = None,
                 ) -> None:
        self.specs = specs
        self.cloud = cloud
        self.store = store
        self.vnf_manager = vnf_manager
        self.upgrade_driver = upgrade_driver
        self.policy = policy or Policy()
        self.plan_label = plan_label
        self.target_versions = dict(target_versions or {})
        self.now = now
        # Set when the operator aborts: every wait ends at once.
        self.stop = threading.Event()
        self.sleep = sleep or self.stop.wait
        self._cleaning = False
        # The Django shell closes each thread's database connection at its end.
        self.thread_wrapper = thread_wrapper or (lambda fn: fn)
        self.records: dict[str, StepRecord] = {}
        # Server name -> its VNF: a drained member avoids its peers' hosts.
        self.vnf_of = {s.server: s.vnf for s in specs if s.server and s.vnf}
        limit = self.policy.concurrent_migrations
        self._migrations = threading.BoundedSemaphore(limit) if limit > 0 else None
        self._ids: dict[str, str] = {}
        self._ids_lock = threading.Lock()
        # Destinations of moves in flight, counted before Nova shows them.
        self._reserved: dict[str, tuple[str, destinations.Need]] = {}
        self._choosing = threading.Lock()
        self._running_wave: set[str] = set()
        self._capacities: list[Any] | None = None
        self._groups: list[Any] | None = None
        # The watchdog: each step's simulated p95 duration (key -> s), the
        # steps running now (key -> (spec, start)), and those already flagged.
        self.expected_s = dict(expected_s or {})
        self._running: dict[str, tuple[StepSpec, float]] = {}
        self._flagged: set[str] = set()
        self._watchdog_cause = ""
        # Alarms and maintenance windows: no host starts while one holds.
        self.holds = holds
        # Wave index -> the soak before it (s): after the canary, between waves.
        self.soaks = {w: s for w, s in (soaks or {}).items() if s > 0}
        self.canary = canary
        # The VNF managers' exchange (executor/vnfm.py) and each VNF's constraints.
        self.vnfm = vnfm
        self.vnfs = dict(vnfs or {})
        # Set when a step holds for the operator (a VNFM's refusal or silence).
        self._hold_cause = ""

    # ------------------------------------------------------------ running
    def run(self) -> RunResult:
        watcher = threading.Thread(target=self.thread_wrapper(self._watch), daemon=True,
                                   name="exec-watch")
        done = threading.Event()
        self._watch_done = done
        watcher.start()
        try:
            return self._run()
        finally:
            done.set()
            watcher.join(timeout=5)

    def _watch(self) -> None:
        """Look for an abort while steps run (waits and retries then end at once), and
        for steps running past their simulated p95 (the watchdog)."""
        while not self._watch_done.wait(self.policy.control_poll_s):
            self._watchdog()
            try:
                if self.store.wanted() is Wanted.ABORT:
                    self.stop.set()
                    return
            except Exception:  # a database hiccup: the next look may succeed
                continue

    def _watchdog(self) -> None:
        factor = self.policy.watchdog_factor
        if factor <= 0:
            return
        now = self.now()
        for key, (spec, started) in list(self._running.items()):
            p95 = self.expected_s.get(key)
            if not p95 or key in self._flagged or now - started <= factor * p95:
                continue
            self._flagged.add(key)
            message = (f"watchdog: {spec.label} running {now - started:.0f} s, "
                       f"p95 was {p95:.1f} s")
            pausing = self.policy.watchdog_pause
            self.store.emit("watchdog", message + ("; the execution pauses after the steps "
                                                   "in flight" if pausing else ""),
                            step=key, host=spec.host, running_s=round(now - started, 1),
                            p95_s=p95, factor=factor, pause=pausing)
            if pausing and not self._watchdog_cause:
                self._watchdog_cause = message

    def wait(self, seconds: float, interruptible: bool = True) -> None:
        """Sleep; raise ``Interrupted`` when the operator aborted (unless cleaning up)."""
        interruptible = interruptible and not self._cleaning
        if interruptible and self.stop.is_set():
            raise Interrupted()
        if not interruptible and self.sleep == self.stop.wait:
            time.sleep(seconds)
        else:
            self.sleep(seconds)
        if interruptible and self.stop.is_set():
            raise Interrupted()

    def _run(self) -> RunResult:
        self.records = self.store.load()
        for spec in self.specs:
            self.records.setdefault(spec.key, StepRecord(spec.key))
        if self.store.wanted() is Wanted.ABORT:
            return self._stopped()  # aborted while paused or blocked: only clean up
        for wave, hosts in sorted(steps_by_host(self.specs).items()):
            keys = [s.key for steps in hosts.values() for s in steps]
            if all(self.records[k].state in FINISHED for k in keys):
                continue
            if wave in self.soaks and all(self.records[k].state is StepState.PENDING
                                          for k in keys):
                soaked = self._soak(wave, self.soaks[wave])
                if soaked is not None:
                    return soaked
            self.store.emit("wave", f"wave {wave + 1}: {', '.join(hosts)}", wave=wave,
                            hosts=list(hosts))
            self._running_wave = set(hosts)
            self._groups = None  # read again once a wave: new servers may have joined
            try:
                results = self._run_wave(hosts)
            finally:
                self._running_wave = set()
            lost = [r for r in results if r.status == "lost"]
            if lost:
                return RunResult(Outcome.LOST, "another worker took the execution over")
            if self.stop.is_set() or (any(r.status == "stopped" for r in results)
                                      and self.store.wanted() is Wanted.ABORT):
                return self._stopped()
            failed = [r for r in results if r.status == "failed"]
            if failed:
                first = failed[0]
                what = ("the host did not come back; its wave stops" if first.host_lost
                        else "the execution pauses for the operator")
                cause = f"{first.host}: {first.cause} ({what})"
                self.store.emit("blocked", cause, step=first.step, host=first.host)
                return RunResult(Outcome.BLOCKED, cause, first.step)
            if any(r.status == "stopped" for r in results):
                return self._stopped()
        return RunResult(Outcome.DONE)

    def _run_wave(self, hosts: dict[str, list[StepSpec]]) -> list[_HostResult]:
        results: dict[str, _HostResult] = {}

        def work(host: str, steps: list[StepSpec]) -> None:
            try:
                results[host] = self._run_host(host, steps)
            except BaseException as exc:  # a bug must not hang the wave: report it
                results[host] = _HostResult(host, "failed", f"{type(exc).__name__}: {exc}")
                raise

        if len(hosts) == 1:
            ((host, steps),) = hosts.items()
            work(host, steps)
            return [results[host]]
        threads = [threading.Thread(target=self.thread_wrapper(functools.partial(work, h, s)),
                                    name=f"exec-{h}", daemon=True) for h, s in hosts.items()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return [results.get(h, _HostResult(h, "failed", "worker thread died")) for h in hosts]

    def _run_host(self, host: str, steps: list[StepSpec]) -> _HostResult:
        # Before a host goes down (not in the middle of one: finishing it is safer).
        if self.holds is not None and all(self.records[s.key].state is StepState.PENDING
                                          for s in steps):
            try:
                if not self.holds.wait_clear(self.wait, self._may_go_on, f"before {host}"):
                    return _HostResult(host, "stopped")
            except Interrupted:
                return _HostResult(host, "stopped")
        for spec in steps:
            record = self.records[spec.key]
            if record.state in FINISHED:
                continue
            if record.state is StepState.FAILED:
                return _HostResult(host, "failed", record.error, spec.key,
                                   host_lost=bool(record.observed.get("host_lost")))
            if (self._watchdog_cause or self._hold_cause
                    or self.store.wanted() is not Wanted.RUN):
                return _HostResult(host, "stopped")
            if not self.store.begin(self._begin(record)):
                return _HostResult(host, "lost")
            result = self._run_step(spec, record)
            if result is not None:
                return result
        return _HostResult(host, "done")

    def _soak(self, wave: int, seconds: float) -> RunResult | None:
        """Wait ``seconds`` before ``wave`` with the holds watched, then check the cloud's
        health; None to go on. Run again in full after a restart (the wave is untouched)."""
        what = (f"canary soak after wave {wave}" if wave == 1 and self.canary
                else f"soak before wave {wave + 1}")
        # ``holding``: the page shows the soak as the execution's cause while it lasts.
        self.store.emit("soak", f"{what}: {seconds:g} s", wave=wave, soak_s=seconds,
                        holding=True)
        started = self.now()
        try:
            while (left := seconds - (self.now() - started)) > 0:
                if not self._may_go_on():
                    return self._stopped()
                if self.holds is not None and not self.holds.wait_clear(
                        self.wait, self._may_go_on, what):
                    return self._stopped()
                self.wait(min(left, self.holds.poll_s if self.holds else 1.0))
        except Interrupted:
            return self._stopped()
        problems = self._health()
        if problems:
            cause = f"{what}: health check failed: " + "; ".join(problems)
            self.store.emit("blocked", cause, wave=wave, problems=problems)
            return RunResult(Outcome.BLOCKED, cause)
        self.store.emit("soak", f"{what}: done, the cloud is healthy", wave=wave,
                        holding=False)
        return None

    def _health(self) -> list[str]:
        """What is wrong with the plan's hosts now: nova-compute down or disabled,
        a server in ERROR (the pre-check's own tests, at a wave's door)."""
        hosts = set(_hosts(self.specs))
        problems = [f"{s.host}: nova-compute {s.state}/{s.status}"
                    for s in self.cloud.services()
                    if s.binary == "nova-compute" and s.host in hosts
                    and (s.state != "up" or s.status != "enabled")]
        problems += [f"server {s.name} on {s.host} is in ERROR" for s in self.cloud.servers()
                     if s.status.upper() == "ERROR"]
        return sorted(problems)

    def _may_go_on(self) -> bool:
        return (not self._watchdog_cause and not self._hold_cause
                and self.store.wanted() is Wanted.RUN)

    def _begin(self, record: StepRecord) -> StepRecord:
        record.state = StepState.RUNNING
        record.attempts += 1
        record.error = ""
        if record.started is None:
            record.started = self.now()
        return record

    def _run_step(self, spec: StepSpec, record: StepRecord) -> _HostResult | None:
        """Run one step to done or failed; None when done."""
        self._running[spec.key] = (spec, self.now())
        try:
            return self._run_step_once(spec, record)
        finally:
            self._running.pop(spec.key, None)

    def _run_step_once(self, spec: StepSpec, record: StepRecord) -> _HostResult | None:
        self.store.emit("step", f"{spec.label}: running", step=spec.key, host=spec.host,
                        state=str(StepState.RUNNING), attempt=record.attempts)
        handler = handler_for(spec, _Context(self, spec, record))
        retries = 0
        while True:
            try:
                already = handler.observe()
                if not already:
                    problem = handler.precondition()
                    if problem:
                        raise StepFailed(f"pre-condition: {problem}")
                    moving = spec.kind in (StepKind.MOVE, StepKind.DRAIN)
                    guard = (self._slot() if moving and self._migrations is not None
                             else nullcontext())
                    with guard:
                        handler.execute()
                problem = handler.postcondition()
                if problem:
                    raise StepFailed(f"post-condition: {problem}")
            except (Transient, Conflict) as exc:
                retries += 1
                if retries > self.policy.transient_retries:
                    return self._fail(spec, record, f"{exc.message} (after {retries - 1} retries)")
                delay = min(self.policy.backoff_s * 2 ** (retries - 1), self.policy.backoff_max_s)
                if self.stop.is_set() and not self._cleaning:
                    return self._interrupted(spec, record)
                self.store.emit("retry", f"{spec.label}: {exc.message}; retry {retries} in "
                                f"{delay:g} s", step=spec.key, host=spec.host, delay_s=delay)
                try:
                    self.wait(delay)
                except Interrupted:
                    return self._interrupted(spec, record)
                continue
            except Interrupted:
                return self._interrupted(spec, record)
            except HoldForOperator as exc:
                return self._held(spec, record, exc.cause)
            except StepFailed as exc:
                return self._fail(spec, record, exc.cause, host_lost=exc.host_lost)
            except CloudError as exc:
                return self._fail(spec, record, exc.message)
            record.state = StepState.DONE
            record.finished = self.now()
            record.observed = {**handler.observed, "already": already}
            self.store.finish(record)
            self.store.emit("step", f"{spec.label}: done" + (" (already so)" if already else ""),
                            step=spec.key, host=spec.host, state=str(StepState.DONE),
                            already=already)
            return None

    def _interrupted(self, spec: StepSpec, record: StepRecord) -> _HostResult:
        """The operator aborted while the step ran: it goes back to pending, notes kept."""
        record.state = StepState.PENDING
        record.error = ""
        self.store.finish(record)
        self.store.emit("step", f"{spec.label}: interrupted by the abort", step=spec.key,
                        host=spec.host, state=str(StepState.PENDING), interrupted=True)
        return _HostResult(spec.host, "stopped")

    def _held(self, spec: StepSpec, record: StepRecord, cause: str) -> _HostResult:
        """The step waits for the operator: back to pending, the execution pauses."""
        record.state = StepState.PENDING
        record.error = ""
        self.store.finish(record)
        self.store.emit("step", f"{spec.label}: held: {cause}", step=spec.key,
                        host=spec.host, state=str(StepState.PENDING), held=True)
        self._hold_cause = self._hold_cause or cause
        return _HostResult(spec.host, "stopped")

    @contextlib.contextmanager
    def _slot(self) -> Iterator[None]:
        """One of the cloud-wide migration slots; an abort ends the wait for one."""
        assert self._migrations is not None
        while not self._migrations.acquire(timeout=0.1):
            if self.stop.is_set():
                raise Interrupted()
        try:
            yield
        finally:
            self._migrations.release()

    def _fail(self, spec: StepSpec, record: StepRecord, cause: str,
              host_lost: bool = False) -> _HostResult:
        record.state = StepState.FAILED
        record.error = cause
        record.finished = self.now()
        record.observed = {"host_lost": host_lost}
        self.store.finish(record)
        self.store.emit("step", f"{spec.label}: failed: {cause}", step=spec.key, host=spec.host,
                        state=str(StepState.FAILED), error=cause)
        return _HostResult(spec.host, "failed", cause, spec.key, host_lost)

    # ---------------------------------------------------- pause and abort
    def _stopped(self) -> RunResult:
        if self.store.wanted() is Wanted.ABORT:
            self._cleaning = True
            try:
                said = self._leave_hosts_clear()
            finally:
                self._cleaning = False
            return RunResult(Outcome.ABORTED, "aborted by the operator; " + "; ".join(said))
        if self._watchdog_cause:
            return RunResult(Outcome.PAUSED, f"paused by the watchdog: {self._watchdog_cause}")
        if self._hold_cause:
            return RunResult(Outcome.PAUSED, f"paused: {self._hold_cause}")
        return RunResult(Outcome.PAUSED, "paused by the operator")

    def _leave_hosts_clear(self) -> list[str]:
        """After an abort: hosts not yet upgraded go back in service; every host's state said."""
        said = []
        for host, steps in _hosts(self.specs).items():
            by_kind = {s.kind: s for s in steps}
            disabled = self.records[by_kind[StepKind.DISABLE].key].state in (
                StepState.DONE, StepState.RUNNING)
            enable = by_kind[StepKind.ENABLE]
            upgrade = self.records[by_kind[StepKind.UPGRADE].key]
            if self.records[enable.key].state is StepState.DONE:
                left, message = "upgraded", f"{host}: upgraded"
            elif not disabled:
                left, message = "untouched", f"{host}: untouched (not started)"
            elif upgrade.state is StepState.PENDING and not upgrade.data.get("requested"):
                record = self.records[enable.key]
                if self.store.begin(self._begin(record)):
                    self._run_step(enable, record)
                left, message = "enabled", f"{host}: back in service, not upgraded (aborted)"
            else:
                left, message = "disabled", (
                    f"{host}: LEFT DISABLED: its upgrade was "
                    f"{'requested' if upgrade.state is StepState.PENDING else upgrade.state} "
                    "when the execution was aborted")
            self.store.emit("host", message, host=host, left=left)
            said.append(message)
        return said

    # ------------------------------------------------------------ destinations
    def host_status(self) -> dict[str, str | int]:
        """Per host of the plan: upgraded, ``now`` (its wave runs), or its later wave."""
        status: dict[str, str | int] = {}
        for host, steps in _hosts(self.specs).items():
            enable = next(s for s in steps if s.kind is StepKind.ENABLE)
            if self.records.get(enable.key, StepRecord(enable.key)).state in FINISHED:
                status[host] = destinations.UPGRADED
            elif host in self._running_wave:
                status[host] = "now"
            else:
                status[host] = steps[0].wave
        return status

    def destination(self, server: ServerInfo, source: str,
                    exclude: tuple[str, ...] = ()) -> str | None:
        """The plan's rule applied to the cloud now (executor.destinations)."""
        with self._choosing:
            if self._capacities is None:
                self._capacities = self.cloud.capacities()
            servers = self.cloud.servers()
            reserved: dict[str, destinations.Need] = {}
            host_of = {s.id: s.host for s in servers}
            for sid, (dest, need) in self._reserved.items():
                if host_of.get(sid) == dest:
                    continue  # Nova counts it there already
                prior = reserved.get(dest, destinations.Need(0, 0, 0))
                reserved[dest] = destinations.Need(prior.vcpus + need.vcpus,
                                                   prior.ram_mib + need.ram_mib,
                                                   prior.disk_gib + need.disk_gib)
                host_of[sid] = dest
            hosts = destinations.candidates(self.cloud.services(), self._capacities, servers,
                                            self.host_status(), reserved)
            vnf = self.vnf_of.get(server.name, "")
            peers = [s.id for s in servers if vnf and self.vnf_of.get(s.name) == vnf]
            if self._groups is None:
                self._groups = self.cloud.server_groups()
            return destinations.choose(server, source, hosts,
                                       groups=self._groups, host_of=host_of,
                                       vnf_peers=peers, keep_az=self.policy.keep_az,
                                       exclude=exclude)

    @contextlib.contextmanager
    def reserving(self, server: ServerInfo, dest: str) -> Iterator[None]:
        with self._choosing:
            self._reserved[server.id] = (dest, destinations.need_of(server))
        try:
            yield
        finally:
            with self._choosing:
                self._reserved.pop(server.id, None)

    # ------------------------------------------------------------ VNF managers
    def vnfm_action(self, spec: StepSpec) -> str | None:
        """The VNF manager's choice for ``spec``'s server; the first step of a host to ask
        notifies every project with instances the plan moves off it (executor/vnfm.py)."""
        if self.vnfm is None or not spec.server:
            return None
        chosen = self.vnfm.actions(spec.host, lambda: self._instances(spec.host), self.wait)
        return chosen.get(self.server_id(spec.server))

    def _instances(self, host: str) -> dict[str, list[Instance]]:
        """Project -> the VNF members on ``host`` that the plan moves or switches over, still
        there (other servers go as planned, unasked, as the simulator models it)."""
        out: dict[str, list[Instance]] = {}
        for spec in self.specs:
            if (spec.host != host or not spec.vnf
                    or spec.kind not in (StepKind.SWITCHOVER, StepKind.MOVE)):
                continue
            server = self.cloud.server(self.server_id(spec.server))
            if server.host != host:
                continue
            rules = self.vnfs.get(spec.vnf, VnfRules())
            out.setdefault(server.project_id, []).append(Instance(
                server.id, spec.server, spec.vnf, spec.action,
                allowed_actions(spec.action, spec.vnf, rules.migration_type)))
        return out

    def recovery_wait(self, spec: StepSpec) -> None:
        """A VNF's member does not go before ``recovery_time_s`` after another came back
        (its move done, or its restore on its upgraded host); the wait ends on abort."""
        rules = self.vnfs.get(spec.vnf)
        if rules is None or rules.recovery_time_s <= 0:
            return
        back = [(self.records[s.key].finished or 0.0, s.server) for s in self.specs
                if s.vnf == spec.vnf and s.server != spec.server and _brings_back(s)
                and self.records[s.key].state is StepState.DONE]
        if not back:
            return
        since, member = max(back)
        until = since + rules.recovery_time_s
        if until <= self.now():
            return
        self.store.emit("recovery", f"recovery_time: {spec.server} waits "
                        f"{until - self.now():.1f} s: {member} of {spec.vnf} came back "
                        f"{self.now() - since:.1f} s ago (recovery_time "
                        f"{rules.recovery_time_s:g} s)", step=spec.key, host=spec.host,
                        vnf=spec.vnf, member=member, back_at=since, until=until)
        while (left := until - self.now()) > 0:
            self.wait(min(left, 1.0))

    # ------------------------------------------------------------ helpers
    def server_id(self, name: str) -> str:
        """Nova's id of the server the plan names (names are unique in the inventory)."""
        with self._ids_lock:
            if name not in self._ids:
                seen: dict[str, list[str]] = {}
                for server in self.cloud.servers():
                    seen.setdefault(server.name, []).append(server.id)
                self._ids = {n: ids[0] for n, ids in seen.items() if len(ids) == 1}
                if name not in self._ids:
                    count = len(seen.get(name, []))
                    raise StepFailed(f"server {name!r}: " + (
                        "not found in the cloud" if not count else f"{count} servers bear it"))
            return self._ids[name]


def _brings_back(spec: StepSpec) -> bool:
    """The step after which its server serves again: its restore, or its migration."""
    return spec.kind is StepKind.RESTORE or (
        spec.kind is StepKind.MOVE and spec.action != ActionKind.STOP_START)


def _hosts(specs: list[StepSpec]) -> dict[str, list[StepSpec]]:
    out: dict[str, list[StepSpec]] = {}
    for spec in specs:
        out.setdefault(spec.host, []).append(spec)
    return out
