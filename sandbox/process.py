"""Start and stop a sandbox cloud process from another Python process.

Used by the pytest fixtures, the benchmark and the demo. Imports no nova:
the cloud runs in the child (``python -m sandbox.server``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from domain.snapshot import Snapshot
from inventory.files import write_inventory

ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT_S = 180
# Short, so that a dying compute is seen soon (heartbeats are then every
# second, so late ones are tolerated). Executor tests rely on this value
# (tests/executor/helpers.py SETTLE_S).
SERVICE_DOWN_TIME_S = 5
# Nova's scheduler_instance_sync_interval (120 s) shortened as the down time is
# (60 s): how long the scheduler may count a server on the host it left.
INSTANCE_SYNC_S = 10


@dataclass
class SandboxHandle:
    """A running sandbox: where it is, what it was seeded with, how to drive it."""

    pid: int
    port: int
    clouds_yaml: Path
    seed: Snapshot
    cloud_name: str = "sandbox"
    service_down_time: int = SERVICE_DOWN_TIME_S
    log: list[str] = field(default_factory=list)

    @property
    def ready(self) -> dict[str, str]:
        """The fields of the READY line (port, hosts, servers, boot_errors, restored...)."""
        line = next(line for line in self.log if line.startswith("READY"))
        return dict(part.split("=", 1) for part in line.split()[1:])

    @property
    def control_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/_control"

    def control(self, method: str, path: str = "", body: Any = None,
                timeout: float = 180) -> Any:
        """Call the control endpoint; raises on any non-2xx answer."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.control_url + path, data=data, method=method,
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read() or b"null")

    def inject(self, kind: str, **options: Any) -> dict[str, Any]:
        return self.control("POST", "/faults", {"kind": kind, **options})

    def reset(self) -> dict[str, Any]:
        return self.control("POST", "/reset")

    def cloud(self, **kwargs: Any):
        """An ``OpenStackCloud`` adapter on this sandbox (through its own clouds.yaml)."""
        from executor.openstack_adapter import OpenStackCloud

        return OpenStackCloud.from_cloud(self.cloud_name, config_file=self.clouds_yaml, **kwargs)


def start_sandbox(workdir: Path, seed: Snapshot, *, extra_args: tuple[str, ...] = (),
                  timeout: float = READY_TIMEOUT_S) -> tuple[subprocess.Popen, SandboxHandle]:
    """Start a sandbox process and wait for READY (its stderr goes to a file)."""
    inventory = workdir / "sandbox-inventory.yaml"
    write_inventory(seed, inventory)
    clouds = workdir / "clouds.yaml"
    errors = (workdir / "sandbox.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox.server", "--inventory", str(inventory),
         "--port", "0", "--clouds-yaml", str(clouds),
         "--service-down-time", str(SERVICE_DOWN_TIME_S),
         "--instance-sync-s", str(INSTANCE_SYNC_S), *extra_args],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=errors, text=True)
    ready: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            ready.append(line.rstrip("\n"))
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + timeout
    while not any(line.startswith("READY") for line in ready):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_sandbox(proc)
            log = (workdir / "sandbox.log").read_text()
            # The progress lines say how far it got; the tail says why it stopped.
            progress = [line for line in log.splitlines() if line.startswith("sandbox:")]
            tail = "\n".join(progress[-3:]) + "\n...\n" + log[-3000:]
            raise RuntimeError(f"the sandbox did not become ready:\n{tail}")
        time.sleep(0.1)
    line = next(line for line in ready if line.startswith("READY"))
    fields = dict(part.split("=", 1) for part in line.split()[1:])
    handle = SandboxHandle(pid=proc.pid, port=int(fields["port"]), clouds_yaml=clouds,
                           seed=seed, log=ready)
    return proc, handle


def stop_sandbox(proc: subprocess.Popen) -> None:
    """SIGTERM by PID, then SIGKILL if it has not gone within 20 s."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
