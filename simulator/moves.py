"""Moving servers off a host: live and cold migrations, and the failure policy.

Functions of a run (``simulator.engine._Run``): a host's move workers take
its LIVE_MIGRATE / COLD_MIGRATE actions in plan order, at most
``max_concurrent_live_migrations`` at a time (cold migrations included: one
pool of slots per source host). A migration is a chain of callbacks on
timeouts and on its flow's milestones, not a SimPy process: far cheaper per
server. The returned event's value is ``(succeeded, reason)``.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import simpy

from domain.plan import ActionKind
from simulator.migration import (
    EV_CONVERGED,
    EV_DONE,
    EV_PAUSED,
    EV_POSTCOPY,
    MigrationSpec,
    PreCopy,
)
from simulator.network import Flow, Link, Transfer
from simulator.records import COLD_MIGRATE, LIVE_MIGRATE, MIGRATION_FAILED, Failure

if TYPE_CHECKING:
    from simulator.engine import _Run

_FAILURE_REASONS = {
    "failed": "migration failed",
    "aborted": "completion timeout reached: aborted",
    "stuck": "never converges (no completion timeout)",
}


Then = Callable[[bool, str], None]


def worker(run: _Run, queue: deque[Any], host: str) -> simpy.Event:
    """One of a host's move slots: takes actions off ``queue`` until it is empty.

    A chain of callbacks rather than a SimPy process (one less event and one
    less generator resumption per server); the returned event fires when this
    slot has nothing left to do.
    """
    params = run.params
    finished = run.env.event()

    def record(server: str, kind: str, reason: str, action: str) -> None:
        run.failures.append(Failure(run.env.now, host, server, kind, reason, action))

    def next_action(*_: Any) -> None:
        while queue and host not in run.abandoned:
            action = queue.popleft()
            server = action.server
            if run.placement.host_of.get(server) != host:
                run.skipped.append(server)  # not where the plan expected it
                continue
            if action.kind == ActionKind.COLD_MIGRATE or not run.up[server]:
                # Nova cannot live-migrate a stopped server: it is cold-migrated.
                cold(run, server, host, action.target, after_cold(server))
                return
            info = run.servers[server]
            if not info.live_migratable:
                # Nova refuses at once (SR-IOV port, pinned CPUs, ...): no retry helps.
                reason = (
                    f"cannot live-migrate: {info.not_migratable_reason or 'not live-migratable'}"
                )
                run._event(run.env.now, host, server, MIGRATION_FAILED, reason)
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

        live(run, server, host, target, then)

    def fall_back(server: str) -> None:
        policy = params.migration_fallback
        if policy == "cold-migrate":
            cold(run, server, host, None, after_cold(server))
        elif policy == "stop":
            run._stop(server, host).callbacks.append(next_action)
        else:  # rollback-host: this host is left on its release
            run.abandoned.add(host)
            next_action()

    next_action()
    return finished


def destination(
    run: _Run, server: str, source: str, target: str | None, live: bool
) -> tuple[str | None, str]:
    if target is None:
        chosen = run.placement.pick(server, source, live)
        return chosen, "" if chosen else "no valid host"
    if run.placement.fits(server, target, source if live else None):
        return target, ""
    return None, f"target {target} cannot take it now"


def migration_spec(run: _Run, server: str) -> MigrationSpec:
    spec = run._specs.get(server)
    if spec is not None:
        return spec
    info = run.servers[server]
    disk = info.disk_gib if run.params.block_migration else 0
    key = (info.ram_mib, disk)
    base = run._schedules.get(key)
    if base is None:
        p = run.params
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
        run._schedules[key] = base
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
    )
    run._specs[server] = spec
    return spec


def links(run: _Run, source: str, target: str) -> tuple[Link, ...]:
    nics = (run.nic[source], run.nic[target])
    return nics + (run.fabric,) if run.fabric is not None else nics


def live(run: _Run, server: str, source: str, target: str | None, then: Then) -> None:
    """Live-migrate ``server``, then call ``then(succeeded, reason)``."""
    env, params = run.env, run.params
    start = env.now
    spec = migration_spec(run, server)
    if run.rng.random() < params.live_migration_failure_p:
        spec = replace(spec, fail_at_mib=run.rng.random() * spec.memory_mib)
    overhead = env.timeout(run.draw(params.migration_overhead_s))

    def begin(_ev: Any) -> None:
        dest, reason = destination(run, server, source, target, live=True)
        if dest is None:
            run._event(start, source, server, MIGRATION_FAILED, reason)
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
                run._down(server, failover=False)
            elif event == EV_POSTCOPY:
                # The guest runs on the destination at once; only its resume is lost.
                pause[0] = now
                pause[1] = run.draw(params.resume_s)
                run._down(server, failover=False)
                env.timeout(pause[1]).callbacks.append(lambda _e: run._up(server))
            elif event == EV_DONE:
                run.migrated_mib += model.total_sent
                moved(run, server, source, dest)
                run.live_done += 1
                rounds = f"to {dest}, {model.rnd + 1} rounds"
                if pause[1]:
                    run._event(
                        start, source, server, LIVE_MIGRATE, rounds + ", post-copy", pause[1]
                    )
                    then(True, "")
                    return

                def resumed(_e: Any) -> None:
                    run._up(server)
                    run._event(start, source, server, LIVE_MIGRATE, rounds, env.now - pause[0])
                    then(True, "")

                env.timeout(run.draw(params.resume_s)).callbacks.append(resumed)
            else:
                run.migrated_mib += model.total_sent
                run.placement.unclaim(server, dest)
                reason = _FAILURE_REASONS.get(event, event)
                run._event(start, source, server, MIGRATION_FAILED, f"to {dest}: {reason}")
                then(False, reason)

        # Nova's completion timeout ends a migration that never converges;
        # without one (timeout 0), the operator gives up after a while.
        limit = math.inf if spec.timeout_s > 0 else env.now + params.stuck_migration_limit_s
        flow = Flow(model, links(run, source, dest), heard, run.live_cap, limit)
        run.net.start(flow)

    overhead.callbacks.append(begin)


def moved(run: _Run, server: str, source: str, dest: str) -> None:
    run.placement.moved(server, source, dest)
    run.on_host[source].discard(server)
    run.on_host[dest].add(server)
    run.moves[server] = run.moves.get(server, 0) + 1


def cold(run: _Run, server: str, source: str, target: str | None, then: Then) -> None:
    """Cold-migrate: down while its disk and RAM are copied; then ``then(succeeded, reason)``."""
    env, params = run.env, run.params
    start = env.now
    was_up = run.up[server]
    run._down(server, failover=True)
    dest, reason = destination(run, server, source, target, live=False)
    if dest is None:
        if was_up:
            run.to_start[source].append(server)
        run._event(start, source, server, MIGRATION_FAILED, f"cold: {reason}")
        then(False, reason)
        return
    run.placement.claim(server, dest)
    info = run.servers[server]
    size = info.ram_mib + (info.disk_gib * 1024.0 if params.block_migration else 0.0)
    fails = run.rng.random() < params.cold_migration_failure_p
    overhead = env.timeout(run.draw(params.cold_migration_overhead_s))

    def copied(flow: Flow, event: str) -> None:
        run.migrated_mib += size
        if fails or event != EV_DONE:
            run.placement.unclaim(server, dest)
            if was_up:
                run.to_start[source].append(server)
            run._event(start, source, server, MIGRATION_FAILED, f"cold to {dest}: failed")
            then(False, "cold migration failed")
            return
        moved(run, server, source, dest)
        run.cold_done += 1
        if was_up:
            run._up(server)
        run._event(
            start, source, server, COLD_MIGRATE, f"to {dest}", env.now - start if was_up else 0.0
        )
        then(True, "")

    def begin(_ev: Any) -> None:
        flow = Flow(Transfer(size), links(run, source, dest), copied, params.cold_bandwidth_mibps)
        run.net.start(flow)

    overhead.callbacks.append(begin)
