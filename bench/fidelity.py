"""The pre-copy model against real QEMU live migrations on this machine.

Run: ``make fidelity`` (installs QEMU, fetches a guest kernel, builds the
guest, then runs this), or ``.venv/bin/python bench/fidelity.py`` once they
are there. Options: ``--quick`` (a few points), ``--output FILE`` (every
point's records, the input of ``python -m simulator.calibration fit``),
``--calibration-out FILE`` (fit and write a calibration file at once).

How (see ../shared/notes/qemu-on-this-machine.md for why each choice):
- the guest is a Debian cloud kernel and an initramfs whose /init
  (``bench/fidelity_guest/init.c``) fills memory with non-zero bytes and
  dirties a paced rate over a working set, and reports what it dirtied;
- two QEMU 7.2 processes under TCG, the destination ``-incoming``; each
  point is one migration with a ``max-bandwidth`` cap and a
  ``downtime-limit``; the guest then goes back the other way for the next
  point of the same boot (a boot per memory size and dirty rate, not per
  point: booting under TCG costs ~12 s);
- each boot starts with two migrations of the paused guest, uncapped: the
  first warms up (the first migration out of a fresh boot is several times
  slower than any later one), the second measures the guest's resident
  memory as QEMU counts it (bytes sent for a full copy);
- the stop-and-copy's speed is measured in each point (what was sent after
  the last pre-copy sample, polled every 5 ms, over the downtime less the
  fixed part); the model of a point gets the median of the *other* points'
  speeds (leave one out), so no point's downtime feeds its own prediction;
- a point that has not converged after ``--give-up`` times its first
  round's time (or twice what the model expects) is cancelled and counted
  "not converged";
- QEMU runs at a higher CPU priority than the bench (``PRIORITY``, when
  allowed): on a shared machine other work still stretches downtimes of a
  few tens of ms (docs/performance.md shows by how much).

The model (``simulator.migration``, ``convergence="continuous"`` looked at
every ``CHECK_INTERVAL_S``, a fixed downtime limit as QEMU is driven here,
no Nova steps, no timeout) is fed the inputs as measured: the guest's
resident memory, the link's speed (as above), the dirty rate the guest
counted, the pre-copy bandwidth QEMU achieved, and the default fixed part
``DOWNTIME_FIXED_S``. The round-end ("textbook") model and the
operator's inputs (flavor RAM, nominal dirty rate, configured cap) are
reported beside it. Prints one line per point, a summary, and last one JSON
object.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from simulator.calibration import fit, save  # noqa: E402
from simulator.migration import (  # noqa: E402
    CHECK_INTERVAL_S,
    CONTINUOUS,
    DOWNTIME_FIXED_S,
    EV_CONVERGED,
    ROUND_END,
    MigrationSpec,
    migrate,
)

HERE = os.path.dirname(os.path.abspath(__file__))
GUEST_SOURCE = os.path.join(HERE, "fidelity_guest", "init.c")
KERNEL_META = "linux-image-cloud-amd64"
MIB = 1024 * 1024
# Points whose dirty rate is within this share of the bandwidth sit on the
# convergence boundary: reported, not counted in the agreement.
BOUNDARY = 0.10


@dataclass(frozen=True)
class Boot:
    """One guest boot: its RAM, what it fills and dirties; then its points (cap MiB/s, limit ms)."""

    ram_mib: int
    fill_mib: int
    rate_mibps: int
    ws_mib: int
    points: tuple[tuple[int, int], ...]


# Memory sizes, caps, dirty rates below and above the bandwidth, downtime limits.
GRID = (
    Boot(256, 128, 0, 0, ((32, 50), (128, 300), (256, 500), (200, 1000))),
    Boot(256, 128, 24, 128, ((32, 50), (96, 300), (48, 300), (20, 50), (128, 500), (256, 1000))),
    Boot(512, 384, 0, 0, ((64, 50), (128, 300), (256, 500))),
    Boot(512, 384, 40, 384, ((64, 50), (128, 50), (80, 300), (32, 300), (44, 300), (256, 500), (200, 1000))),
    Boot(512, 384, 80, 16, ((64, 300), (48, 50), (128, 50), (256, 500))),
    Boot(512, 384, 150, 384, ((128, 300), (256, 500), (200, 1000), (160, 500))),
    Boot(512, 400, 60, 256, ((128, 300), (256, 500), (200, 300), (96, 500), (160, 1000), (40, 300))),
)
QUICK = (
    Boot(256, 128, 0, 0, ((64, 50),)),
    Boot(256, 128, 24, 128, ((48, 300), (16, 50))),
)


# --- The guest.


def build_guest(workdir: str) -> tuple[str, str]:
    """The kernel and initramfs, fetched and built once into ``workdir``."""
    os.makedirs(workdir, exist_ok=True)
    kernel = os.path.join(workdir, "vmlinuz")
    if not os.path.exists(kernel):
        depends = subprocess.run(
            ["apt-cache", "depends", KERNEL_META], check=True, capture_output=True, text=True
        ).stdout
        package = next(
            line.split(":", 1)[1].strip()
            for line in depends.splitlines()
            if line.strip().startswith("Depends:") and "linux-image-" in line
        )
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(["apt-get", "download", package], cwd=tmp, check=True, capture_output=True)
            (deb,) = [f for f in os.listdir(tmp) if f.endswith(".deb")]
            subprocess.run(["dpkg-deb", "-x", deb, "x"], cwd=tmp, check=True)
            boot = os.path.join(tmp, "x", "boot")
            (image,) = [f for f in os.listdir(boot) if f.startswith("vmlinuz")]
            shutil.copy(os.path.join(boot, image), kernel)
    initrd = os.path.join(workdir, "init.cpio.gz")
    if not os.path.exists(initrd) or os.path.getmtime(initrd) < os.path.getmtime(GUEST_SOURCE):
        with tempfile.TemporaryDirectory() as tmp:
            root = os.path.join(tmp, "root")
            os.makedirs(root)
            subprocess.run(["gcc", "-O2", "-static", "-o", os.path.join(root, "init"), GUEST_SOURCE], check=True)
            cpio = subprocess.run(
                "find . | cpio -o -H newc --quiet | gzip -1", shell=True, cwd=root, check=True,
                capture_output=True,
            ).stdout
            with open(initrd + ".tmp", "wb") as fh:
                fh.write(cpio)
            os.replace(initrd + ".tmp", initrd)
    return kernel, initrd


# --- QEMU and QMP.


class Qmp:
    """QEMU's JSON protocol over a unix socket: commands in, replies out, events skipped."""

    def __init__(self, path: str, wait_s: float = 20.0) -> None:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.reader = self.sock.makefile("r")
        json.loads(self.reader.readline())  # greeting
        self.cmd("qmp_capabilities")

    def cmd(self, name: str, **arguments: object) -> dict:
        message: dict[str, object] = {"execute": name}
        if arguments:
            message["arguments"] = arguments
        self.sock.sendall(json.dumps(message).encode() + b"\n")
        while True:
            reply = json.loads(self.reader.readline())
            if "return" in reply:
                return reply["return"]
            if "error" in reply:
                raise RuntimeError(f"{name}: {reply['error']}")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


