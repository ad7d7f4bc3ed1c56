"""Run the sandbox cloud: ``python -m sandbox.server --inventory FILE --port P``.

Builds real Nova (API, conductor, scheduler) and Placement with one fake
compute per inventory host, serves them on 127.0.0.1, writes a clouds.yaml
entry, prints one line starting with ``READY``, and stops on SIGTERM.
Always its own process: nova patches things process-wide.
"""

from __future__ import annotations

import argparse
import atexit
import faulthandler
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from wsgiref.simple_server import make_server

import yaml

from sandbox.http import QuietHandler, ThreadingServer


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox.server", description=__doc__)
    parser.add_argument("--inventory", help="Escalator inventory file (YAML or JSON); "
                        "default: the small built-in cloud of sandbox/seed.py")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--clouds-yaml", default="var/clouds.yaml",
                        help="clouds.yaml to write (other entries are kept)")
    parser.add_argument("--cloud-name", default="sandbox")
    parser.add_argument("--service-down-time", type=int, default=10,
                        help="seconds without a heartbeat before nova says a service is down")
    parser.add_argument("--instance-sync-s", type=float, default=20.0,
                        help="how often each compute sends the scheduler its instance list "
                        "(nova's scheduler_instance_sync_interval, 120 s on a real cloud; "
                        "0: never)")
    parser.add_argument("--live-migration-s", type=float, default=0.0,
                        help="extra seconds every live migration takes")
    parser.add_argument("--boot-workers", type=int, default=2,
                        help="threads posting boots; four times as many boots are in flight")
    parser.add_argument("--rpc-timeout", type=int, default=60,
                        help="seconds an RPC call (e.g. to a dead compute) may take once ready")
    parser.add_argument("--cache-dir", default="",
                        help="keep nova's databases here after a build, and start the "
                        "same cloud from them next time (see sandbox/snapshot.py)")
    parser.add_argument("--pin-cpus", action=argparse.BooleanOptionalAction, default=True,
                        help="run nova on one CPU and Placement on the others (nova's "
                        "services share one GIL: on two cores it only loses time handing "
                        "it over)")
    parser.add_argument("--build-timeout", type=float, default=0.0,
                        help="give up (printing every thread's stack) after this many seconds; "
                        "0: 120 s plus 3 s per server")
    return parser.parse_args(argv)


