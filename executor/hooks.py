"""Pluggable hooks: the VNF manager and the host upgrade driver (pure: stdlib only).

Both are configured per execution by a small dict (stored with it), e.g.::

    {"vnf_manager": {"kind": "webhook", "url": "http://vnfm/escalator", "timeout_s": 10},
     "upgrade_driver": {"kind": "command", "command": "ansible-playbook up.yml -l {host}"}}

Errors follow ``executor.port``: ``Transient`` when trying again may help (a
timeout, a refused connection, HTTP 5xx), ``Permanent`` otherwise.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any, Protocol

from executor.port import Permanent, Transient


class VnfManager(Protocol):
    """Takes VNF members out of service before their host goes, and back after."""

    def switchover(self, *, vnf: str, server: str, host: str, plan: str) -> None: ...

    def restore(self, *, vnf: str, server: str, host: str, plan: str) -> None: ...


class UpgradeDriver(Protocol):
    """Upgrades one host's software (and reboots it)."""

    def start(self, host: str) -> None: ...

    def in_progress(self, host: str) -> bool | None:
        """True/False when the driver can tell, None when it cannot."""
        ...


class NoVnfManager:
    """No VNF manager: switchover only stops the member in place."""

    def switchover(self, **event: str) -> None:
        return None

    def restore(self, **event: str) -> None:
        return None


def post_json(url: str, body: Mapping[str, Any], timeout: float) -> Any:
    """POST JSON; our error classes for failures (5xx and timeouts are transient)."""
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as exc:
        cls = Transient if exc.code >= 500 or exc.code in (408, 429) else Permanent
        raise cls(f"{url} answered HTTP {exc.code}", status=exc.code) from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise Transient(f"{url}: {getattr(exc, 'reason', exc)}") from exc
    return json.loads(raw) if raw.strip() else None


def get_json(url: str, timeout: float) -> Any:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        cls = Transient if exc.code >= 500 else Permanent
        raise cls(f"{url} answered HTTP {exc.code}", status=exc.code) from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise Transient(f"{url}: {getattr(exc, 'reason', exc)}") from exc


class WebhookVnfManager:
    """POSTs ``{"event": "switchover"|"restore", "vnf", "server", "host", "plan"}``.

    Any 2xx answer within ``timeout_s`` means done.
    """

    def __init__(self, url: str, timeout_s: float = 10.0) -> None:
        self.url = url
        self.timeout_s = timeout_s

    def switchover(self, **event: str) -> None:
        post_json(self.url, {"event": "switchover", **event}, self.timeout_s)

    def restore(self, **event: str) -> None:
        post_json(self.url, {"event": "restore", **event}, self.timeout_s)


class CommandUpgradeDriver:
    """Runs a shell command (or an Ansible playbook) with ``{host}`` filled in.

    It cannot observe progress: a step retried after a crash runs it again,
    so the command must be idempotent (Ansible playbooks are meant to be).
    """

    def __init__(self, command: str, timeout_s: float = 3600.0) -> None:
        self.command = command
        self.timeout_s = timeout_s

    def start(self, host: str) -> None:
        argv = [part.replace("{host}", host) for part in shlex.split(self.command)]
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=self.timeout_s,
                                  check=False)
        except subprocess.TimeoutExpired as exc:
            raise Permanent(f"upgrade command timed out after {self.timeout_s:g} s") from exc
        except OSError as exc:
            raise Permanent(f"upgrade command could not run: {exc}") from exc
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip()[-500:]
            raise Permanent(f"upgrade command exited {done.returncode}: {tail}")

    def in_progress(self, host: str) -> bool | None:
        return None


class WebhookUpgradeDriver:
    """POSTs ``{"event": "upgrade", "host": ...}``; 2xx means the upgrade started."""

    def __init__(self, url: str, timeout_s: float = 30.0) -> None:
        self.url = url
        self.timeout_s = timeout_s

    def start(self, host: str) -> None:
        post_json(self.url, {"event": "upgrade", "host": host}, self.timeout_s)

    def in_progress(self, host: str) -> bool | None:
        return None


class SandboxUpgradeDriver:
    """The sandbox's host upgrade action (docs/sandbox.md): stop, wait, restart, new versions."""

    def __init__(self, control_url: str, down_s: float = 2.0, timeout_s: float = 30.0) -> None:
        self.control_url = control_url.rstrip("/")
        self.down_s = down_s
        self.timeout_s = timeout_s

    def start(self, host: str) -> None:
        post_json(f"{self.control_url}/hosts/{host}/upgrade", {"down_s": self.down_s},
                  self.timeout_s)

    def in_progress(self, host: str) -> bool | None:
        state = get_json(self.control_url, self.timeout_s)
        return bool(state["hosts"][host]["upgrading"])


def make_vnf_manager(config: Mapping[str, Any] | None) -> VnfManager:
    config = dict(config or {})
    kind = config.get("kind", "none")
    if kind == "none":
        return NoVnfManager()
    if kind == "webhook":
        return WebhookVnfManager(config["url"], float(config.get("timeout_s", 10.0)))
    if kind == "fenix":
        # The two-way exchange (executor/vnfm.py) replaces the one-way calls.
        if not config.get("url") or not config.get("reply_base_url"):
            raise ValueError("vnf_manager: a 'fenix' VNF manager needs url and reply_base_url")
        return NoVnfManager()
    raise ValueError(f"vnf_manager.kind: 'none', 'webhook' or 'fenix', not {kind!r}")


def make_upgrade_driver(config: Mapping[str, Any] | None,
                        sandbox_control: str = "") -> UpgradeDriver:
    """The driver a config names; ``sandbox`` needs the sandbox's control URL."""
    config = dict(config or {"kind": "sandbox"})
    kind = config.get("kind", "sandbox")
    if kind == "sandbox":
        url = config.get("control_url") or sandbox_control
        if not url:
            raise ValueError("upgrade_driver: the sandbox driver needs the sandbox's control URL")
        return SandboxUpgradeDriver(url, float(config.get("down_s", 2.0)))
    if kind == "command":
        return CommandUpgradeDriver(config["command"], float(config.get("timeout_s", 3600.0)))
    if kind == "webhook":
        return WebhookUpgradeDriver(config["url"], float(config.get("timeout_s", 30.0)))
    raise ValueError(f"upgrade_driver.kind: 'sandbox', 'command' or 'webhook', not {kind!r}")
