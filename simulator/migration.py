"""Pre-copy live migration in closed form, with Nova's downtime steps and completion timeout.

Round 0 sends the memory in use (plus local disks in a block migration);
each later round resends what the guest dirtied during the previous round,
bounded by its writable working set. At the end of a round, if what is left
could be sent within the currently allowed downtime, the guest is paused and
the rest is sent (stop-and-copy): downtime = that data / bandwidth (+ resume).

Nova raises the allowed downtime in steps while the migration runs and acts
at the completion timeout (abort, or force-complete: post-copy if permitted,
else pause the guest). QEMU's auto-converge throttles the guest's vCPUs.

``PreCopy.advance(bandwidth, dt)`` moves the state forward under a constant
bandwidth and stops at the first event (converged, done, ...). Rounds that
cannot change anything (a stationary non-converging round, or a geometric run
of shrinking rounds) are skipped in closed form, so one call costs
O(log(rounds)) whatever the length of the migration: the engine calls it only
when a link's share changes.

Run one migration: ``python -m simulator.migration --memory-mib 4096
--dirty-rate-mibps 100 --bandwidth-mibps 1000 [--json]``.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from domain import nova

# Phases of a migration.
PRECOPY = "pre-copy"
STOPCOPY = "stop-and-copy"  # guest paused: converged, or paused at the timeout
POSTCOPY = "post-copy"  # guest runs on the destination, pulling the rest
DONE = "done"
ABORTED = "aborted"
FAILED = "failed"

# Events returned by PreCopy.advance.
EV_CONVERGED = "converged"
EV_PAUSED = "paused"  # completion timeout, force-complete without post-copy
EV_POSTCOPY = "post-copy"  # completion timeout, force-complete with post-copy
EV_ABORTED = "aborted"  # completion timeout, abort (Nova's default)
EV_DONE = "done"
EV_FAILED = "failed"  # injected failure
EV_STUCK = "stuck"  # will never converge: no timeout and no downtime step left

# QEMU auto-converge defaults: cpu-throttle-initial 20 %, -increment 10 %,
# max 99 %; the throttle rises when, in two syncs, the guest dirtied more
# than half of what was transferred (migration_trigger_throttle in ram.c).
THROTTLE_INITIAL = 0.20
THROTTLE_INCREMENT = 0.10
THROTTLE_MAX = 0.99
THROTTLE_DIRTY_SHARE = 0.5

# When convergence is checked (MigrationSpec.convergence).
ROUND_END = "round-end"
CONTINUOUS = "continuous"
CONVERGENCE_CHECKS = (ROUND_END, CONTINUOUS)
# When a permitted post-copy starts (MigrationSpec.post_copy_switch): only when
# Nova force-completes at the timeout, or as Nova's migration monitor does it.
POSTCOPY_AT_TIMEOUT = "timeout"
POSTCOPY_NOVA = "nova"
POSTCOPY_SWITCHES = (POSTCOPY_AT_TIMEOUT, POSTCOPY_NOVA)
# Nova's monitor looks every 0.5 s (_live_migration_monitor) and switches to
# post-copy once past the first pass when what is left fell by less than 10 %
# since its last look (migration.should_switch_to_postcopy).
NOVA_MONITOR_S = 0.5
POSTCOPY_MIN_PROGRESS = 0.10
HYPERVISOR_MODELS = ("textbook", "qemu")

# Device state and guest resume, the part of QEMU's downtime that does not
# depend on memory: the median at 0 % dirty of the fidelity bench
# (bench/fidelity.py, docs/performance.md).
DOWNTIME_FIXED_S = 0.0015
# How often QEMU checks for convergence under a bandwidth cap: its rate
# limit's window (BUFFER_DELAY in migration.c).
CHECK_INTERVAL_S = 0.1

_EPS = 1e-9


def data_gib(flavor_ram_mib: float, disks_gib: Sequence[float] = ()) -> float:
    """The data size Nova derives its downtime steps and timeout from.

    Mirrors nova/virt/libvirt/driver.py ``_live_migration_data_gb``: flavor RAM
    in GiB with a floor of 2, plus each migrated local disk with a floor of 2.
    """
    ram = max(2.0, flavor_ram_mib / 1024.0)
    return ram + sum(max(2.0, d) for d in disks_gib)


def downtime_steps(
    data_gb: float, downtime_ms: int = nova.LIVE_MIGRATION_DOWNTIME_MS,
    steps: int = nova.LIVE_MIGRATION_DOWNTIME_STEPS, delay_s: int = nova.LIVE_MIGRATION_DOWNTIME_DELAY_S,
) -> Iterator[tuple[int, int]]:
    """(elapsed seconds, allowed downtime ms) pairs, exactly as Nova computes them.

    Mirrors nova/virt/libvirt/migration.py ``downtime_steps`` (nova 34),
    including its integer truncations: delay = int(delay * data_gb); base =
    downtime / steps; offset = (downtime - base) / steps.
    """
    delay = int(delay_s * data_gb)
    base = downtime_ms / steps
    offset = (downtime_ms - base) / steps
    for i in range(steps + 1):
        yield (int(delay * i), int(base + offset * i))


def completion_timeout(
    data_gb: float, per_gib: int = nova.LIVE_MIGRATION_COMPLETION_TIMEOUT_S_PER_GIB
) -> int:
    """Nova's ``int(live_migration_completion_timeout * data_gb)``; 0 means none."""
    return int(per_gib * data_gb)