def write_clouds_yaml(path: Path, name: str, port: int) -> None:
    """Add or replace the ``name`` entry of ``path``, keeping the others."""
    data: dict = {}
    if path.exists():
        data = yaml.safe_load(path.read_text()) or {}
    base = f"http://127.0.0.1:{port}"
    data.setdefault("clouds", {})[name] = {
        "auth_type": "none",
        "region_name": "RegionOne",
        "compute_endpoint_override": f"{base}/v2.1",
        "placement_endpoint_override": f"{base}/placement",
        # Not an openstacksdk key: where tests and demos inject faults.
        "escalator_sandbox_control": f"{base}/_control",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    # Owner-only from the start, like every clouds.yaml (a real one holds passwords).
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(yaml.safe_dump(data, sort_keys=True))
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def _sweep_stale_scratch(parent: Path) -> None:
    """Remove the scratch directories of sandboxes that were killed outright."""
    for path in parent.glob("escalator-sandbox-*-*"):
        pid = path.name.split("-")[2]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(path, ignore_errors=True)


def _pin_cpus() -> set[int] | None:
    """Keep this process on one CPU; the CPUs left for Placement's process."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None
    try:
        os.sched_setaffinity(0, {cpus[-1]})
    except OSError as exc:  # a container may forbid it: slower, not broken
        print(f"sandbox: CPUs left unpinned ({exc})", file=sys.stderr, flush=True)
        return None
    return set(cpus[:-1])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    # `kill -USR1 PID` prints every thread's stack to stderr: how to see
    # where a stuck cloud is stuck.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    if args.inventory:
        from inventory.files import InventoryError, load_inventory

        try:
            seed = load_inventory(args.inventory)
        except InventoryError as exc:
            print(f"FAILED: {exc}", file=sys.stderr, flush=True)
            return 2
    else:
        from sandbox.seed import small_cloud

        seed = small_cloud()
    # Nova's databases are SQLite files in the temp directory, synced on
    # every commit: on a RAM disk the cloud boots several times faster.
    ram_disk = "/dev/shm" if os.path.isdir("/dev/shm") else None
    _sweep_stale_scratch(Path(ram_disk or tempfile.gettempdir()))
    scratch = tempfile.mkdtemp(prefix=f"escalator-sandbox-{os.getpid()}-", dir=ram_disk)
    tempfile.tempdir = scratch
    atexit.register(shutil.rmtree, scratch, True)

    def leave(code: int) -> None:
        # os._exit skips atexit: nova leaves non-daemon threads that would
        # otherwise keep the process alive.
        shutil.rmtree(scratch, ignore_errors=True)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    # Nova's threading mode: must be decided before the first nova import,
    # and nova.tests.functional must be that first import.
    os.environ["OS_NOVA_DISABLE_EVENTLET_PATCHING"] = "1"
    import nova.tests.functional  # noqa: F401
    from placement import deploy

    from sandbox.cloud import Sandbox
    from sandbox.front import Front

    sandbox = Sandbox(seed, service_down_time=args.service_down_time,
                      placement_cpus=_pin_cpus() if args.pin_cpus else None,
                      live_migration_s=args.live_migration_s,
                      boot_workers=args.boot_workers, rpc_timeout=args.rpc_timeout,
                      instance_sync_s=args.instance_sync_s,
                      cache_dir=Path(args.cache_dir).resolve() if args.cache_dir else None)
    # Stopped while building: nothing to serve, just leave (cleaning up).
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, frame: leave(128 + signum))
    # A build that takes this long is stuck: show where, to stderr.
    faulthandler.dump_traceback_later(
        args.build_timeout or 120 + 3 * len(seed.servers), exit=True)
    try:
        sandbox.build()
        faulthandler.cancel_dump_traceback_later()
    except Exception:
        # Nova leaves non-daemon threads behind: a plain return would hang.
        traceback.print_exc()
        print("FAILED to build the sandbox cloud", file=sys.stderr, flush=True)
        leave(1)
    harness = sandbox.harness
    placement_app = deploy.loadapp(harness.placement.fixture.conf_fixture.conf)
    front = Front(harness.api_fixture.app(), placement_app, sandbox, sandbox.project_id)
    httpd = make_server("127.0.0.1", args.port, front, server_class=ThreadingServer,
                        handler_class=QuietHandler)
    port = httpd.server_address[1]
    clouds = Path(args.clouds_yaml).resolve()
    write_clouds_yaml(clouds, args.cloud_name, port)

    def on_signal(signum: int, frame: object) -> None:
        # shutdown() waits for serve_forever to return: not from its thread.
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    for problem in sandbox.boot_errors:
        print(f"boot error: {problem}", file=sys.stderr, flush=True)
    print(f"READY port={port} url=http://127.0.0.1:{port}/v2.1 cloud={args.cloud_name} "
          f"clouds_yaml={clouds} hosts={len(seed.hosts)} servers={len(seed.servers)} "
          f"boot_errors={len(sandbox.boot_errors)} restored={int(sandbox.restored)} "
          f"placement={sandbox.placement_endpoint} "
          f"pid={os.getpid()} "
          f"seconds={time.monotonic() - started:.1f}", flush=True)
    try:
        httpd.serve_forever(poll_interval=0.2)
    finally:
        httpd.server_close()
        print("STOPPED", flush=True)
        # Nova's cleanups can block on threads of stopped services: give
        # them a moment, then leave without waiting for daemon threads.
        cleanup = threading.Thread(target=sandbox.stop, daemon=True)
        cleanup.start()
        cleanup.join(timeout=5)
        leave(0)


if __name__ == "__main__":
    sys.exit(main())
