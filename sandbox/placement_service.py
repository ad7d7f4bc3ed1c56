"""Placement in a process of its own, as a real cloud runs it.

Nova's functional fixtures run Placement inside the sandbox process, where
its answers to the scheduler and the computes (a candidates query and a
claim per boot, inventory reports) took a quarter of the one GIL all of
nova shares. Here the same Placement WSGI app, on the same database file
(SQLite in WAL mode serves several processes), answers on loopback from a
process of its own, on a core of its own.

The parent (``PlacementService``) starts the child early, so that its
imports overlap nova's set-up, and hands it the database once nova's
fixtures have made it. The child (``python -m sandbox.placement_service``)
reads that one JSON line from stdin, prints ``READY port=N``, serves, and
leaves when its stdin closes: when the sandbox is gone, however it went.
Imports no nova.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
from typing import Any
from wsgiref.simple_server import make_server

READY_TIMEOUT_S = 60.0


class PlacementServiceError(RuntimeError):
    pass


class PlacementService:
    """The parent's handle on the Placement child process."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc = proc
        self.port = 0

    @classmethod
    def spawn(cls, cpus: set[int] | None = None) -> PlacementService:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sandbox.placement_service"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if cpus:
            with contextlib.suppress(OSError):  # only slower where refused
                os.sched_setaffinity(proc.pid, cpus)
        return cls(proc)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/placement"

    def attach(self, connection: str, policy_file: str | None) -> str:
        """Give the child its database; its endpoint once it serves."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(
            {"connection": connection, "policy_file": policy_file}) + "\n")
        self.proc.stdin.flush()
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(self.proc.stdout.readline()),
                                  daemon=True)
        reader.start()
        reader.join(READY_TIMEOUT_S)
        if not line or not line[0].startswith("READY"):
            self.stop()
            said = line[0].strip() if line else f"no READY within {READY_TIMEOUT_S:g} s"
            raise PlacementServiceError(
                f"the Placement process did not start on {connection} "
                f"(exit code {self.proc.returncode}; {said or 'it printed nothing'}): "
                "its traceback is on the sandbox's stderr")
        self.port = int(line[0].split("port=", 1)[1])
        return self.endpoint

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# --------------------------------------------------------------- the child
def _serialise_writes() -> None:
    """One writer transaction at a time, as nova's DatabaseWriteLock fixture
    does in the sandbox process: SQLite has one writer per database, and a
    transaction that read before another committed cannot then write."""
    from oslo_db.sqlalchemy import enginefacade

    lock = threading.RLock()
    original = enginefacade._TransactionContextManager._transaction_scope

    @contextlib.contextmanager
    def scope(self: Any, context: Any):
        if self._mode is enginefacade._WRITER:
            with lock, original(self, context) as resource:
                yield resource
        else:
            with original(self, context) as resource:
                yield resource

    enginefacade._TransactionContextManager._transaction_scope = scope


def _app(settings: dict[str, Any]) -> Any:
    from oslo_config import cfg
    from oslo_policy import opts as policy_opts
    from placement import conf as placement_conf
    from placement import db_api, deploy

    conf = cfg.ConfigOpts()
    placement_conf.register_opts(conf)
    policy_opts.set_defaults(conf, enforce_new_defaults=False)
    conf.set_override("connection", settings["connection"], group="placement_database")
    conf.set_override("auth_strategy", "noauth2", group="api")
    if settings.get("policy_file"):
        conf.set_override("policy_file", settings["policy_file"], group="oslo_policy")
    conf([], default_config_files=[])
    db_api.configure(conf)
    return deploy.loadapp(conf)


def _leave_when_orphaned() -> None:
    sys.stdin.read()
    os._exit(0)


def main() -> int:
    from sandbox import oslo_speedups
    from sandbox.http import QuietHandler, ThreadingServer

    oslo_speedups.install()
    _serialise_writes()
    line = sys.stdin.readline()
    if not line:
        return 0
    app = _app(json.loads(line))
    # Placement's URLs are rooted at /placement for nova's report client.
    prefix = "/placement"

    def rooted(environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if path.startswith(prefix):
            environ["SCRIPT_NAME"] = prefix
            environ["PATH_INFO"] = path[len(prefix):] or "/"
        return app(environ, start_response)

    httpd = make_server("127.0.0.1", 0, rooted, server_class=ThreadingServer,
                        handler_class=QuietHandler)
    threading.Thread(target=_leave_when_orphaned, daemon=True).start()
    oslo_speedups.settle_heap()
    print(f"READY port={httpd.server_address[1]}", flush=True)
    # Nobody reads the pipe after READY: a stray print must not fill it.
    sys.stdout = sys.stderr
    httpd.serve_forever(poll_interval=0.5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