# A hypervisor host does not share its cores with test suites: QEMU runs with
# this much more CPU priority than the bench's caller (when allowed), so other
# work on a shared machine stretches the millisecond-scale downtimes less.
PRIORITY = 10


def _raise_priority() -> None:
    with contextlib.suppress(OSError):
        os.nice(-PRIORITY)


class Guest:
    """One QEMU process (a source, or a destination waiting for a migration)."""

    def __init__(self, run_dir: str, name: str, kernel: str, initrd: str, boot: Boot, incoming: int | None) -> None:
        self.serial = os.path.join(run_dir, f"{name}.serial")
        qmp = os.path.join(run_dir, f"{name}.qmp")
        append = f"console=ttyS0 quiet fill={boot.fill_mib} ws={boot.ws_mib} rate={boot.rate_mibps}"
        argv = [
            "qemu-system-x86_64", "-accel", "tcg,tb-size=256", "-machine", "pc", "-cpu", "qemu64",
            "-m", str(boot.ram_mib), "-smp", "1", "-nodefaults", "-display", "none",
            "-serial", f"file:{self.serial}", "-kernel", kernel, "-initrd", initrd,
            "-append", append, "-qmp", f"unix:{qmp},server=on,wait=off",
        ]
        if incoming is not None:
            argv += ["-incoming", f"tcp:127.0.0.1:{incoming}"]
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        preexec_fn=_raise_priority)
        self.qmp = Qmp(qmp)

    def serial_lines(self) -> list[str]:
        try:
            with open(self.serial, errors="replace") as fh:
                return fh.read().splitlines()
        except FileNotFoundError:
            return []

    def stop(self) -> None:
        self.qmp.close()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def dirtying(guest: Guest, wait_s: float = 3.0) -> bool:
    """True if the guest printed a non-zero dirty rate since it arrived."""
    before = len(guest.serial_lines())
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        lines = guest.serial_lines()[before:]
        if any(line.startswith("dirty ") and float(line.split()[1]) > 0 for line in lines if len(line.split()) == 2):
            return True
        time.sleep(0.2)
    return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(guest: Guest, timeout_s: float = 120.0) -> int:
    """Wait for the guest's workload; return its kernel's free memory in KiB."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for line in guest.serial_lines():
            if line.startswith("ready free_kib="):
                # Let the dirtying settle into its pace before measuring anything.
                time.sleep(2.0)
                return int(line.split()[1].split("=")[1])
        time.sleep(0.2)
    raise RuntimeError(f"guest not ready after {timeout_s:.0f} s: {guest.serial_lines()[-3:]}")


@dataclass
class Measured:
    """What one real migration did."""

    converged: bool
    total_s: float  # QEMU's total-time less its setup-time
    downtime_ms: float
    sent_mib: float
    achieved_mibps: float  # pre-copy: sent / time at the last sample before the stop-and-copy
    slope_mibps: float  # least-squares slope of sent over time in pre-copy
    qemu_mibps: float  # median of QEMU's own per-window measure (ram.mbps)
    samples: int
    left_mib: float  # sent after the last sample in pre-copy: the stop-and-copy, roughly
    syncs: int
    dirty_mibps: float  # as the guest counted it during the migration


def one_migration(source: Guest, dest: Guest, port: int, cap: int, limit_ms: int, give_up_s: float) -> Measured:
    qmp = source.qmp
    for cap_name in ("xbzrle", "auto-converge", "postcopy-ram", "multifd"):
        qmp.cmd("migrate-set-capabilities", capabilities=[{"capability": cap_name, "state": False}])
    qmp.cmd("migrate-set-parameters", **{"max-bandwidth": cap * MIB if cap else 0, "downtime-limit": limit_ms})
    lines_before = len(source.serial_lines())
    qmp.cmd("migrate", uri=f"tcp:127.0.0.1:{port}")
    start = time.monotonic()
    last_active: dict = {}
    info: dict = {}
    # QEMU's (total-time s, transferred MiB, its own last-window bandwidth MiB/s) in pre-copy.
    samples: list[tuple[float, float, float]] = []
    begun = False  # a guest that came in by migration reports that one as "completed" at first
    while True:
        info = qmp.cmd("query-migrate")
        status = info.get("status")
        begun = begun or status in ("setup", "active")
        if not begun and time.monotonic() - start < 10.0:
            time.sleep(0.005)
            continue
        if status == "active":
            last_active = info
            if "ram" in info:
                samples.append((info.get("total-time", 0) / 1000.0, info["ram"]["transferred"] / MIB,
                                info["ram"].get("mbps", 0.0) / 8 / 1.048576))
        if status in ("completed", "failed", "cancelled"):
            break
        if time.monotonic() - start > give_up_s:
            info = qmp.cmd("query-migrate")
            last_active = info if info.get("status") == "active" else last_active
            qmp.cmd("migrate_cancel")
            while qmp.cmd("query-migrate").get("status") not in ("cancelled", "failed", "completed"):
                time.sleep(0.05)
            info = {**info, "status": "gave-up"}
            break
        time.sleep(0.005)  # the last pre-copy sample: at most 5 ms before the pause
    lines = [line.split() for line in source.serial_lines() if line.startswith("dirty ")]
    rates = [float(fields[1]) for fields in lines if len(fields) == 2]
    during = [float(line.split()[1]) for line in source.serial_lines()[lines_before:]
              if line.startswith("dirty ") and len(line.split()) == 2]
    # A migration shorter than the guest's 1 s report: its last report before it.
    dirty = during or rates[-1:]
    ram = info.get("ram", {})
    active_ram = last_active.get("ram", {})
    setup_s = info.get("setup-time", 0) / 1000.0
    active_s = max(1e-3, last_active.get("total-time", 0) / 1000.0 - setup_s)
    sent = ram.get("transferred", 0) / MIB
    active_sent = active_ram.get("transferred", 0) / MIB
    # The cap is enforced per 100 ms window, each window's budget sent in a burst:
    # a least-squares slope over the whole pre-copy, not the last sample's average.
    achieved = active_sent / active_s if active_sent else 0.0
    slope = achieved
    if len(samples) >= 10:
        slope = statistics.linear_regression([x[0] for x in samples], [x[1] for x in samples]).slope
    windows = [x[2] for x in samples if x[2] > 0]
    return Measured(
        converged=info.get("status") == "completed",
        total_s=info.get("total-time", 0) / 1000.0 - setup_s,
        downtime_ms=float(info.get("downtime", 0)),
        sent_mib=sent,
        achieved_mibps=achieved,
        slope_mibps=slope,
        qemu_mibps=statistics.median(windows) if windows else 0.0,
        samples=len(samples),
        left_mib=max(0.0, sent - active_sent),
        syncs=int(ram.get("dirty-sync-count", 0)),
        dirty_mibps=statistics.median(dirty) if dirty else 0.0,
    )


# --- The model, fed the same inputs.


def model(memory: float, dirty: float, ws: float, bandwidth: float, limit_ms: int, link: float | None,
          convergence: str, fixed_s: float, interval_s: float = 0.0, ram: float = 0.0) -> dict:
    spec = MigrationSpec(
        memory_mib=memory, dirty_rate_mibps=dirty, working_set_mib=ws,
        schedule=((0.0, limit_ms / 1000.0),), timeout_s=0.0, convergence=convergence,
        check_interval_s=interval_s, ram_mib=ram,
    )
    result = migrate(spec, bandwidth, fixed_s, link)
    return {
        "converged": result.outcome == EV_CONVERGED,
        "total_s": result.total_s,
        "downtime_ms": result.downtime_s * 1000.0,
        "sent_mib": result.sent_mib,
    }


def with_links(records: list[dict], link: float | None = None) -> list[dict]:
    """Each record with the link speed to give the model: ``link``, or else the
    median stop-and-copy speed measured in the *other* points (leave one out:
    no point's own downtime goes into its prediction)."""
    out = []
    for i, record in enumerate(records):
        others = [r["stopcopy_mibps"] for j, r in enumerate(records) if j != i and r.get("stopcopy_mibps")]
        speed = link or (statistics.median(others) if others else record["paused_copy_mibps"])
        out.append({**record, "switchover_mibps": round(speed, 1)})
    return out


def precopy_mibps(record: dict) -> float:
    """The pre-copy bandwidth to give the model: QEMU's own per-window measure (median).

    Not ``achieved_mibps`` (sent / time at the last "active" sample): QEMU
    still reports "active" for a moment after the stop-and-copy has run, so
    in a short migration that sample holds the uncapped stop-and-copy (seen:
    504 MiB/s "achieved" under a 200 MiB/s cap; the least-squares slope
    holds it too). Where QEMU reported no window (it paused at its first
    look), the cap: what its rate limit lets a window send.
    """
    return record.get("qemu_mibps") or record["cap_mibps"]


def compare(record: dict, fixed_s: float = DOWNTIME_FIXED_S) -> dict:
    """The record with the models' figures for its inputs."""
    bandwidth = precopy_mibps(record)
    link = record["switchover_mibps"]
    memory, dirty, ws, limit = record["resident_mib"], record["dirty_mibps"], record["ws_mib"], record["limit_ms"]
    return {
        **record,
        "model": model(memory, dirty, ws, bandwidth, limit, link, CONTINUOUS, fixed_s, CHECK_INTERVAL_S,
                       float(record["ram_mib"])),
        "textbook": model(memory, dirty, ws, bandwidth, limit, None, ROUND_END, 0.0),
        "operator": model(float(record["ram_mib"]), float(record["nominal_dirty_mibps"]), ws,
                          float(record["cap_mibps"]), limit, link, CONTINUOUS, fixed_s, CHECK_INTERVAL_S,
                          float(record["ram_mib"])),
        "ratio": round(dirty / bandwidth, 3) if bandwidth else 0.0,
    }


def error(model_value: float, real: float) -> float:
    """Relative error of the model, signed (positive: the model says more)."""
    return (model_value - real) / real if real else math.nan


def run_boot(kernel: str, initrd: str, boot: Boot, give_up: float) -> Iterator[dict]:
    run_dir = tempfile.mkdtemp(prefix="fidelity-")
    guests: list[Guest] = []
    try:
        source = Guest(run_dir, "g0", kernel, initrd, boot, None)
        guests.append(source)
        free_kib = wait_ready(source)
        guest_resident = boot.ram_mib - free_kib / 1024.0
        # The first migration out of a freshly booted guest runs several times
        # slower than any later one (seen: 166 against 900-1200 MiB/s): one
        # warm-up, then one of the paused guest, uncapped, which measures the
        # speed of a stop-and-copy (no vCPU running, no rate limit).
        speeds = []
        copies = []
        for name in ("warm", "copy"):
            port = free_port()
            dest = Guest(run_dir, name, kernel, initrd, boot, port)
            guests.append(dest)
            source.qmp.cmd("stop")
            warm = one_migration(source, dest, port, 0, 300, 120.0)
            if not warm.converged:
                raise RuntimeError("a warm-up migration of a paused guest did not complete")
            speeds.append(warm.sent_mib / max(warm.total_s, 1e-3))
            copies.append(warm.sent_mib)
            source.stop()
            source = dest
            source.qmp.cmd("cont")
        time.sleep(1.0)
        # What a full copy of the paused guest cost QEMU, in bytes on the wire:
        # its resident memory as the hypervisor counts it (page headers included).
        resident = copies[-1]
        for i, (cap, limit_ms) in enumerate(boot.points):
            port = free_port()
            dest = Guest(run_dir, f"g{i + 1}", kernel, initrd, boot, port)
            guests.append(dest)
            # A few times round 0 at the cap, or twice what the model expects at the cap,
            # before calling it stuck (the model only sets how long to wait).
            expected = model(resident, boot.rate_mibps, boot.ws_mib, cap * 0.9, limit_ms, None,
                             CONTINUOUS, DOWNTIME_FIXED_S, CHECK_INTERVAL_S)["total_s"]
            give_up_s = max(10.0, give_up * resident / cap, 2.0 * expected if math.isfinite(expected) else 0.0)
            got = one_migration(source, dest, port, cap, limit_ms, give_up_s)
            record = {
                "ram_mib": boot.ram_mib, "resident_mib": round(resident, 1),
                "guest_resident_mib": round(guest_resident, 1), "ws_mib": boot.ws_mib,
                "nominal_dirty_mibps": boot.rate_mibps, "cap_mibps": cap, "limit_ms": limit_ms,
                "achieved_mibps": round(got.achieved_mibps, 2), "slope_mibps": round(got.slope_mibps, 2),
                "qemu_mibps": round(got.qemu_mibps, 2), "samples": got.samples, "dirty_mibps": got.dirty_mibps,
                "paused_copy_mibps": round(speeds[-1], 1), "converged": got.converged,
                "total_s": round(got.total_s, 3), "downtime_ms": got.downtime_ms,
                "sent_mib": round(got.sent_mib, 1), "left_mib": round(got.left_mib, 2), "syncs": got.syncs,
            }
            # The stop-and-copy's own speed: what was sent after the last pre-copy
            # sample, over the downtime less the fixed part (only where that is
            # mostly data: a few MiB or more).
            data_ms = got.downtime_ms - DOWNTIME_FIXED_S * 1000.0
            record["stopcopy_mibps"] = (
                round(got.left_mib / (data_ms / 1000.0), 1) if got.converged and got.left_mib >= 4 and data_ms >= 2
                else None
            )
            yield record
            if got.converged:
                source.stop()
                source = dest
                if boot.rate_mibps and not dirtying(source):
                    # QEMU 7.2 under TCG can lose dirty pages (see the note): a guest
                    # that stopped working after a migration ends its boot's points.
                    raise RuntimeError("the guest stopped dirtying after a migration")
            else:
                dest.stop()
    finally:
        for guest in guests:
            guest.stop()
        shutil.rmtree(run_dir, ignore_errors=True)


def summary(points: list[dict], which: str) -> dict:
    away = [p for p in points if abs(p["ratio"] - 1.0) > BOUNDARY]
    # Near the boundary a migration's length goes as 1 / (1 - dirty / bandwidth):
    # errors are reported away from it, as the agreement is.
    both = [p for p in away if p["converged"] and p[which]["converged"]]
    agree = [p for p in away if p["converged"] == p[which]["converged"]]

    def errs(key: str) -> list[float]:
        return [abs(error(p[which][key], p[key])) for p in both if p[key]]

    total, sent = errs("total_s"), errs("sent_mib")
    # QEMU reports downtime in whole milliseconds, and a shared machine's scheduler
    # moves a few-ms figure by its own size: relative errors where it is 10 ms or
    # more, absolute ones everywhere.
    down = [abs(error(p[which]["downtime_ms"], p["downtime_ms"])) for p in both if p["downtime_ms"] >= 10]
    down_abs = [abs(p[which]["downtime_ms"] - p["downtime_ms"]) for p in both]
    verdict = [
        (p["downtime_ms"] <= p["limit_ms"]) == (p[which]["downtime_ms"] <= p["limit_ms"]) for p in both
    ]
    med = lambda xs: round(statistics.median(xs) * 100, 1) if xs else None  # noqa: E731
    top = lambda xs: round(max(xs) * 100, 1) if xs else None  # noqa: E731
    return {
        "points": len(points),
        "both_converged": len(both),
        "convergence_agreement": f"{len(agree)}/{len(away)}",
        "boundary_points": len(points) - len(away),
        "total_median_pct": med(total), "total_max_pct": top(total),
        "sent_median_pct": med(sent), "sent_max_pct": top(sent),
        "downtime_points_10ms": len(down),
        "downtime_median_pct": med(down), "downtime_max_pct": top(down),
        "downtime_abs_median_ms": round(statistics.median(down_abs), 1) if down_abs else None,
        "downtime_abs_p90_ms": round(sorted(down_abs)[int(0.9 * (len(down_abs) - 1))], 1) if down_abs else None,
        "downtime_verdict_right": f"{sum(verdict)}/{len(verdict)}",
    }


HEADER = ("ram  res  ws  dirty  cap  bw    limit | QEMU: conv total   down   sent  syncs |"
          " model: conv total   down   sent | errors total sent down")


def print_point(p: dict) -> None:
    m = p["model"]
    fmt = lambda v, spec: format(v, spec) if math.isfinite(v) else "inf"  # noqa: E731
    both = p["converged"] and m["converged"]
    errs = (
        f"{error(m['total_s'], p['total_s']) * 100:+6.1f}% {error(m['sent_mib'], p['sent_mib']) * 100:+6.1f}%"
        f" {error(m['downtime_ms'], p['downtime_ms']) * 100:+7.1f}%" if both else "   -"
    )
    print(
        f"{p['ram_mib']:4d} {p['resident_mib']:4.0f} {p['ws_mib']:3d} {p['dirty_mibps']:5.1f}"
        f" {p['cap_mibps']:4d} {p['achieved_mibps']:5.1f} {p['limit_ms']:4d} |"
        f" {'yes' if p['converged'] else 'no ':>4} {p['total_s']:6.2f} {p['downtime_ms']:5.0f}"
        f" {p['sent_mib']:6.0f} {p['syncs']:5d} |"
        f" {'yes' if m['converged'] else 'no ':>4} {fmt(m['total_s'], '6.2f')} {m['downtime_ms']:5.0f}"
        f" {fmt(m['sent_mib'], '6.0f')} | {errs}",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default="var/fidelity", help="where the kernel and the guest are kept")
    parser.add_argument("--quick", action="store_true", help="three points, to check the bench itself")
    parser.add_argument("--give-up", type=float, default=2.5,
                        help="cancel a migration after this many first-round times (default 2.5)")
    parser.add_argument("--link-mibps", type=float, default=None,
                        help="the stop-and-copy's speed to give the model (default: the median of the "
                        "other points' measured stop-and-copy speeds)")
    parser.add_argument("--output", help="write every point's records here (JSON)")
    parser.add_argument("--calibration-out", help="fit a calibration from the points and write it here")
    parser.add_argument("--replay", metavar="FILE",
                        help="compare the model with the real migrations recorded in an --output file, "
                        "without running QEMU (after a change to the model)")
    args = parser.parse_args()
    started = time.monotonic()
    points: list[dict] = []
    failed: list[str] = []
    derived = ("model", "textbook", "operator", "ratio", "switchover_mibps")
    if args.replay:
        with open(args.replay) as fh:
            saved = json.load(fh)
        qemu = saved["summary"]["qemu"]
        raw = [{k: v for k, v in record.items() if k not in derived} for record in saved["points"]]
        print(HEADER)
    else:
        for tool in ("qemu-system-x86_64", "gcc", "cpio"):
            if shutil.which(tool) is None:
                parser.error(f"{tool} is not installed: run `make fidelity`, which installs it")
        qemu = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True, text=True).stdout
        qemu = qemu.splitlines()[0]
        kernel, initrd = build_guest(args.workdir)
        raw = []
        for boot in QUICK if args.quick else GRID:
            try:
                for p in run_boot(kernel, initrd, boot, args.give_up):
                    raw.append(p)
                    print(f"measured: {json.dumps(p)}", flush=True)
            except (RuntimeError, OSError, ValueError) as exc:
                # One boot's failure (a guest that did not come up) leaves the others' points.
                failed.append(f"{boot.ram_mib} MiB, fill {boot.fill_mib}, {boot.rate_mibps} MiB/s: {exc}")
                print(f"boot failed: {failed[-1]}", flush=True)
        print(HEADER)
    for record in with_links(raw, args.link_mibps):
        points.append(compare(record))
        print_point(points[-1])
    result = {
        "bench": "fidelity",
        "qemu": qemu,
        "link_mibps": statistics.median(p["switchover_mibps"] for p in points) if points else None,
        "downtime_fixed_ms": DOWNTIME_FIXED_S * 1000.0,
        "model": summary(points, "model"),
        "textbook": summary(points, "textbook"),
        "operator_inputs": summary(points, "operator"),
        "failed_boots": failed,
        "wall_s": round(time.monotonic() - started, 1),
    }
    # Fixed part as measured here: the downtime of idle guests (nothing dirtied, little left).
    idle = [p["downtime_ms"] for p in points if p["converged"] and p["nominal_dirty_mibps"] == 0]
    result["idle_downtime_median_ms"] = statistics.median(idle) if idle else None
    if args.output:
        with open(args.output, "w") as fh:
            json.dump({"summary": result, "points": points}, fh, indent=1, default=str)
    if args.calibration_out:
        calibration = fit(points, source="bench/fidelity.py")
        save(calibration, args.calibration_out)
        result["calibration"] = calibration.to_dict()
    print("model (continuous check, stop-and-copy at the link, fixed part):", json.dumps(result["model"]))
    print("textbook (round ends, capped stop-and-copy):", json.dumps(result["textbook"]))
    print("operator inputs (flavor RAM, nominal dirty rate, cap):", json.dumps(result["operator_inputs"]))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
