"""A reference VNF manager: a small real HTTP service answering Escalator's notifications.

Run as its own process (the tests start it so)::

    python -m sandbox.vnfm --port 8701 --mode prompt
    python -m sandbox.vnfm --port 8701 --mode late --delay 4
    python -m sandbox.vnfm --port 8701 --mode own_action --cloud sandbox --to-host cmp4

It takes the maintenance notifications POSTed to ``/`` (docs/vnfm.md) and,
by ``--mode``:

- ``prompt``: replies at once, each instance's ``--action`` when allowed
  (else the first allowed one);
- ``late``: replies the same after ``--delay`` seconds;
- ``never``: never replies;
- ``error``: replies with an action no instance is allowed (Escalator must
  refuse it with a 400 and change nothing), and nothing more;
- ``nack``: refuses the maintenance (``NACK_PREPARE_MAINTENANCE``, ``--reason``);
- ``own_action``: replies ``OWN_ACTION`` where allowed, then moves those
  instances off the host itself: a live migration through the sandbox's
  compute API (the ``--cloud`` entry of clouds.yaml, ``OS_CLIENT_CONFIG_FILE``),
  to ``--to-host`` or where Nova's scheduler puts them.

``GET /log`` returns what it received and did (JSON), for the tests to read.
With ``--secret`` it checks each notification's ``X-Escalator-Signature``.
Prints ``READY <port>`` once it listens.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODES = ("prompt", "late", "never", "error", "nack", "own_action")


class Vnfm:
    """What the service does with a notification, and its log."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.log: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def note(self, event: str, **data: Any) -> None:
        with self._lock:
            self.log.append({"at": time.time(), "event": event, **data})

    def received(self, body: dict[str, Any]) -> None:
        self.note("received", state=body.get("state"), host=(body.get("metadata") or {}).get(
            "host") or body.get("host"), project_id=body.get("project_id"),
            instance_ids=body.get("instance_ids"), actions_at=body.get("actions_at"),
            body=body)
        if body.get("state") == "PREPARE_MAINTENANCE":
            threading.Thread(target=self.answer, args=(body,), daemon=True).start()

    def choose(self, allowed: list[str], vnf: str = "") -> str:
        mode = self.args.mode
        if mode == "error":
            return "REBOOT"  # no such action: Escalator refuses the reply
        if mode == "own_action" and "OWN_ACTION" in allowed and (
                not self.args.own_vnf or vnf == self.args.own_vnf):
            return "OWN_ACTION"
        if self.args.action in allowed:
            return self.args.action
        return allowed[0]

    def answer(self, body: dict[str, Any]) -> None:
        mode = self.args.mode
        if mode == "never":
            return
        if mode == "late":
            time.sleep(self.args.delay)
        allowed: dict[str, list[str]] = body.get("allowed_actions") or {}
        about = body.get("instances") or {}
        actions = {i: self.choose(a, (about.get(i) or {}).get("vnf", ""))
                   for i, a in allowed.items() if a}
        reply: dict[str, Any] = {"session_id": body["session_id"],
                                 "project_id": body["project_id"],
                                 "state": "ACK_PREPARE_MAINTENANCE",
                                 "instance_actions": actions}
        if mode == "nack":
            reply = {**reply, "state": "NACK_PREPARE_MAINTENANCE",
                     "instance_actions": {}, "reason": self.args.reason}
        status, answer = post(body["reply_url"], reply, body["reply_token"])
        self.note("replied", status=status, answer=answer, reply=reply,
                  host=body["metadata"]["host"])
        if mode == "own_action" and status == 200:
            host = body["metadata"]["host"]
            for instance, action in actions.items():
                if action == "OWN_ACTION":
                    self.move_off(instance, host)

    def move_off(self, server_id: str, host: str) -> None:
        """Our own action: live-migrate the instance off ``host`` and wait for it."""
        from executor.openstack_adapter import OpenStackCloud
        from executor.port import CloudError

        cloud = OpenStackCloud.from_cloud(self.args.cloud, timeout=60)
        error = ""
        for _ in range(10):  # a scheduler not yet seeing a host back answers No valid host
            try:
                cloud.live_migrate(server_id, self.args.to_host or None)
                break
            except CloudError as exc:
                error = exc.message
                time.sleep(1.0)
        else:
            self.note("own_action_failed", server_id=server_id, error=error)
            return
        self.note("own_action_started", server_id=server_id, source=host,
                  to=self.args.to_host or "(scheduler)")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            server = cloud.server(server_id)
            if server.host != host and server.status.upper() == "ACTIVE" and not server.task_state:
                self.note("own_action_done", server_id=server_id, name=server.name,
                          host=server.host)
                return
            time.sleep(0.3)
        self.note("own_action_failed", server_id=server_id, error="still on the host")


def post(url: str, body: dict[str, Any], token: str) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json",
                                              "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw or b"null")
        except ValueError:
            return exc.code, raw.decode(errors="replace")[:500]
    except (urllib.error.URLError, OSError) as exc:
        return 0, str(exc)


def handler_for(vnfm: Vnfm) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
            pass

        def _send(self, status: int, body: Any) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            if self.path != "/log":
                return self._send(404, {"detail": "GET /log"})
            with vnfm._lock:
                return self._send(200, list(vnfm.log))

        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            length = min(int(self.headers.get("Content-Length") or 0), 1 << 20)
            raw = self.rfile.read(length)
            secret = vnfm.args.secret
            if secret:
                stamp = self.headers.get("X-Escalator-Timestamp", "")
                digest = hmac.new(secret.encode(), stamp.encode() + b"." + raw, hashlib.sha256)
                if not hmac.compare_digest("sha256=" + digest.hexdigest(),
                                           self.headers.get("X-Escalator-Signature", "")):
                    vnfm.note("bad_signature")
                    return self._send(401, {"detail": "bad signature"})
            try:
                body = json.loads(raw)
            except ValueError:
                return self._send(400, {"detail": "not JSON"})
            self._send(200, {"received": body.get("state")})
            vnfm.received(body)

    return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", choices=MODES, default="prompt")
    parser.add_argument("--delay", type=float, default=3.0, help="late: seconds before replying")
    parser.add_argument("--action", default="LIVE_MIGRATE",
                        help="the action wanted for each instance, when allowed")
    parser.add_argument("--reason", default="the VNF is not ready for maintenance")
    parser.add_argument("--cloud", default="sandbox", help="own_action: the clouds.yaml entry")
    parser.add_argument("--to-host", default="", help="own_action: where to move instances")
    parser.add_argument("--own-vnf", default="",
                        help="own_action: only the instances of this VNF (default: all)")
    parser.add_argument("--secret", default="", help="check notifications' signatures")
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler_for(Vnfm(args)))
    server.daemon_threads = True
    print(f"READY {args.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
