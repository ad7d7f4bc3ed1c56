"""The reference VNF manager (sandbox/vnfm.py) as a separate process, for the tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request

from tests.livesite import ROOT, free_port


class VnfmProcess:
    """``python -m sandbox.vnfm`` on a free port; ``log()`` reads what it did."""

    def __init__(self, mode: str, *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sandbox.vnfm", "--port", str(self.port), "--mode", mode,
             *args], cwd=ROOT, env=dict(os.environ), stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)
        line = self.process.stdout.readline() if self.process.stdout else ""
        if not line.startswith("READY"):
            self.stop()
            raise RuntimeError(f"the reference VNFM did not start: {line!r}")

    def log(self) -> list[dict]:
        with urllib.request.urlopen(self.url + "log", timeout=5) as answer:
            return json.loads(answer.read())

    def wait_for(self, event: str, timeout: float = 30.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [e for e in self.log() if e["event"] == event]
            if found:
                return found
            time.sleep(0.2)
        raise AssertionError(f"the VNFM logged no {event!r}: {self.log()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def fenix_hooks(vnfm: VnfmProcess, site_url: str, **extra) -> dict:
    """settings.ESCALATOR_HOOKS naming the VNFM ``vnfm`` as a ``fenix`` VNF manager."""
    return {"vnf_managers": {"vnfm": {"kind": "fenix", "url": vnfm.url,
                                      "reply_base_url": site_url, "poll_s": 0.2, **extra}}}

