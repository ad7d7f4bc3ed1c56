"""A real Prometheus Alertmanager (Debian's prometheus-alertmanager) for the tests.

Started on a free loopback port with a throw-away configuration and storage;
alerts are posted to its API v2 as Prometheus would, and resolved by posting
them again with ``endsAt`` now. Missing binary: the test fails and says how to
install it (``make system-deps``), it never skips.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.livesite import free_port

BINARY = "prometheus-alertmanager"
CONFIG = """\
route:
  receiver: "null"
  group_wait: 1s
receivers:
  - name: "null"
"""


class Alertmanager:
    def __init__(self, workdir: Path) -> None:
        binary = shutil.which(BINARY)
        if binary is None:
            raise RuntimeError(f"{BINARY} is not installed: run `make system-deps` "
                               "(Debian package prometheus-alertmanager)")
        (workdir / "alertmanager.yml").write_text(CONFIG)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(workdir / "alertmanager.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [binary, f"--config.file={workdir / 'alertmanager.yml'}",
             f"--storage.path={workdir / 'data'}", f"--web.listen-address=127.0.0.1:{self.port}",
             "--cluster.listen-address=", "--log.level=warn"],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"alertmanager exited: see {self.log.name}")
            try:
                urllib.request.urlopen(self.url + "/-/ready", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"alertmanager did not get ready: see {self.log.name}")

    def _post(self, alerts: list[dict]) -> None:
        request = urllib.request.Request(self.url + "/api/v2/alerts",
                                         data=json.dumps(alerts).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=5).close()

    def fire(self, name: str, severity: str = "critical", summary: str = "",
             **labels: str) -> None:
        now = datetime.now(UTC)
        self._post([{"labels": {"alertname": name, "severity": severity, **labels},
                     "annotations": {"summary": summary} if summary else {},
                     "startsAt": now.isoformat(),
                     "endsAt": (now + timedelta(hours=1)).isoformat()}])

    def resolve(self, name: str, severity: str = "critical", **labels: str) -> None:
        now = datetime.now(UTC)
        self._post([{"labels": {"alertname": name, "severity": severity, **labels},
                     "startsAt": (now - timedelta(minutes=1)).isoformat(),
                     "endsAt": now.isoformat()}])

    def active(self) -> list[str]:
        with urllib.request.urlopen(self.url + "/api/v2/alerts?active=true", timeout=5) as r:
            return sorted(a["labels"]["alertname"] for a in json.load(r))

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture
def alertmanager(tmp_path):
    manager = Alertmanager(tmp_path)
    yield manager
    manager.stop()