@dataclass(frozen=True)
class MigrationSpec:
    """One live migration's inputs, independent of the bandwidth it will get."""

    memory_mib: float  # sent in round 0
    dirty_rate_mibps: float = 0.0
    # Cap of what one round can dirty; 0 means the whole memory.
    working_set_mib: float = 0.0
    disk_mib: float = 0.0  # local disks copied in round 0 (block migration)
    # Nova's (elapsed s, allowed downtime s) steps, ascending.
    schedule: tuple[tuple[float, float], ...] = ((0.0, 0.5),)
    timeout_s: float = 0.0  # 0: no completion timeout
    timeout_action: str = "abort"
    permit_post_copy: bool = False
    auto_converge: bool = False
    # Injected failure: the migration fails once this much of round 0 is sent.
    fail_at_mib: float | None = None
    # When the pause is decided: at the end of each round (the textbook), or as
    # data goes, as QEMU does (``continuous``): the round's unsent tail then
    # goes into the stop-and-copy with what was dirtied.
    convergence: str = ROUND_END
    # With ``continuous``: how often QEMU looks (its 100 ms rate-limit window;
    # 0: at every instant). It pauses at the first look after what is left
    # fits, half a look's sending later on average.
    check_interval_s: float = 0.0
    # The guest's RAM, zero pages included (the flavor's); 0: all of it in use.
    ram_mib: float = 0.0
    # With permit_post_copy: switch at the timeout only (force-complete), or
    # as Nova does (``POSTCOPY_NOVA``: after a pass that made too little progress).
    post_copy_switch: str = POSTCOPY_AT_TIMEOUT

    def __post_init__(self) -> None:
        if self.convergence not in CONVERGENCE_CHECKS:
            raise ValueError(f"convergence: one of {CONVERGENCE_CHECKS}")
        if self.post_copy_switch not in POSTCOPY_SWITCHES:
            raise ValueError(f"post_copy_switch: one of {POSTCOPY_SWITCHES}")
        if not 0.0 <= self.check_interval_s < math.inf:
            raise ValueError("check_interval_s: a non-negative number of seconds")

    @classmethod
    def for_nova(
        cls,
        memory_mib: float,
        dirty_rate_mibps: float,
        working_set_mib: float = 0.0,
        flavor_ram_mib: float | None = None,
        disk_gib: Sequence[float] = (),
        downtime_ms: int = nova.LIVE_MIGRATION_DOWNTIME_MS,
        steps: int = nova.LIVE_MIGRATION_DOWNTIME_STEPS,
        delay_s: int = nova.LIVE_MIGRATION_DOWNTIME_DELAY_S,
        timeout_s_per_gib: int = nova.LIVE_MIGRATION_COMPLETION_TIMEOUT_S_PER_GIB,
        timeout_action: str = "abort",
        permit_post_copy: bool = False,
        permit_auto_converge: bool = False,
        fail_at_mib: float | None = None,
        convergence: str = ROUND_END,
        check_interval_s: float = 0.0,
        post_copy_switch: str = POSTCOPY_AT_TIMEOUT,
    ) -> MigrationSpec:
        """A spec with Nova's schedule and timeout for this guest's data size."""
        size = data_gib(memory_mib if flavor_ram_mib is None else flavor_ram_mib, disk_gib)
        schedule = tuple((float(t), ms / 1000.0) for t, ms in downtime_steps(size, downtime_ms, steps, delay_s))
        return cls(
            memory_mib=memory_mib,
            dirty_rate_mibps=dirty_rate_mibps,
            working_set_mib=working_set_mib,
            disk_mib=sum(disk_gib) * 1024.0,
            schedule=schedule,
            timeout_s=float(completion_timeout(size, timeout_s_per_gib)),
            timeout_action=timeout_action,
            permit_post_copy=permit_post_copy,
            # Nova uses auto-converge only when post-copy is not permitted.
            auto_converge=permit_auto_converge and not permit_post_copy,
            fail_at_mib=fail_at_mib,
            convergence=convergence,
            check_interval_s=check_interval_s,
            ram_mib=memory_mib if flavor_ram_mib is None else flavor_ram_mib,
            post_copy_switch=post_copy_switch,
        )


