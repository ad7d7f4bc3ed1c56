"""One simulated execution of a plan: ``simulate(snapshot, plan, params, seed) -> RunResult``.

Waves run in order and the hosts of a wave in parallel. Per host: disable
(the scheduler stops choosing it at once), VNF switchovers, then its moves
through ``max_concurrent_live_migrations`` workers, upgrade, reboot, verify,
enable, and start again what was stopped or parked there. Every duration is
drawn from the run's one ``random.Random(seed)``; SimPy's event order is
deterministic, so a seed reproduces a run exactly. With ``common_numbers``
each draw comes instead from a stream of its own, keyed by the seed, what is
drawn and for whom (``cold/<server>``, ``reboot/<host>``...): two plans run
with the same seed then draw the same durations for the same server or
host, whatever else they do and in whatever order (common random numbers:
the difference of the two runs is the plans', not the draws').

Only hosts and move workers are SimPy processes; migrations
(simulator.moves), switchovers and restarts are callbacks on timeouts (far
cheaper per server), and the copies themselves advance in closed form
(simulator.network).
"""

from __future__ import annotations

import bisect
import gc
import random
from collections import deque
from collections.abc import Generator
from typing import Any

import simpy

from domain.plan import ActionKind, HostStep, Plan
from domain.snapshot import Snapshot
from simulator.availability import Availability
from simulator.distributions import Distribution
from simulator.moves import Migrations
from simulator.params import SimParams
from simulator.placement import Placement
from simulator.records import (
    DISABLE,
    DRAIN,
    ENABLE,
    FAILOVER,
    REBOOT,
    RECOVERY_WAIT,
    ROLLBACK,
    SOAK,
    START,
    STOP,
    SWITCHOVER,
    UPGRADE,
    UPGRADE_FAILED,
    VERIFY,
    VNFM_WAIT,
    WAVE,
    WINDOW_WAIT,
    Event,
    Failure,
    Headroom,
    RunResult,
)


def simulate(
    snapshot: Snapshot, plan: Plan, params: SimParams | None = None, seed: int = 0,
    common_numbers: bool = False,
) -> RunResult:
    """Execute ``plan`` on ``snapshot`` in simulated time; the same seed gives the same result."""
    # A run allocates many small long-lived objects (records, events): the
    # cyclic garbage collector would rescan them again and again for nothing.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _Run(snapshot, plan, params or SimParams(), seed, common_numbers).run()
    finally:
        if enabled:
            gc.enable()


def _check_plan(snapshot: Snapshot, plan: Plan) -> None:
    """Refuse a plan that names what the inventory does not have (the validator judges the rest)."""
    hosts = snapshot.host_by_name
    servers = snapshot.server_by_name
    seen: set[str] = set()
    for _, step in plan.host_steps():
        if step.host not in hosts:
            raise ValueError(f"the plan upgrades host {step.host!r}, which is not in the inventory")
        if step.host in seen:
            raise ValueError(f"the plan upgrades host {step.host!r} twice")
        seen.add(step.host)
        for action in step.actions:
            if action.server not in servers:
                raise ValueError(f"the plan moves server {action.server!r}, which is not in the inventory")
            if action.target is not None and action.target not in hosts:
                raise ValueError(f"the plan sends {action.server!r} to unknown host {action.target!r}")


