"""Moving servers off a host: live and cold migrations, and the failure policy.

``Migrations`` owns everything about moves in one run: the network and its
links, the migration specs, the counts, and the cloud-wide limit of moves in
flight (the plan's ``concurrent_migrations``, one shared resource as the
executor's semaphore). It talks to the run through ``RunContext``, a small
protocol, so it never imports the engine.

A host's move workers take its LIVE_MIGRATE / COLD_MIGRATE actions in plan
order, at most ``max_concurrent_live_migrations`` at a time (cold migrations
included: one pool of slots per source host). A migration is a chain of
callbacks on timeouts and on its flow's milestones, not a SimPy process: far
cheaper per server.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, Protocol

import simpy

from domain.plan import ActionKind
from domain.snapshot import Server, Snapshot
from simulator.distributions import Distribution
from simulator.migration import (
    EV_CONVERGED,
    EV_DONE,
    EV_PAUSED,
    EV_POSTCOPY,
    MigrationSpec,
    PreCopy,
)
from simulator.network import Flow, Link, Network, Transfer
from simulator.params import SimParams
from simulator.placement import Placement
from simulator.records import COLD_MIGRATE, LIVE_MIGRATE, MIGRATION_FAILED, Failure

_FAILURE_REASONS = {
    "failed": "migration failed",
    "aborted": "completion timeout reached: aborted",
    "stuck": "never converges (no completion timeout)",
}


Then = Callable[[bool, str], None]


class RunContext(Protocol):
    """What a run offers its migrations: clock, randomness, placement, server states."""

    env: simpy.Environment
    params: SimParams
    rng: random.Random
    placement: Placement
    servers: Mapping[str, Server]
    up: dict[str, bool]
    on_host: dict[str, set[str]]
    to_start: dict[str, list[str]]
    abandoned: set[str]
    failures: list[Failure]
    skipped: list[str]

    def draw(self, dist: Distribution, key: str = "") -> float: ...

    def stream(self, key: str) -> random.Random: ...

    def event(
        self, start: float, host: str, server: str, kind: str, detail: str = "", downtime: float = 0.0
    ) -> None: ...

    def down(self, server: str, failover: bool) -> None: ...

    def bring_up(self, server: str) -> None: ...

    def stop(self, server: str, host: str) -> simpy.Event: ...


class Migrations:
    """The moves of one simulated run, and what they sent."""

    def __init__(self, run: RunContext, snapshot: Snapshot, concurrent_limit: int = 0) -> None:
        params = run.params
        self.run = run
        self.env = run.env
        self.params = params
        self.net = Network(run.env)
        factor = params.bandwidth_factor
        self.nic = {
            h.name: Link(h.name, (h.nic_bandwidth_mibps or params.default_nic_bandwidth_mibps) * factor)
            for h in snapshot.hosts
        }
        fabric = params.fabric_bandwidth_mibps
        self.fabric = Link("fabric", fabric) if fabric else None
        self.live_cap = params.migration_bandwidth_cap_mibps or math.inf
        # The cloud-wide limit of moves in flight, as the executor holds it:
        # one slot for each live or cold migration request, retries included.
        self.slots = simpy.Resource(run.env, concurrent_limit) if concurrent_limit > 0 else None
        self.in_flight = 0
        self.most_in_flight = 0
        self.moves: dict[str, int] = {}
        self.live_done = 0
        self.cold_done = 0
        self.migrated_mib = 0.0
        self._schedules: dict[tuple[int, int], MigrationSpec] = {}  # by (flavor RAM, disk)
        self._specs: dict[str, MigrationSpec] = {}  # by server

    # --- a host's move slots

    def worker(self, queue: deque[Any], host: str) -> simpy.Event:
        """One of a host's move slots: takes actions off ``queue`` until it is empty.

        The returned event fires when this slot has nothing left to do.
        """
        run, params = self.run, self.params
        finished = self.env.event()

        def record(server: str, kind: str, reason: str, action: str) -> None:
            run.failures.append(Failure(self.env.now, host, server, kind, reason, action))

        def next_action(*_: Any) -> None:
            while queue and host not in run.abandoned:
                action = queue.popleft()
                server = action.server
                if run.placement.host_of.get(server) != host:
                    run.skipped.append(server)  # not where the plan expected it
                    continue
                if action.kind == ActionKind.COLD_MIGRATE or not run.up[server]:
                    # Nova cannot live-migrate a stopped server: it is cold-migrated.
                    self.cold(server, host, action.target, after_cold(server))
                    return
                info = run.servers[server]
                if not info.live_migratable:
                    # Nova refuses at once (SR-IOV port, pinned CPUs, ...): no retry helps.
                    reason = (
                        f"cannot live-migrate: {info.not_migratable_reason or 'not live-migratable'}"
                    )
                    run.event(self.env.now, host, server, MIGRATION_FAILED, reason)
                    record(server, "live-migration", reason, params.migration_fallback)
                    fall_back(server)
                    return
                attempt(server, action.target, 0)
                return
            if not finished.triggered:
                finished.succeed()

        def after_cold(server: str) -> Then:
            def then(ok: bool, reason: str) -> None:
                if not ok:
                    record(server, "cold-migration", reason, "stop")
                next_action()

            return then

        def attempt(server: str, target: str | None, tried: int) -> None:
            def then(ok: bool, reason: str) -> None:
                if ok:
                    next_action()
                    return
                last = tried == params.migration_retries
                record(server, "live-migration", reason, params.migration_fallback if last else "retry")
                if last:
                    fall_back(server)
                else:
                    attempt(server, target, tried + 1)

            self.live(server, host, target, then)

        def fall_back(server: str) -> None:
            policy = params.migration_fallback
            if policy == "cold-migrate":
                self.cold(server, host, None, after_cold(server))
            elif policy == "stop":
                run.stop(server, host).callbacks.append(next_action)
            else:  # rollback-host: this host is left on its release
                run.abandoned.add(host)
                next_action()

        next_action()
        return finished

    # --- one move

    def _in_slot(self, begin: Callable[[Then], None], then: Then) -> None:
        """Run ``begin`` holding a cloud-wide slot; free it before ``then`` runs."""
        slots = self.slots

        def granted(request: Any) -> None:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)

            def done(ok: bool, reason: str) -> None:
                self.in_flight -= 1
                if slots is not None:
                    slots.release(request)
                then(ok, reason)

            begin(done)

        if slots is None:
            granted(None)
        else:
            slots.request().callbacks.append(granted)

    def destination(
        self, server: str, source: str, target: str | None, live: bool
    ) -> tuple[str | None, str]:
        placement = self.run.placement
        if target is None:
            chosen = placement.pick(server, source, live)
            return chosen, "" if chosen else "no valid host"
        if placement.passes(server, source, target, live):
            return target, ""
        return None, f"target {target} cannot take it now"

    def spec(self, server: str) -> MigrationSpec:
        spec = self._specs.get(server)
        if spec is not None:
            return spec
        info = self.run.servers[server]
        p = self.params
        disk = info.disk_gib if p.block_migration else 0
        key = (info.ram_mib, disk)
        base = self._schedules.get(key)
        if base is None:
            base = MigrationSpec.for_nova(
                float(info.ram_mib),
                0.0,
                0.0,
                float(info.ram_mib),
                (float(disk),) if disk else (),
                p.live_migration_downtime_ms,
                p.downtime_steps,
                p.downtime_delay_s,
                p.completion_timeout_s_per_gib,
                p.timeout_action,
                p.permit_post_copy,
                p.permit_auto_converge,
            )
            self._schedules[key] = base
        spec = MigrationSpec(
            memory_mib=float(info.memory_used_mib or info.ram_mib),
            dirty_rate_mibps=info.dirty_rate_mibps,
            working_set_mib=float(info.working_set_mib),
            disk_mib=base.disk_mib,
            schedule=base.schedule,
            timeout_s=base.timeout_s,
            timeout_action=base.timeout_action,
            permit_post_copy=base.permit_post_copy,
            auto_converge=base.auto_converge,
            convergence=p.migration_convergence,
            check_interval_s=p.migration_check_interval_s,
            ram_mib=float(info.ram_mib),
            post_copy_switch=p.post_copy_switch,
        )
        self._specs[server] = spec
        return spec

    def links(self, source: str, target: str) -> tuple[Link, ...]:
        nics = (self.nic[source], self.nic[target])
        return nics + (self.fabric,) if self.fabric is not None else nics

    def live(self, server: str, source: str, target: str | None, then: Then) -> None:
        """Live-migrate ``server``, then call ``then(succeeded, reason)``."""
        self._in_slot(lambda done: self._live(server, source, target, done), then)

    def _live(self, server: str, source: str, target: str | None, then: Then) -> None:
        run, env, params = self.run, self.env, self.params
        start = env.now
        spec = self.spec(server)
        fails = run.stream(f"live-fails/{server}")
        if fails.random() < params.live_migration_failure_p:
            spec = replace(spec, fail_at_mib=fails.random() * spec.memory_mib)
        overhead = env.timeout(run.draw(params.migration_overhead_s, f"live/{server}"))

        def begin(_ev: Any) -> None:
            dest, reason = self.destination(server, source, target, live=True)
            if dest is None:
                run.event(start, source, server, MIGRATION_FAILED, reason)
                then(False, reason)
                return
            run.placement.claim(server, dest)
            model = PreCopy(spec)
            pause = [0.0, 0.0]  # when the guest stopped serving; post-copy resume time (0: none)

            def heard(flow: Flow, event: str) -> None:
                model = flow.model  # the network may have swapped in the state it probed
                assert isinstance(model, PreCopy)
                now = env.now
                if event in (EV_CONVERGED, EV_PAUSED):
                    pause[0] = now
                    run.down(server, failover=False)
                elif event == EV_POSTCOPY:
                    # The guest runs on the destination at once; only its resume is lost.
                    pause[0] = now
                    pause[1] = run.draw(params.resume_s, f"resume/{server}")
                    run.down(server, failover=False)
                    env.timeout(pause[1]).callbacks.append(lambda _e: run.bring_up(server))
                elif event == EV_DONE:
                    self.migrated_mib += model.total_sent
                    self.moved(server, source, dest)
                    self.live_done += 1
                    rounds = f"to {dest}, {model.rnd + 1} rounds"
                    if pause[1]:
                        run.event(start, source, server, LIVE_MIGRATE, rounds + ", post-copy", pause[1])
                        then(True, "")
                        return

                    def resumed(_e: Any) -> None:
                        run.bring_up(server)
                        run.event(start, source, server, LIVE_MIGRATE, rounds, env.now - pause[0])
                        then(True, "")

                    env.timeout(run.draw(params.resume_s, f"resume/{server}")).callbacks.append(resumed)
                else:
                    self.migrated_mib += model.total_sent
                    run.placement.unclaim(server, dest)
                    reason = _FAILURE_REASONS.get(event, event)
                    run.event(start, source, server, MIGRATION_FAILED, f"to {dest}: {reason}")
                    then(False, reason)

            # Nova's completion timeout ends a migration that never converges;
            # without one (timeout 0), the operator gives up after a while.
            limit = math.inf if spec.timeout_s > 0 else env.now + params.stuck_migration_limit_s
            flow = Flow(model, self.links(source, dest), heard, self.live_cap, limit)
            self.net.start(flow)

        overhead.callbacks.append(begin)

    def moved(self, server: str, source: str, dest: str) -> None:
        run = self.run
        run.placement.moved(server, source, dest)
        run.on_host[source].discard(server)
        run.on_host[dest].add(server)
        self.moves[server] = self.moves.get(server, 0) + 1

    def cold(self, server: str, source: str, target: str | None, then: Then) -> None:
        """Cold-migrate: down while its disk and RAM are copied; then ``then(succeeded, reason)``."""
        self._in_slot(lambda done: self._cold(server, source, target, done), then)

    def _cold(self, server: str, source: str, target: str | None, then: Then) -> None:
        run, env, params = self.run, self.env, self.params
        start = env.now
        was_up = run.up[server]
        run.down(server, failover=True)
        dest, reason = self.destination(server, source, target, live=False)
        if dest is None:
            if was_up:
                run.to_start[source].append(server)
            run.event(start, source, server, MIGRATION_FAILED, f"cold: {reason}")
            then(False, reason)
            return
        run.placement.claim(server, dest)
        info = run.servers[server]
        size = info.ram_mib + (info.disk_gib * 1024.0 if params.block_migration else 0.0)
        fails = run.stream(f"cold-fails/{server}").random() < params.cold_migration_failure_p
        overhead = env.timeout(run.draw(params.cold_migration_overhead_s, f"cold/{server}"))

        def copied(flow: Flow, event: str) -> None:
            self.migrated_mib += size
            if fails or event != EV_DONE:
                run.placement.unclaim(server, dest)
                if was_up:
                    run.to_start[source].append(server)
                run.event(start, source, server, MIGRATION_FAILED, f"cold to {dest}: failed")
                then(False, "cold migration failed")
                return
            self.moved(server, source, dest)
            self.cold_done += 1
            if was_up:
                run.bring_up(server)
            run.event(
                start, source, server, COLD_MIGRATE, f"to {dest}", env.now - start if was_up else 0.0
            )
            then(True, "")

        def begin(_ev: Any) -> None:
            flow = Flow(Transfer(size), self.links(source, dest), copied, params.cold_bandwidth_mibps)
            self.net.start(flow)

        overhead.callbacks.append(begin)