_CONTINUE = "continue"  # internal: stopped at the horizon, no event


class PreCopy:
    """The running state of one live migration; mutated by ``advance``."""

    __slots__ = (
        "spec", "cap", "phase", "t", "rnd", "x", "sent", "rt", "total_sent", "throttle",
        "high_count", "step", "final", "switch_t", "allowed_at_switch",
    )

    def __init__(self, spec: MigrationSpec) -> None:
        self.spec = spec
        memory = spec.memory_mib
        self.cap = spec.working_set_mib if spec.working_set_mib > 0 else memory
        self.cap = min(self.cap, memory) if memory > 0 else self.cap
        self.phase = PRECOPY
        self.t = 0.0  # elapsed since the copy started
        self.rnd = 0
        self.x = memory + spec.disk_mib  # data of the current round
        self.sent = 0.0  # of the current round
        self.rt = 0.0  # time spent in the current round
        self.total_sent = 0.0
        self.throttle = 0.0
        self.high_count = 0
        self.step = 0  # index of the downtime step in force
        self.final = 0.0  # data of the stop-and-copy / post-copy phase
        self.switch_t = math.nan  # when the guest paused or switched over
        self.allowed_at_switch = math.nan

    def copy(self) -> PreCopy:
        other = PreCopy.__new__(PreCopy)
        # Spelled out: about three times faster than a loop over __slots__.
        other.spec = self.spec
        other.cap = self.cap
        other.phase = self.phase
        other.t = self.t
        other.rnd = self.rnd
        other.x = self.x
        other.sent = self.sent
        other.rt = self.rt
        other.total_sent = self.total_sent
        other.throttle = self.throttle
        other.high_count = self.high_count
        other.step = self.step
        other.final = self.final
        other.switch_t = self.switch_t
        other.allowed_at_switch = self.allowed_at_switch
        return other

    @property
    def downtime_allowed_s(self) -> float:
        return self.spec.schedule[self.step][1]

    def _sync_step(self) -> None:
        # Nova applies the last step whose time is strictly below the elapsed
        # time (update_downtime: ``if elapsed > step[0]``); a round ending on a
        # step's time to within rounding counts as before it, however the
        # migration was cut into pieces.
        schedule = self.spec.schedule
        while self.step + 1 < len(schedule) and schedule[self.step + 1][0] < self.t - _EPS:
            self.step += 1

    def _next_step_time(self) -> float:
        schedule = self.spec.schedule
        return schedule[self.step + 1][0] if self.step + 1 < len(schedule) else math.inf

    def time_to_event(self, bandwidth: float) -> tuple[float, str]:
        """Seconds until the next event under a constant bandwidth, and which."""
        dt, event, _ = self.probe(bandwidth)
        return dt, event

    def probe(self, bandwidth: float) -> tuple[float, str, PreCopy]:
        """Like ``time_to_event``, with the state at that event (to adopt if nothing changes)."""
        future = self.copy()
        event = future.advance(bandwidth, math.inf)
        return future.t - self.t, event or EV_STUCK, future

    def advance(self, bandwidth: float, dt: float) -> str | None:
        """Send at ``bandwidth`` MiB/s for ``dt`` s or until the first event; return it."""
        end = self.t + dt
        if bandwidth <= 0:
            self.rt += max(0.0, end - self.t) if self.phase == PRECOPY else 0.0
            self.t = end if math.isfinite(end) else self.t
            return None if math.isfinite(end) else EV_STUCK
        fail_at = self.spec.fail_at_mib
        timeout = self.spec.timeout_s
        while True:
            phase = self.phase
            if phase == STOPCOPY or phase == POSTCOPY:
                need = (self.final - self.sent) / bandwidth
                if self.t + need <= end + _EPS:
                    self.total_sent += self.final - self.sent
                    self.sent = self.final
                    self.t += need
                    self.phase = DONE
                    return EV_DONE
                self._send(bandwidth, end - self.t)
                return None
            if phase != PRECOPY:
                return None
            t = self.t
            x = self.x
            round_end = t + (x - self.sent) / bandwidth
            if self.spec.convergence == CONTINUOUS:
                event = self._converge_within_round(bandwidth, end, round_end)
                if event is not None:
                    return event if event != _CONTINUE else None
                if self.phase != PRECOPY or self.t != t:
                    continue  # a downtime step came into force mid-round
            if fail_at is not None and self.rnd == 0 and fail_at < x:
                fail_t = t + (fail_at - self.sent) / bandwidth
                if fail_t <= end + _EPS:
                    self._send(bandwidth, fail_t - t)
                    self.phase = FAILED
                    return EV_FAILED
            if 0 < timeout < round_end:
                if end + _EPS < timeout:
                    self._send(bandwidth, end - t)
                    return None
                self._send(bandwidth, timeout - t)
                return self._on_timeout()
            if round_end > end + _EPS:
                self._send(bandwidth, end - t)
                return None
            # The round completes (spelled out: this loop is the simulator's hot path).
            self.total_sent += x - self.sent
            self.rt += round_end - t
            self.t = round_end
            self.sent = x
            if self._end_round(bandwidth):
                return EV_CONVERGED
            if self.phase == POSTCOPY:
                return EV_POSTCOPY
            # Most guests converge within a few rounds: only longer runs are worth a closed form.
            if self.rnd >= 6:
                if self._stationary_without_hope(bandwidth, end):
                    return EV_STUCK
                self._skip_rounds(bandwidth, end)

    def _converge_within_round(self, bandwidth: float, end: float, round_end: float) -> str | None:
        """QEMU's continuous check, up to the next limit of this round.

        QEMU syncs its dirty bitmap whenever what is left falls below
        bandwidth x allowed downtime and pauses the guest if the synced
        remainder still fits: what it would find at time t is the round's
        unsent data plus what was dirtied since the round began. Returns
        EV_CONVERGED, _CONTINUE (stopped at ``end``: no event), or None (no
        crossing before the round ends, a failure or the timeout: the caller
        goes on; the state moved if a downtime step came into force).

        In round 0 QEMU counts what is left in guest pages, the zero pages it
        has yet to scan included (they cost it almost nothing to send). The
        model takes them as scanned last, all ``ram_mib - memory_mib`` of them
        counted until the data is sent: what the fidelity bench's guests did
        (idle guests paused with almost nothing left unless the allowed
        downtime exceeded their zero pages). Every page of a later round is
        one the guest wrote. A block migration's disks are not checked this way.
        """
        zeros = self._round0_zeros()
        if zeros is None:
            return None
        t = self.t
        step_at = self._next_step_time()
        threshold = bandwidth * self.downtime_allowed_s
        if step_at > round_end and step_at > end:
            # The hot path: what QEMU would find moves one way within a round, so
            # if neither its start nor the round's end fits, nothing in between does.
            dirty = self._dirty_rate()
            at_end = min(self.cap, dirty * (self.rt + (self.x - self.sent) / bandwidth)) + zeros
            at_start = self.x - self.sent + min(self.cap, dirty * self.rt) + zeros
            if at_end > threshold and at_start > threshold:
                return None
        limit = round_end
        timeout = self.spec.timeout_s
        if timeout > 0:
            limit = min(limit, timeout)
        fail_at = self.spec.fail_at_mib
        if fail_at is not None and self.rnd == 0 and fail_at < self.x:
            limit = min(limit, t + (fail_at - self.sent) / bandwidth)
        tau = self._time_to_fit(bandwidth, threshold - zeros) if threshold > zeros else math.inf
        interval = self.spec.check_interval_s
        if interval > 0 and math.isfinite(tau):
            # What is left falls at B - D (at B once the working set is all dirty):
            # the look comes on average half an interval of that after the crossing.
            dirty = self._dirty_rate()
            capped = dirty * (self.rt + tau) >= self.cap - _EPS
            falling = bandwidth - (0.0 if capped else dirty)
            tau = self._time_to_fit(bandwidth, threshold - min(threshold, falling * interval) / 2.0 - zeros)
        crossing = t + tau
        if crossing <= min(limit, step_at, end) + _EPS and crossing <= round_end + _EPS:
            self._send(bandwidth, crossing - t)
            self.final = self._pending()
            self.sent = 0.0
            self.phase = STOPCOPY
            self.switch_t = self.t
            self.allowed_at_switch = self.downtime_allowed_s
            return EV_CONVERGED
        if step_at < limit and step_at <= end:
            # A larger allowed downtime from this instant (Nova polls it; the
            # strict ``>`` of _sync_step would wait for the round's end).
            self._send(bandwidth, step_at - t)
            self.step += 1
            return None
        if end < limit - _EPS:
            self._send(bandwidth, end - t)
            return _CONTINUE
        return None

    def _pending(self) -> float:
        """What a bitmap sync would find now: the unsent rest of the round and what was dirtied."""
        return (self.x - self.sent) + min(self.cap, self._dirty_rate() * self.rt)

    def _round0_zeros(self) -> float | None:
        """Zero pages QEMU still counts as left (round 0 only); None: not checked as data goes."""
        if self.rnd > 0:
            return 0.0
        spec = self.spec
        if spec.disk_mib > 0:
            return None
        return max(0.0, spec.ram_mib - spec.memory_mib)

    def _time_to_fit(self, bandwidth: float, threshold: float) -> float:
        """Seconds until ``_pending()`` falls to ``threshold`` at this bandwidth (inf: never)."""
        if threshold < 0:
            return math.inf
        unsent = self.x - self.sent
        falling = bandwidth
        dirty = self._dirty_rate()
        dirtied = min(self.cap, dirty * self.rt)
        if unsent + dirtied <= threshold:
            return 0.0
        # Dirtying grows at the dirty rate until it reaches the working set, then stops.
        to_cap = (self.cap - dirtied) / dirty if dirty > 0 else math.inf
        if falling > dirty:
            tau = (unsent + dirtied - threshold) / (falling - dirty)
            if tau <= to_cap:
                return tau
        if math.isinf(to_cap):
            return math.inf
        tau = (unsent + self.cap - threshold) / falling
        return tau if tau >= to_cap - _EPS else math.inf

    def _send(self, bandwidth: float, dt: float) -> None:
        if dt <= 0:
            return
        self.t += dt
        self.sent += bandwidth * dt
        self.total_sent += bandwidth * dt
        self.rt += dt

    def _dirty_rate(self) -> float:
        return self.spec.dirty_rate_mibps * (1.0 - self.throttle)

    def _end_round(self, bandwidth: float) -> bool:
        """Close the current round; True if the guest can now be paused (converged)."""
        spec = self.spec
        dirtied = self.rt * spec.dirty_rate_mibps * (1.0 - self.throttle)
        if dirtied > self.cap:
            dirtied = self.cap
        schedule = spec.schedule
        if self.step + 1 < len(schedule) and schedule[self.step + 1][0] < self.t - _EPS:
            self._sync_step()
        if dirtied <= bandwidth * schedule[self.step][1]:
            self.phase = STOPCOPY
            self.final = dirtied
            self.sent = 0.0
            self.switch_t = self.t
            self.allowed_at_switch = self.downtime_allowed_s
            return True
        if spec.permit_post_copy and spec.post_copy_switch == POSTCOPY_NOVA and self._postcopy_due(
                dirtied, bandwidth):
            # The guest goes on running on the destination; what the sync found
            # is pulled from there (at the link's speed: no cap in post-copy).
            self.phase = POSTCOPY
            self.final = dirtied
            self.sent = 0.0
            self.switch_t = self.t
            self.allowed_at_switch = self.downtime_allowed_s
            self.rnd += 1
            return False
        if self.spec.auto_converge and self.throttle < THROTTLE_MAX:
            if dirtied > THROTTLE_DIRTY_SHARE * self.x:
                self.high_count += 1
                if self.high_count >= 2:
                    self.high_count = 0
                    self.throttle = (
                        THROTTLE_INITIAL
                        if self.throttle == 0
                        else min(THROTTLE_MAX, self.throttle + THROTTLE_INCREMENT)
                    )
        self.rnd += 1
        self.x = dirtied
        self.sent = 0.0
        self.rt = 0.0
        return False

    def _postcopy_due(self, dirtied: float, bandwidth: float) -> bool:
        """Nova's look straddling this sync: too little progress (or a next pass of over 5 s).

        What QEMU reported left half a second before the pass ended (its zero
        pages included in the first pass) against what the sync found.
        """
        before = min(self.x, bandwidth * NOVA_MONITOR_S)
        if self.rnd == 0 and self.spec.disk_mib <= 0:
            before += max(0.0, self.spec.ram_mib - self.spec.memory_mib)
        if before <= 0:
            return False
        slow = dirtied * POSTCOPY_MIN_PROGRESS > bandwidth * NOVA_MONITOR_S  # the next look inside it
        return (before - dirtied) / before < POSTCOPY_MIN_PROGRESS or slow

    def _on_timeout(self) -> str:
        # What is left: the unsent part of this round and what was dirtied during it.
        left = min(self.spec.memory_mib, (self.x - self.sent) + min(self.cap, self._dirty_rate() * self.rt))
        self._sync_step()
        self.switch_t = self.t
        self.allowed_at_switch = self.downtime_allowed_s
        if self.spec.timeout_action != "force_complete":
            self.phase = ABORTED
            return EV_ABORTED
        self.final = left
        self.sent = 0.0
        if self.spec.permit_post_copy:
            self.phase = POSTCOPY
            return EV_POSTCOPY
        self.phase = STOPCOPY
        return EV_PAUSED

    def _throttle_may_change(self, ratio: float) -> bool:
        return (
            self.spec.auto_converge
            and self.throttle < THROTTLE_MAX
            and ratio > THROTTLE_DIRTY_SHARE
        )

    def _stationary_without_hope(self, bandwidth: float, end: float) -> bool:
        """True if no event can ever come: rounds repeat, no step, no timeout, no horizon."""
        if math.isfinite(end) or self.spec.timeout_s > 0:
            return False
        if self._next_step_time() < math.inf:
            return False
        ratio = self._dirty_rate() / bandwidth
        if self._throttle_may_change(ratio):
            return False
        return min(self.cap, ratio * self.x) == self.x and self.x > bandwidth * self.downtime_allowed_s

    def _skip_rounds(self, bandwidth: float, end: float) -> None:
        """Jump over whole rounds in closed form when nothing can happen during them.

        Rounds ending before the next downtime step, the timeout and the
        horizon all face the same allowed downtime. Two cases repeat
        predictably: stationary rounds (the working-set cap or a dirty rate
        equal to the bandwidth) and geometric rounds (x, rx, r^2 x ... with
        r = dirty rate / bandwidth < 1). We stop two rounds short of any
        limit or of convergence and let the exact loop finish.
        """
        ratio = self._dirty_rate() / bandwidth
        if self._throttle_may_change(ratio):
            return
        x = self.x
        if x <= 0:
            return
        limit = min(self._next_step_time(), end)
        if self.spec.timeout_s > 0:
            limit = min(limit, self.spec.timeout_s)
        span = limit - self.t  # may be inf
        nxt = min(self.cap, ratio * x)
        if nxt == x:  # stationary: every round is x, never converges at this downtime
            if not math.isfinite(span):
                return
            k = int(span / (x / bandwidth)) - 2
            if k >= 2:
                self.t += k * x / bandwidth
                self.total_sent += k * x
                self.rnd += k
            return
        if ratio <= 0 or ratio >= 1:
            return
        # Geometric: round j (data x r^j) converges at its end if x r^(j+1) <= B d.
        target = bandwidth * self.downtime_allowed_s
        log_r = math.log(ratio)
        j_conv = max(0, math.ceil(math.log(target / x) / log_r) - 1) if target < x else 0
        # Rounds 0..j end by t + x (1 - r^(j+1)) / ((1 - r) B); how many end before the limit.
        fill = 1.0 - span * (1.0 - ratio) * bandwidth / x if math.isfinite(span) else -1.0
        j_fit = math.inf if fill <= 0 else math.floor(math.log(fill) / log_r) - 1
        k = int(min(j_conv, j_fit)) - 2
        if k < 4:
            return
        factor = ratio**k
        data = x * (1.0 - factor) / (1.0 - ratio)
        self.t += data / bandwidth
        self.total_sent += data
        self.rnd += k
        self.x = x * factor