class _Run:
    def __init__(
        self, snapshot: Snapshot, plan: Plan, params: SimParams, seed: int, common_numbers: bool = False
    ) -> None:
        _check_plan(snapshot, plan)
        self.snapshot = snapshot
        self.plan = plan
        self.params = params
        self.seed = seed
        self.rng = random.Random(seed)
        # Per key, its own stream (common random numbers), or None: the run's one stream.
        self.streams: dict[str, random.Random] | None = {} if common_numbers else None
        self.env = simpy.Environment()
        self.events: list[Event] = []
        self.failures: list[Failure] = []
        self.avail = Availability(snapshot, self.events)
        self.headroom: list[Headroom] = []
        self.placement = Placement(snapshot, keep_az=bool(plan.options.get("keep_az", True)))
        self.placement.on_change = self._sample_headroom
        self._sample_headroom()
        self.servers = snapshot.server_by_name
        self.vnf_name = {s: vnf.name for s, vnf in snapshot.vnf_of_server.items()}
        self.vnfs = {vnf.name: vnf for vnf in snapshot.vnfs}
        self.up = {s.name: s.status == "ACTIVE" for s in snapshot.servers}
        self.down_since: dict[str, float] = {}
        self.downtime = dict.fromkeys(self.up, 0.0)
        self.on_host: dict[str, set[str]] = {h.name: set() for h in snapshot.hosts}
        for server in snapshot.servers:
            self.on_host.setdefault(server.host, set()).add(server.name)
        self.to_start: dict[str, list[str]] = {h: [] for h in self.on_host}
        self.abandoned: set[str] = set()
        self.halted = False
        self.caught: list[str] = []
        self.skipped: list[str] = []
        self.hosts_upgraded = 0
        self.rolled_back: list[str] = []
        limit = int(plan.options.get("concurrent_migrations") or 0)
        self.migrations = Migrations(self, snapshot, limit)
        # When a member of each VNF last came back (its recovery_time_s runs from there).
        self.back_at: dict[str, float] = {}
        self.window_ends = [end for _, end in params.windows]
        self.window_waits: dict[int, float] = {}  # window index -> earliest wait for it
        self.windows_used: set[int] = set()
        self.window_overrun = 0.0
        self.vnfm_wait = 0.0
        self.recovery_wait = 0.0

    # --- bookkeeping

    def stream(self, key: str) -> random.Random:
        """The stream a draw for ``key`` comes from (the run's one without common numbers)."""
        streams = self.streams
        if streams is None:
            return self.rng
        rng = streams.get(key)
        if rng is None:
            # Seeded by a string: the same on any machine and process (no hash()).
            rng = streams[key] = random.Random(f"{self.seed}/{key}")
        return rng

    def draw(self, dist: Distribution, key: str = "") -> float:
        return dist.sample(self.rng if self.streams is None else self.stream(key))

    def _sample_headroom(self) -> None:
        now = self.env._now  # called on every claim: skip the property
        ram, cpu = self.placement.free_shares()
        headroom = self.headroom
        # Changes at one instant collapse into one sample, except the cloud's
        # state before the plan starts (the first sample), which is kept.
        if len(headroom) > 1 and headroom[-1].time == now:
            headroom[-1] = Headroom(now, ram, cpu)
        else:
            headroom.append(Headroom(now, ram, cpu))

    def event(self, start: float, host: str, server: str, kind: str, detail: str = "", downtime: float = 0.0) -> None:
        self.events.append(
            Event(start, self.env.now, host, server, self.vnf_name.get(server, ""), kind, detail, downtime)
        )

    def down(self, server: str, failover: bool) -> None:
        """``server`` stops serving; an active member lost for long makes its VNF fail over."""
        if not self.up[server]:
            return
        now = self.env.now
        self.up[server] = False
        self.down_since[server] = now
        if failover and self.avail.is_active(server):
            spare = self.avail.spare_for(server)
            if spare is not None:
                self._switch(server, spare, FAILOVER)
        self.avail.down(server, now)

    def bring_up(self, server: str) -> None:
        if self.up[server]:
            return
        now = self.env.now
        self.up[server] = True
        self.downtime[server] += now - self.down_since.pop(server)
        self.avail.up(server, now)
        vnf = self.vnf_name.get(server)
        if vnf is not None:
            self.back_at[vnf] = now

    def _switch_s(self, server: str) -> float:
        vnf = self.vnfs.get(self.vnf_name.get(server, ""))
        if vnf is not None and vnf.switchover_s > 0:
            return vnf.switchover_s * self.draw(self.params.switchover_scale, f"switch/{server}")
        return self.draw(self.params.switchover_s, f"switch/{server}")

    def _switch(self, server: str, spare: str | None, kind: str) -> simpy.Event:
        """The VNF hands the service from ``server`` to ``spare``: an outage while it lasts."""
        start = self.env.now
        self.avail.switch_begin(server, spare, start)
        timer = self.env.timeout(self._switch_s(server))

        def end(_ev: Any) -> None:
            self.avail.switch_end(server, self.env.now)
            self.event(start, self.placement.host_of[server], server, kind, f"to {spare}")

        timer.callbacks.append(end)
        return timer

    # --- the plan

    def run(self) -> RunResult:
        self.plan_end_s: float | None = None
        self.env.process(self._plan())
        self.env.run()
        now = self.env.now
        self.avail.finish(now)
        for server, since in self.down_since.items():
            self.downtime[server] += now - since
        self.events.sort(key=lambda e: (e.time, e.end, e.host, e.server, e.kind))
        avail = self.avail.vnfs
        moves = self.migrations
        return RunResult(
            seed=self.seed,
            # The plan's duration is the end of its last wave, whatever timers
            # (a failed host's late events) the clock ran on after it.
            duration_s=now if self.plan_end_s is None else self.plan_end_s,
            events=self.events,
            server_downtime_s=self.downtime,
            vnf_outage_s={n: v.outage for n, v in avail.items()},
            vnf_degraded_s={n: v.degraded for n, v in avail.items()},
            vnf_worst_event_outage_s={n: v.worst for n, v in avail.items()},
            sla_violations=self.avail.violations,
            capacity_headroom=self.headroom,
            failures=self.failures,
            migrations=moves.live_done + moves.cold_done,
            live_migrations=moves.live_done,
            cold_migrations=moves.cold_done,
            migrated_mib=moves.migrated_mib,
            servers_moved_twice=sorted(s for s, n in moves.moves.items() if n > 1),
            most_moves_in_flight=moves.most_in_flight,
            servers_caught_by_upgrade=self.caught,
            actions_skipped=self.skipped,
            halted=self.halted,
            hosts_upgraded=self.hosts_upgraded,
            hosts_rolled_back=self.rolled_back,
            windows_used=len(self.windows_used),
            window_wait_s=sum(self.params.windows[i][0] - since
                              for i, since in self.window_waits.items()),
            window_overrun_s=self.window_overrun,
            vnfm_wait_s=self.vnfm_wait,
            recovery_wait_s=self.recovery_wait,
        )

    def _plan(self) -> Generator[simpy.Event, Any, None]:
        for index, wave in enumerate(self.plan.waves):
            if self.halted:
                break
            soak = self.params.canary_soak_s if index == 1 else self.params.soak_s
            if index > 0 and soak > 0:
                soaked = self.env.now
                yield self.env.timeout(soak)
                self.event(soaked, "", "", SOAK, f"soak before wave {index + 1}")
            start = self.env.now
            yield self.env.all_of([self.env.process(self._host(step)) for step in wave.hosts])
            self.event(start, "", "", WAVE, f"wave {index + 1}: {len(wave.hosts)} hosts")
        self.plan_end_s = self.env.now

    def _host(self, step: HostStep) -> Generator[simpy.Event, Any, None]:
        window = yield from self._window(step.host)
        yield from self._host_steps(step)
        if window is not None:
            self.window_overrun = max(self.window_overrun,
                                      self.env.now - self.params.windows[window][1])

    def _window(self, host: str) -> Generator[simpy.Event, Any, int | None]:
        """Wait until a maintenance window is open (the executor's hold before a host);
        the window's index, None without windows or past the last one given."""
        windows, now = self.params.windows, self.env.now
        if not windows:
            return None
        index = bisect.bisect_right(self.window_ends, now)
        if index == len(windows):
            return None  # beyond the schedule's horizon: as if open
        opens = windows[index][0]
        if opens > now:
            self.window_waits[index] = min(self.window_waits.get(index, now), now)
            yield self.env.timeout(opens - now)
            self.event(now, host, "", WINDOW_WAIT, f"window {len(self.windows_used) + 1} opens")
        self.windows_used.add(index)
        return index

    def _vnfs_here(self, host: str) -> list[Any]:
        names = {self.vnf_name[s] for s in self.on_host[host] if s in self.vnf_name}
        return [self.vnfs[n] for n in sorted(names)]

    def _vnfm_reply(self, host: str) -> Generator[simpy.Event, Any, None]:
        """The VNF managers of the VNFs with members here are told; the host goes on at
        the last reply, each bounded by its deadline (lead time, else the policy's)."""
        params = self.params
        waits = []
        for vnf in self._vnfs_here(host):
            if not (params.vnfm or vnf.lead_time_s > 0):
                continue
            deadline = vnf.lead_time_s if vnf.lead_time_s > 0 else params.vnfm_reply_deadline_s
            reply = self.draw(params.vnfm_reply_s, f"vnfm/{host}/{vnf.name}")
            waits.append((min(reply, deadline), vnf.name, reply > deadline))
        if not waits:
            return
        wait, _, _ = max(waits)
        start = self.env.now
        yield self.env.timeout(wait)
        self.vnfm_wait += wait
        late = [name for _, name, timed_out in waits if timed_out]
        self.event(start, host, "", VNFM_WAIT, ", ".join(n for _, n, _ in waits)
                   + (f"; no reply by the deadline: {', '.join(late)}" if late else ""))

    def _recovery(self, host: str) -> Generator[simpy.Event, Any, None]:
        """No member of a VNF goes before its recovery_time_s after the last one came back."""
        start = self.env.now
        while True:
            ready = max((self.back_at[v.name] + v.recovery_time_s
                         for v in self._vnfs_here(host)
                         if v.recovery_time_s > 0 and v.name in self.back_at), default=0.0)
            if ready <= self.env.now:
                break
            yield self.env.timeout(ready - self.env.now)
        if self.env.now > start:
            self.recovery_wait += self.env.now - start
            self.event(start, host, "", RECOVERY_WAIT, ", ".join(
                v.name for v in self._vnfs_here(host) if v.recovery_time_s > 0))

    def _host_steps(self, step: HostStep) -> Generator[simpy.Event, Any, None]:
        env, params, host = self.env, self.params, step.host
        start = env.now
        # Nova stops scheduling to a host as soon as its service is disabled.
        self.placement.set_in_service(host, False)
        yield env.timeout(self.draw(params.disable_s, f"disable/{host}"))
        self.event(start, host, "", DISABLE)
        yield from self._vnfm_reply(host)
        yield from self._recovery(host)

        switchovers = [self._park(a.server, host) for a in step.actions if a.kind == ActionKind.SWITCHOVER]
        if switchovers:
            yield env.all_of(switchovers)
        waits = [self.stop(a.server, host) for a in step.actions if a.kind == ActionKind.STOP_START]
        queue = deque(a for a in step.actions if a.kind in (ActionKind.LIVE_MIGRATE, ActionKind.COLD_MIGRATE))
        workers = min(params.max_concurrent_live_migrations, len(queue))
        waits.extend(self.migrations.worker(queue, host) for _ in range(workers))
        if waits:
            yield env.all_of(waits)

        if host in self.abandoned:
            yield from self._back_in_service(host, ROLLBACK, "migration failed: host left on its release")
            self.rolled_back.append(host)
            return
        # Whatever still runs here has nowhere to go: down for the upgrade.
        listed = {a.server for a in step.actions}
        for server in sorted(self.on_host[host]):
            if self.up[server]:
                self.down(server, failover=True)
                self.to_start[host].append(server)
                if server not in listed:
                    self.caught.append(server)
        upgraded = yield from self._upgrade(host)
        start = env.now
        yield env.timeout(self.draw(params.reboot_s, f"reboot/{host}"))
        self.event(start, host, "", REBOOT)
        start = env.now
        yield env.timeout(self.draw(params.verify_s, f"verify/{host}"))
        self.event(start, host, "", VERIFY)
        if upgraded:
            self.placement.upgraded(host, self.snapshot, self.snapshot.target)
        yield from self._back_in_service(host, ENABLE, "")
        if upgraded:
            self.hosts_upgraded += 1
        else:
            self.rolled_back.append(host)

    def _upgrade(self, host: str) -> Generator[simpy.Event, Any, bool]:
        env, params = self.env, self.params
        for attempt in range(params.upgrade_retries + 1):
            start = env.now
            yield env.timeout(self.draw(params.upgrade_s, f"upgrade/{host}"))
            if self.stream(f"upgrade-fails/{host}").random() >= params.upgrade_failure_p:
                self.event(start, host, "", UPGRADE, f"attempt {attempt + 1}")
                return True
            self.event(start, host, "", UPGRADE_FAILED, f"attempt {attempt + 1}")
            last = attempt == params.upgrade_retries
            action = params.upgrade_failure_action if last else "retry"
            self.failures.append(Failure(env.now, host, "", "upgrade", "upgrade failed", action))
        start = env.now
        yield env.timeout(self.draw(params.rollback_s, f"rollback/{host}"))
        self.event(start, host, "", ROLLBACK, "upgrade failed: back to the previous release")
        if params.upgrade_failure_action == "halt":
            self.halted = True
        return False

    def _back_in_service(self, host: str, kind: str, detail: str) -> Generator[simpy.Event, Any, None]:
        """Enable the host, then start what was stopped or parked on it."""
        env = self.env
        start = env.now
        yield env.timeout(self.draw(self.params.enable_s, f"enable/{host}"))
        self.placement.set_in_service(host, True)
        self.event(start, host, "", kind, detail)
        waits = []
        for server in self.to_start[host]:
            waits.append(self._start(server, host))
        self.to_start[host] = []
        if waits:
            yield env.all_of(waits)

    def _start(self, server: str, host: str) -> simpy.Event:
        start = self.env.now
        timer = self.env.timeout(self.draw(self.params.start_s, f"start/{server}"))

        def started(_ev: Any) -> None:
            self.bring_up(server)
            self.event(start, host, server, START)

        timer.callbacks.append(started)
        return timer

    def _park(self, server: str, host: str) -> simpy.Event:
        """The VNF's HA takes a member out: a switchover if it was the active one, else a drain."""
        if not self.up[server]:
            return self.env.timeout(0)
        self.to_start[host].append(server)
        if self.avail.is_active(server):
            timer = self._switch(server, self.avail.spare_for(server), SWITCHOVER)
            self.down(server, failover=False)
            return timer
        start = self.env.now
        self.down(server, failover=False)
        timer = self.env.timeout(self._switch_s(server))
        timer.callbacks.append(lambda _ev: self.event(start, host, server, DRAIN))
        return timer

    def stop(self, server: str, host: str) -> simpy.Event:
        if not self.up[server]:
            return self.env.timeout(0)
        start = self.env.now
        self.down(server, failover=True)
        self.to_start[host].append(server)
        timer = self.env.timeout(self.draw(self.params.stop_s, f"stop/{server}"))
        timer.callbacks.append(lambda _ev: self.event(start, host, server, STOP))
        return timer
