"""The sandbox's HTTP front: one loopback port for three WSGI apps.

- ``/v2.1/...`` (and ``/``): Nova's compute API.
- ``/placement/...``: Placement.
- ``/_control/...``: the control endpoint (faults, host upgrade, reset).

Keystone is absent: every compute request is made an admin request, as the
stubbed keystone of nova's fixtures expects. Injected HTTP faults apply to
the compute and placement APIs, never to the control endpoint. Nothing here
imports nova; the apps are handed in.
"""

from __future__ import annotations

import json
import re
import traceback
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from sandbox.faults import FaultBook, FaultError

Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Controlled(Protocol):
    """What the control endpoint drives (``sandbox.cloud.Sandbox``)."""

    faults: FaultBook

    def state(self) -> dict[str, Any]: ...
    def reset(self) -> dict[str, Any]: ...
    def stop_host(self, host: str) -> None: ...
    def start_host(self, host: str) -> None: ...
    def upgrade_host(self, host: str, down_s: float,
                     versions: dict[str, str] | None = None) -> dict[str, str]: ...


def _json(start_response: Callable[..., Any], status: int, body: Any) -> list[bytes]:
    data = json.dumps(body).encode()
    reasons = {200: "OK", 201: "Created", 202: "Accepted", 400: "Bad Request", 404: "Not Found",
               409: "Conflict", 500: "Internal Server Error", 502: "Bad Gateway",
               503: "Service Unavailable", 504: "Gateway Timeout"}
    start_response(f"{status} {reasons.get(status, 'Status')}", [
        ("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


class Front:
    """Routes requests, injects HTTP faults, and serves the control endpoint."""

    def __init__(self, nova: Wsgi, placement: Wsgi, cloud: Controlled, project_id: str) -> None:
        self.nova = nova
        self.placement = placement
        self.cloud = cloud
        self.project_id = project_id

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_control"):
            return self.control(environ, start_response)
        fault = self.cloud.faults.take_http(environ["REQUEST_METHOD"], path)
        if fault is not None and fault.kind == "hang":
            self.cloud.faults.release.wait(fault.seconds)
        elif fault is not None:
            return _json(start_response, fault.status, {"computeFault": {
                "code": fault.status, "message": f"injected fault {fault.id}"}})
        if path.startswith("/placement"):
            environ["SCRIPT_NAME"] = "/placement"
            environ["PATH_INFO"] = path[len("/placement"):] or "/"
            environ["HTTP_X_AUTH_TOKEN"] = "admin"  # placement's noauth admin
            return self.placement(environ, start_response)
        environ["HTTP_X_AUTH_USER"] = "admin"
        environ["HTTP_X_USER_ID"] = "admin"
        environ["HTTP_X_AUTH_PROJECT_ID"] = self.project_id
        environ["HTTP_X_ROLES"] = "reader,member,admin"
        return self.nova(environ, start_response)

    # ------------------------------------------------------------ control
    def control(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        method = environ["REQUEST_METHOD"]
        path = environ["PATH_INFO"][len("/_control"):].rstrip("/")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            raw = environ["wsgi.input"].read(length) if length else b""
            body = json.loads(raw) if raw else {}
            if not isinstance(body, dict):
                raise FaultError("the body must be a JSON object")
            status, result = self._route(method, path, body)
        except (FaultError, ValueError, TypeError) as exc:
            status, result = 400, {"error": str(exc)}
        except KeyError as exc:
            status, result = 404, {"error": f"unknown host {exc}"}
        except Exception as exc:  # the control endpoint must answer, not die
            traceback.print_exc()
            status, result = 500, {"error": f"{type(exc).__name__}: {exc}"}
        return _json(start_response, status, result)

    def _route(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        cloud = self.cloud
        if path == "" and method == "GET":
            return 200, cloud.state()
        if path == "/reset" and method == "POST":
            return 200, cloud.reset()
        if path == "/faults":
            if method == "GET":
                return 200, cloud.faults.listing()
            if method == "POST":
                return 201, cloud.faults.add(body).as_dict()
            if method == "DELETE":
                cloud.faults.clear()
                return 200, {"cleared": True}
        match = re.fullmatch(r"/faults/(\d+)", path)
        if match and method == "DELETE":
            if cloud.faults.remove(int(match[1])):
                return 200, {"removed": int(match[1])}
            return 404, {"error": f"no fault {match[1]}"}
        match = re.fullmatch(r"/hosts/([^/]+)/(stop|start|upgrade)", path)
        if match and method == "POST":
            host, action = match[1], match[2]
            if action == "stop":
                cloud.stop_host(host)
            elif action == "start":
                cloud.start_host(host)
            else:
                versions = body.get("versions")
                new = cloud.upgrade_host(host, float(body.get("down_s", 5.0)), versions)
                return 202, {"host": host, "versions": new}
            return 200, {"host": host, "action": action}
        return 404, {"error": f"no control route {method} {path or '/'}"}