@dataclass(frozen=True)
class MigrationResult:
    """The outcome of one migration at a constant bandwidth."""

    outcome: str  # converged | post-copy | paused | aborted | never-converges
    completed: bool
    total_s: float
    downtime_s: float
    rounds: int
    sent_mib: float
    switch_s: float  # when the guest paused (or switched to post-copy)
    allowed_downtime_s: float  # allowed downtime in force at the switch
    schedule: tuple[tuple[float, float], ...]
    timeout_s: float
    # Auto-converge's CPU throttle on the guest when it paused or switched (0: none):
    # the share of its vCPU time QEMU took away, what the guest's throughput lost.
    throttle: float = 0.0

    def to_dict(self) -> dict[str, object]:
        """JSON-ready; a figure that does not exist (never ends, never switched) is None."""

        def num(value: float) -> float | None:
            return value if math.isfinite(value) else None

        return {
            "outcome": self.outcome,
            "converged": self.outcome == EV_CONVERGED,
            "completed": self.completed,
            "total_s": num(self.total_s),
            "downtime_ms": self.downtime_s * 1000.0,
            "rounds": self.rounds,
            "sent_mib": self.sent_mib,
            "switch_s": num(self.switch_s),
            "allowed_downtime_ms": num(self.allowed_downtime_s * 1000.0),
            "downtime_schedule": [
                {"from_s": t, "downtime_ms": round(d * 1000.0, 6)} for t, d in self.schedule
            ],
            "completion_timeout_s": self.timeout_s,
            "guest_throttle_pct": round(self.throttle * 100.0, 3),
        }


