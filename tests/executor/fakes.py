"""An in-memory cloud and store for the pure machine's tests.

The cloud keeps servers, services, versions and Nova-like migration records,
and logs every request that changes something in ``calls``, so tests can
assert the exact list of requests the executor made.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import replace
from typing import Any

from executor.machine import StepRecord, StepState, Wanted
from executor.port import (
    HostCapacity,
    MigrationInfo,
    NotFound,
    Permanent,
    ServerInfo,
    ServiceInfo,
    Transient,
    WaitTimeout,
)

OLD = {"os": "1.0.0", "nova-compute": "29.0.0"}
NEW = {"os": "1.1.0", "nova-compute": "29.1.0"}


class FakeCloud:
    def __init__(self, hosts: dict[str, list[tuple[str, str]]]) -> None:
        """``hosts``: host -> [(server name, status)]."""
        self.lock = threading.RLock()
        self.calls: list[tuple] = []
        self.services_ = {h: ServiceInfo(id=h, host=h, binary="nova-compute",
                                         status="enabled", state="up") for h in hosts}
        self.versions = {h: dict(OLD) for h in hosts}
        self.servers_: dict[str, ServerInfo] = {}
        for host, servers in hosts.items():
            for name, status in servers:
                self.servers_["id-" + name] = ServerInfo(id="id-" + name, name=name,
                                                         status=status, host=host)
        self.migrations_: list[MigrationInfo] = []
        self.ids = itertools.count(100)
        # Faults: name -> how many times still; checked by _fault().
        self.faults: dict[str, int] = {}
        self.fail_migrations_of: dict[str, int] = {}  # server name -> failures left
        self.in_flight = 0
        self.max_in_flight = 0
        self._landing: set[str] = set()  # migrated servers not yet looked at
        self.capacity = {h: HostCapacity(h, vcpus=64, ram_mib=65536, disk_gib=1000)
                         for h in hosts}
        self.groups: list = []
        self.on_call = None  # a hook a test may set: called with each call

    def _fault(self, name: str) -> None:
        with self.lock:
            left = self.faults.get(name, 0)
            if left:
                self.faults[name] = left - 1
                raise Transient(f"injected {name}", status=503)

    def _log(self, *call: Any) -> None:
        with self.lock:
            self.calls.append(call)
        if self.on_call:
            self.on_call(call)

    # reading
    def services(self, host=None):
        return [s for s in self.services_.values() if host in (None, s.host)]

    def compute_service(self, host):
        self._fault("read")
        return self.services_[host]

    def servers(self, host=None):
        return [s for s in self.servers_.values() if host in (None, s.host)]

    def server(self, server_id):
        if server_id not in self.servers_:
            raise NotFound(server_id)
        with self.lock:
            if server_id in self._landing:
                # The executor saw the migration end: it is no longer in flight.
                self._landing.discard(server_id)
                self.in_flight -= 1
        return self.servers_[server_id]

    def capacities(self):
        return list(self.capacity.values())

    def server_groups(self):
        return list(self.groups)

    def abort_migration(self, server_id, migration_id):
        self._log("abort_migration", self.servers_[server_id].name, migration_id)

    def host_versions(self, host):
        return dict(self.versions[host])

    def migrations(self, server_id=None, host=None):
        return [m for m in self.migrations_ if server_id in (None, m.server_id)]

    # acting
    def disable_service(self, host, reason):
        self._fault("disable")
        self._log("disable", host, reason)
        self.services_[host] = replace(self.services_[host], status="disabled",
                                       disabled_reason=reason)
        return self.services_[host]

    def enable_service(self, host):
        self._log("enable", host)
        self.services_[host] = replace(self.services_[host], status="enabled",
                                       disabled_reason="")
        return self.services_[host]

    def _record(self, server: ServerInfo, kind: str, dest: str, status: str) -> None:
        self.migrations_.append(MigrationInfo(
            id=str(next(self.ids)), server_id=server.id, kind=kind, status=status,
            source_host=server.host, dest_host=dest))

    def live_migrate(self, server_id, host=None):
        server = self.servers_[server_id]
        self._log("live_migrate", server.name, host)
        with self.lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self._landing.add(server_id)
        dest = host or self._choose(server.host)
        if self.fail_migrations_of.get(server.name, 0) > 0:
            self.fail_migrations_of[server.name] -= 1
            self._record(server, "live-migration", dest, "failed")
            return
        self._record(server, "live-migration", dest, "completed")
        self.servers_[server_id] = replace(server, host=dest)

    def cold_migrate(self, server_id, host=None):
        server = self.servers_[server_id]
        self._log("cold_migrate", server.name, host)
        dest = host or self._choose(server.host)
        self._record(server, "migration", dest, "finished")
        self.servers_[server_id] = replace(server, host=dest, status="VERIFY_RESIZE")
        self._was[server_id] = server.status

    _was: dict[str, str] = {}

    def confirm_resize(self, server_id):
        server = self.servers_[server_id]
        self._log("confirm_resize", server.name)
        self.servers_[server_id] = replace(server, status=self._was.pop(server_id, "ACTIVE"))

    def _choose(self, source: str) -> str:
        return next(h for h, s in sorted(self.services_.items())
                    if h != source and s.status == "enabled")

    def stop_server(self, server_id):
        self._log("stop", self.servers_[server_id].name)
        self.servers_[server_id] = replace(self.servers_[server_id], status="SHUTOFF")

    def start_server(self, server_id):
        self._log("start", self.servers_[server_id].name)
        self.servers_[server_id] = replace(self.servers_[server_id], status="ACTIVE")

    def wait_for_server(self, server_id, status="ACTIVE", *, timeout=300.0, interval=1.0,
                        failures=("ERROR",)):
        server = self.server(server_id)
        wanted = (status,) if isinstance(status, str) else status
        if server.status not in wanted:
            raise WaitTimeout(f"{server.name} is {server.status}")
        return server

    def wait_for_service(self, host, state, *, timeout=300.0, interval=1.0):
        service = self.services_[host]
        if service.state != state:
            raise WaitTimeout(f"{host} is {service.state}")
        return service


class FakeUpgrade:
    """Upgrades at once, or never (``lost``: hosts that do not come back)."""

    def __init__(self, cloud: FakeCloud, lost: set[str] | None = None,
                 versions: dict[str, str] | None = None) -> None:
        self.cloud = cloud
        self.lost = lost or set()
        self.versions = versions or NEW

    def start(self, host: str) -> None:
        self.cloud._log("upgrade", host)
        if host not in self.lost:
            self.cloud.versions[host] = dict(self.versions)

    def in_progress(self, host: str) -> bool | None:
        return False


class RecordingVnfm:
    def __init__(self, cloud: FakeCloud) -> None:
        self.cloud = cloud

    def switchover(self, **event: str) -> None:
        self.cloud._log("vnfm-switchover", event["vnf"], event["server"])

    def restore(self, **event: str) -> None:
        self.cloud._log("vnfm-restore", event["vnf"], event["server"])


class MemoryStore:
    """Records in a dict (copied, as a database would), events in a list."""

    def __init__(self) -> None:
        self.rows: dict[str, StepRecord] = {}
        self.events: list[tuple[str, str, str]] = []
        self.want = Wanted.RUN
        self.lock = threading.Lock()
        self.after_begin = None  # hook(record) a test may set (to simulate a crash)

    def _copy(self, record: StepRecord) -> StepRecord:
        return StepRecord(record.key, record.state, record.attempts, dict(record.data),
                          record.error, record.started, record.finished, dict(record.observed))

    def load(self):
        return {k: self._copy(r) for k, r in self.rows.items()}

    def begin(self, record):
        with self.lock:
            self.rows[record.key] = self._copy(record)
        if self.after_begin:
            self.after_begin(record)
        return True

    def save_notes(self, record):
        with self.lock:
            self.rows[record.key] = self._copy(record)

    def finish(self, record):
        with self.lock:
            self.rows[record.key] = self._copy(record)

    def wanted(self):
        return self.want

    def emit(self, kind, message, step="", **data):
        with self.lock:
            self.events.append((kind, message, step))

    def states(self) -> dict[str, str]:
        return {k: str(r.state) for k, r in self.rows.items()}


def done_keys(store: MemoryStore) -> list[str]:
    return [k for k, r in store.rows.items() if r.state is StepState.DONE]


def raise_permanent(message: str):
    def fail(*args, **kwargs):
        raise Permanent(message, status=400)
    return fail