def migrate(
    spec: MigrationSpec,
    bandwidth_mibps: float,
    resume_s: float = 0.0,
    switchover_mibps: float | None = None,
) -> MigrationResult:
    """Run one migration alone on a link of constant bandwidth.

    ``switchover_mibps`` is the speed of what is sent once the guest stopped
    (converged) or switched over (post-copy): QEMU lifts the migration's
    bandwidth cap at completion, so that is the link's speed. None: the
    pre-copy bandwidth. A guest paused by Nova at the completion timeout is
    still migrated by pre-copy, capped, so it keeps ``bandwidth_mibps``.
    """
    state = PreCopy(spec)
    event = state.advance(bandwidth_mibps, math.inf)
    if event in (EV_CONVERGED, EV_PAUSED, EV_POSTCOPY):
        outcome = event
        switch = state.t
        rounds = state.rnd + 1
        final = bandwidth_mibps if event == EV_PAUSED or not switchover_mibps else switchover_mibps
        state.advance(final, math.inf)
        if event == EV_POSTCOPY:
            downtime = resume_s  # the guest runs on the destination at once
        else:
            downtime = state.t - switch + resume_s
        return MigrationResult(
            outcome, True, state.t, downtime, rounds, state.total_sent, switch,
            state.allowed_at_switch, spec.schedule, spec.timeout_s, state.throttle,
        )
    outcome = "aborted" if event == EV_ABORTED else ("failed" if event == EV_FAILED else "never-converges")
    total = state.t if event != EV_STUCK else math.inf
    return MigrationResult(
        outcome, False, total, 0.0, state.rnd + 1, state.total_sent, state.switch_t,
        state.allowed_at_switch, spec.schedule, spec.timeout_s, state.throttle,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m simulator.migration",
        description="One pre-copy live migration under Nova's downtime steps and timeout.",
    )
    parser.add_argument("--memory-mib", type=float, required=True, help="memory in use, sent in round 0")
    parser.add_argument("--dirty-rate-mibps", type=float, required=True)
    parser.add_argument("--bandwidth-mibps", type=float, required=True)
    parser.add_argument("--working-set-mib", type=float, default=0.0, help="cap of one round's dirtied data (default: all memory)")
    parser.add_argument("--flavor-ram-mib", type=float, default=None, help="flavor RAM Nova sizes its steps by (default: --memory-mib)")
    parser.add_argument("--downtime-ms", type=int, default=nova.LIVE_MIGRATION_DOWNTIME_MS)
    parser.add_argument("--downtime-steps", type=int, default=nova.LIVE_MIGRATION_DOWNTIME_STEPS)
    parser.add_argument("--downtime-delay-s", type=int, default=nova.LIVE_MIGRATION_DOWNTIME_DELAY_S)
    parser.add_argument("--completion-timeout-s-per-gib", type=int,
                        default=nova.LIVE_MIGRATION_COMPLETION_TIMEOUT_S_PER_GIB)
    parser.add_argument("--timeout-action", choices=("abort", "force_complete"), default="abort")
    parser.add_argument("--permit-post-copy", action="store_true")
    parser.add_argument("--permit-auto-converge", action="store_true")
    parser.add_argument(
        "--post-copy-switch", choices=POSTCOPY_SWITCHES, default=POSTCOPY_AT_TIMEOUT,
        help="with --permit-post-copy: switch only when Nova force-completes at the timeout "
        "(default), or as Nova's monitor does (after a pass that left 90 %% or more of what "
        "was left half a second before)",
    )
    parser.add_argument(
        "--resume-ms", type=float, default=None,
        help="fixed part of the downtime: device state and guest resume "
        f"(default: 0; with --hypervisor qemu {DOWNTIME_FIXED_S * 1000:g}, measured)",
    )
    parser.add_argument(
        "--hypervisor", choices=HYPERVISOR_MODELS, default="textbook",
        help="textbook: pause decided at round ends, stop-and-copy at --bandwidth-mibps, no fixed "
        "downtime; qemu: as QEMU does it (checked every 100 ms as data goes, stop-and-copy at "
        "--link-mibps, measured fixed part)",
    )
    parser.add_argument(
        "--convergence", choices=CONVERGENCE_CHECKS, default=None,
        help="when the pause is decided (default: by --hypervisor)",
    )
    parser.add_argument(
        "--link-mibps", type=float, default=None,
        help="speed of the stop-and-copy, once QEMU lifts the cap (default: --bandwidth-mibps)",
    )
    parser.add_argument(
        "--calibration", default=None, metavar="FILE",
        help="a calibration file (python -m simulator.calibration): scales --bandwidth-mibps by "
        "its bandwidth factor, and its figures replace the defaults of --link-mibps and --resume-ms",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.bandwidth_mibps <= 0 or args.memory_mib < 0 or args.dirty_rate_mibps < 0:
        parser.error("bandwidth must be positive, memory and dirty rate not negative")
    if args.link_mibps is not None and args.link_mibps <= 0:
        parser.error("--link-mibps must be positive")
    if args.resume_ms is not None and args.resume_ms < 0:
        parser.error("--resume-ms cannot be negative")
    qemu = args.hypervisor == "qemu"
    convergence = args.convergence or (CONTINUOUS if qemu else ROUND_END)
    resume_ms = args.resume_ms
    link = args.link_mibps
    bandwidth = args.bandwidth_mibps
    if args.calibration:
        from simulator.calibration_file import load as load_calibration

        try:
            fitted = load_calibration(args.calibration)
        except (OSError, ValueError) as exc:
            parser.error(f"--calibration {args.calibration}: {exc}")
        resume_ms = fitted.downtime_fixed_s * 1000.0 if resume_ms is None else resume_ms
        if link is None and fitted.switchover_mibps:
            link = fitted.switchover_mibps
        bandwidth *= fitted.bandwidth_factor
    if resume_ms is None:
        resume_ms = DOWNTIME_FIXED_S * 1000.0 if qemu else 0.0
    # Nova's own minimums (nova/conf/libvirt.py).
    if args.downtime_ms < 100 or args.downtime_steps < 3 or args.downtime_delay_s < 3:
        parser.error("Nova's minimums: --downtime-ms 100, --downtime-steps 3, --downtime-delay-s 3")
    if args.completion_timeout_s_per_gib < 0:
        parser.error("--completion-timeout-s-per-gib cannot be negative (0 disables it)")
    spec = MigrationSpec.for_nova(
        args.memory_mib, args.dirty_rate_mibps, args.working_set_mib, args.flavor_ram_mib,
        (), args.downtime_ms, args.downtime_steps, args.downtime_delay_s,
        args.completion_timeout_s_per_gib, args.timeout_action, args.permit_post_copy,
        args.permit_auto_converge, None, convergence, CHECK_INTERVAL_S if qemu else 0.0,
        args.post_copy_switch,
    )
    result = migrate(spec, bandwidth, resume_ms / 1000.0, link)
    if args.json:
        print(json.dumps(result.to_dict()))
        return 0 if result.completed else 1
    print(f"outcome:          {result.outcome}")
    print(f"converged:        {'yes' if result.outcome == EV_CONVERGED else 'no'}")
    print(f"total:            {result.total_s:.3f} s")
    print(f"downtime:         {result.downtime_s * 1000.0:.3f} ms")
    print(f"rounds:           {result.rounds}")
    print(f"sent:             {result.sent_mib:.1f} MiB")
    if result.throttle:
        print(f"guest throttled:  {result.throttle * 100:.0f} % of its vCPU time (auto-converge)")
    timeout = f"{result.timeout_s:.0f} s" if result.timeout_s else "none"
    print(f"completion timeout: {timeout} ({args.timeout_action})")
    print("downtime schedule:")
    for t, d in result.schedule:
        print(f"  from {t:7.0f} s: {d * 1000.0:5.0f} ms")
    return 0 if result.completed else 1


if __name__ == "__main__":
    raise SystemExit(main())
