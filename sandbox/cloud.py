"""Real Nova and Placement with fake hypervisors, built from a Snapshot.

Imports nova: load it only in the sandbox process (``sandbox/server.py``
imports ``nova.tests.functional`` first, which picks nova's threading mode).

Nova's own functional-test base class brings up the API, conductor,
scheduler, Placement, the databases and the message bus; ``Sandbox`` then
creates what the inventory says through the compute API itself (flavors,
aggregates, server groups, servers forced onto their hosts), so the state is
what a real cloud would hold after the same requests.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
import time
import warnings
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from unittest import mock

import sqlalchemy
from nova import context as nova_context
from nova import objects
from nova.db.main import api as main_db
from nova.servicegroup.drivers import db as servicegroup_db
from nova.tests.functional import integrated_helpers

from domain.snapshot import ServiceState, ServiceStatus, Snapshot
from executor.port import VERSION_KEY_PREFIX
from sandbox import bus, driver, snapshot, speedups
from sandbox.driver import SETTINGS
from sandbox.placement_service import PlacementService

# Nova loads its driver as ``nova.virt.<compute_driver>``: give ours a name
# there rather than replace the fake driver it ships.
sys.modules["nova.virt.escalator_sandbox"] = driver

LOG = logging.getLogger("sandbox")


class _DownTime:
    """How long nova waits for a heartbeat before it calls a service down,
    and whether heartbeats are being written at all.

    Nova's servicegroup driver copies ``service_down_time`` when it is
    created; the sandbox needs to change it while running. While it boots
    hundreds of servers, heartbeats are paused and nothing is ever down
    (each heartbeat is a database write that competes with the boots, and a
    late one makes the scheduler refuse the host); afterwards heartbeats run
    and a dead compute is seen within the short down time.
    """

    seconds = 1e9
    paused = False


servicegroup_db.DbDriver.service_down_time = property(
    lambda self: _DownTime.seconds, lambda self, value: None)
_report_state = servicegroup_db.DbDriver._report_state


def _report_state_unless_paused(self, service):
    if not _DownTime.paused:
        _report_state(self, service)


servicegroup_db.DbDriver._report_state = _report_state_unless_paused


# The package re-exports names that shadow its ``nova`` submodule.
nova_fixtures = importlib.import_module("nova.tests.fixtures.nova")


class _ReadersFirstLock(nova_fixtures.ReaderWriterLock):
    """The cell-switching lock of nova's CellDatabases fixture, readers first.

    The fixture's lock makes new readers wait behind a waiting writer. A
    reader inside a cell may wait for a database write lock whose holder
    needs a read lock: with a writer queued in between, that is a deadlock,
    seen within seconds when hundreds of servers boot at once. Readers never
    wait for a mere pending writer here; writers wait for no readers.
    """

    @property
    def has_pending_writers(self) -> bool:
        return False


nova_fixtures.ReaderWriterLock = _ReadersFirstLock
bus.install()
speedups.install()
COMPUTE = "nova-compute"


class SandboxError(RuntimeError):
    pass


class _NovaHarness(integrated_helpers.ProviderUsageBaseTestCase):
    """Nova's functional-test scaffolding, used as a long-lived cloud."""

    compute_driver = "escalator_sandbox.SandboxDriver"
    service_down_time = 8

    def runTest(self) -> None:  # testtools wants a test method to exist
        pass

    def setUp(self) -> None:
        paste = os.path.join(sys.prefix, "etc", "nova", "api-paste.ini")
        self.flags(api_paste_config=paste, group="wsgi")
        # No quotas: the seed decides what exists, and counting usage across
        # cells on every request is the costliest part of a boot here.
        self.flags(driver="nova.quota.NoopQuotaDriver", recheck_quota=False, group="quota")
        # Read by the API when it starts: must be set before setUp.
        # A heartbeat is a database write: every 2 s when the down time
        # leaves room for a late one, every second for short down times.
        report = max(1, min(2, self.service_down_time // 4))
        self.flags(service_down_time=self.service_down_time, report_interval=report)
        super().setUp()
        # Booting hundreds of servers at once queues the scheduler's calls
        # for a while; ``Sandbox.build`` shortens this once they are up.
        self.flags(rpc_response_timeout=180, long_rpc_timeout=180)
        # Versioned notifications (built on every step of every operation)
        # have no reader here; they cost a good share of a boot.
        self.flags(notification_format="unversioned", group="notifications")
        # The inventory's RAM is what servers may use: reserve nothing.
        self.flags(reserved_host_memory_mb=0, reserved_host_cpus=0)
        # Nova's tests check every API answer against its schema, building
        # jsonschema validator classes per request; a cloud in use does not.
        self.flags(response_validation="ignore", group="api")

    def restart_compute(self, host: str, *, running: bool) -> Any:
        """Start ``host``'s compute again with the same hypervisor (servers kept)."""
        compute = self.computes[host]
        if running:
            compute.stop()
        cell_name = self.host_mappings[host].cell_mapping.name
        with mock.patch("nova.virt.driver.load_compute_driver") as load_driver:
            load_driver.return_value = compute.manager.driver
            new = self.start_service("compute", host=host, cell_name=cell_name)
        self.computes[host] = new
        return new


class Sandbox:
    """A running sandbox cloud and the operations of its control endpoint."""

    def __init__(self, seed: Snapshot, *, service_down_time: int = 10,
                 live_migration_s: float = 0.0, boot_workers: int = 2,
                 rpc_timeout: int = 60, cache_dir: Path | None = None,
                 placement_cpus: set[int] | None = None,
                 instance_sync_s: float = 20.0) -> None:
        self.seed = seed
        self.instance_sync_s = instance_sync_s
        self.placement_cpus = placement_cpus
        self._placement: PlacementService | None = None
        self.cache_dir = cache_dir
        self.restored = False
        self.rpc_timeout = rpc_timeout
        self.boot_workers = boot_workers
        self.boot_window = 4 * boot_workers
        SETTINGS.live_migration_s = live_migration_s
        self.faults = SETTINGS.faults
        # Each guest's memory in use, as its hypervisor would see it (diagnostics).
        SETTINGS.guest_memory_mib.update(
            {s.name: s.memory_used_mib or s.ram_mib for s in seed.servers})
        self.service_down_time = float(service_down_time)
        _NovaHarness.service_down_time = service_down_time
        self.harness = _NovaHarness("runTest")
        self.api: Any = None
        self.project_id = ""
        self._lock = threading.RLock()
        self._stopped: set[str] = set()
        self._upgrades: dict[str, threading.Thread] = {}
        self._aggregates: dict[str, str] = {}  # name -> id
        self._versions_of: dict[str, dict[str, str]] = {}  # host -> versions
        self._flavor_ids: dict[str, str] = {}
        self._group_ids: dict[str, str] = {}
        self._image = ""
        self.boot_errors: list[str] = []

    # ----------------------------------------------------------- building
    def start(self) -> None:
        # Its imports take a second or two: let them overlap nova's set-up.
        self._placement = PlacementService.spawn(self.placement_cpus)
        self.harness.setUp()
        speedups.after_setup()
        _quiet_logging()
        self.api = self.harness.admin_api
        self.project_id = self.api.project_id
        self._image = self.harness.glance.image1["id"]

    def build(self) -> None:
        """Create everything the seed inventory holds, or take it back from
        the databases saved when the same cloud was last built."""
        _DownTime.seconds, _DownTime.paused = 1e9, True
        entry = None
        if self.cache_dir is not None:
            entry = self.cache_dir / snapshot.cache_key(self.seed)
        self.restored = entry is not None and snapshot.is_complete(entry, _SAVED)
        if self.restored:
            snapshot.seed_sentinels(entry)
        self.start()
        _progress("nova and placement are up")
        if self.restored:
            self._restore(entry)
        else:
            self._build_cold()
            if entry is not None:
                snapshot.save(entry, snapshot.databases(self.harness.cell_mappings))
                _progress(f"databases saved in {entry}")
        _DownTime.seconds, _DownTime.paused = self.service_down_time, False
        # Nova's default (30 min for long calls) would leave a request to a
        # dead compute hanging and the process deaf to SIGTERM meanwhile.
        self.harness.flags(rpc_response_timeout=self.rpc_timeout,
                           long_rpc_timeout=self.rpc_timeout)
        self._apply_service_states()
        # Heartbeats were paused during the boots, and a compute writes its
        # first one 5 s after it started: a build shorter than the down time
        # would say READY on the strength of the services' creation times,
        # then see computes flap down before their first heartbeat.
        self._heartbeat_now()
        self._wait_running_computes_up()
        if self.instance_sync_s > 0:
            threading.Thread(target=self._sync_instances_forever, name="instance-sync",
                             daemon=True).start()

    def _sync_instances_now(self) -> None:
        admin = nova_context.get_admin_context()
        with self._lock:
            running = [service for host, service in self.harness.computes.items()
                       if host not in self._stopped]
        for service in running:
            try:
                service.manager._sync_scheduler_instance_info(admin)
            except Exception as exc:  # a compute going down meanwhile: next round
                _progress(f"instance sync of {service.host} failed: {exc}")

    def _sync_instances_forever(self) -> None:
        """Each running nova-compute sends the scheduler its instance list, as its
        periodic task ``_sync_scheduler_instance_info`` does on a real cloud (every
        ``scheduler_instance_sync_interval``, 120 s by default).

        Nova's test fixtures turn periodic tasks off; without this one the
        scheduler's view of which servers a host holds would never heal: a
        live-migrated server stays counted on the host it left (the source's own
        update after the move adds it there again), and a peer of its hard
        anti-affinity group is refused that host ("No valid host") forever
        instead of until the next sync.
        """
        while True:
            time.sleep(self.instance_sync_s)
            self._sync_instances_now()

    @property
    def placement_endpoint(self) -> str:
        """Where nova's services reach Placement (its own process)."""
        return self._placement.endpoint if self._placement is not None else ""

    def _use_own_placement(self) -> None:
        """From now on nova's services reach Placement in its own process,
        over HTTP, on the database nova's fixtures made for it."""
        assert self._placement is not None
        fixture = self.harness.placement.fixture
        conf = fixture.conf_fixture.conf
        fixture.endpoint = self._placement.attach(conf.placement_database.connection,
                                                  conf.oslo_policy.policy_file)
        # Loopback: no proxy from the environment, no ~/.netrc per request.
        fixture._client.session.session.trust_env = False
        _progress(f"placement serves in its own process at {fixture.endpoint}")

    def _build_cold(self) -> None:
        self._use_own_placement()
        self._create_flavors()
        for host in self.seed.hosts:
            self._start_host(host)
        _progress(f"{len(self.seed.hosts)} compute services started")
        self._create_aggregates()
        for host in self.seed.hosts:
            self._set_versions(host.name, dict(host.versions))
        self._create_groups()
        _progress(f"booting {len(self.seed.servers)} servers")
        self._boot_servers([s.name for s in self.seed.servers])
        _progress("servers booted")

    def _restore(self, entry: Path) -> None:
        """Start the computes over the saved databases, as after a restart."""
        snapshot.restore(entry, snapshot.databases(self.harness.cell_mappings))
        self._use_own_placement()
        admin = nova_context.get_admin_context()
        # The harness creates a host mapping for a compute it has not seen.
        for mapping in objects.HostMappingList.get_all(admin):
            self.harness.host_mappings[mapping.host] = mapping
        # The scheduler read aggregates and servers when the databases were empty.
        hosts = self.harness.scheduler_service.manager.host_manager
        hosts.refresh_cells_caches()
        hosts._init_aggregates()
        hosts._init_instance_info()
        SETTINGS.adopt_servers = True
        for host in self.seed.hosts:
            self._start_host(host)
        _progress(f"{len(self.seed.hosts)} computes restarted over the saved databases")
        self._flavor_ids = {f["name"]: f["id"] for f in self.api.get_flavors()}
        self._group_ids = {g["name"]: g["id"]
                           for g in self.api.get_server_groups(all_projects=True)}
        for agg in self.api.api_get("/os-aggregates").body["aggregates"]:
            self._aggregates[agg["name"]] = str(agg["id"])
            if agg["name"].startswith("versions-"):
                self._versions_of[agg["name"][len("versions-"):]] = {
                    k[len(VERSION_KEY_PREFIX):]: v for k, v in agg["metadata"].items()
                    if k.startswith(VERSION_KEY_PREFIX)}

    def _create_flavors(self) -> None:
        for flavor in self.api.get_flavors():
            self.api.delete_flavor(flavor["id"])
        for server in self.seed.servers:
            if server.flavor in self._flavor_ids:
                continue
            body = {"flavor": {"name": server.flavor, "vcpus": server.vcpus,
                               "ram": server.ram_mib, "disk": server.disk_gib}}
            created = self.api.post_flavor(body)
            self._flavor_ids[server.flavor] = created["id"]

    def _start_host(self, host: Any) -> None:
        SETTINGS.capacity[host.name] = (host.vcpus, host.ram_mib, host.disk_gib)
        # The compute writes these into Placement when its node is first
        # created; later updates keep them, so each host keeps its own.
        self.harness.flags(initial_cpu_allocation_ratio=host.cpu_allocation_ratio,
                           initial_ram_allocation_ratio=host.ram_allocation_ratio,
                           initial_disk_allocation_ratio=host.disk_allocation_ratio)
        self.harness._start_compute(host.name)

    def _aggregate(self, name: str, az: str | None = None) -> str:
        if name not in self._aggregates:
            body: dict[str, Any] = {"name": name}
            if az:
                body["availability_zone"] = az
            created = self.api.post_aggregate({"aggregate": body})
            self._aggregates[name] = str(created["id"])
        return self._aggregates[name]

    def _create_aggregates(self) -> None:
        for host in self.seed.hosts:
            # An AZ is an aggregate carrying availability_zone, named after it.
            agg = self._aggregate(host.az, az=host.az)
            self.api.add_host_to_aggregate(agg, host.name)
            for name in host.aggregates:
                if name != host.az:
                    self.api.add_host_to_aggregate(self._aggregate(name), host.name)

    def _set_versions(self, host: str, versions: dict[str, str]) -> None:
        """Publish ``host``'s versions as the metadata of its own aggregate.

        One request changes them all, so a reader never sees a set half
        published (moving the host between aggregates of shared sets left a
        moment in which it had none).
        """
        old = self._versions_of.get(host)
        if old == versions:
            return
        meta: dict[str, str | None] = {VERSION_KEY_PREFIX + k: v for k, v in versions.items()}
        meta.update({VERSION_KEY_PREFIX + k: None for k in old or {} if k not in versions})
        agg = self._aggregate(f"versions-{host}")
        if meta:
            self.api.post_aggregate_action(agg, {"set_metadata": {"metadata": meta}})
        if old is None:
            self.api.add_host_to_aggregate(agg, host)
        self._versions_of[host] = dict(versions)

    def _create_groups(self) -> None:
        for group in self.seed.server_groups:
            created = self.api.post_server_groups(
                {"name": group.name, "policy": str(group.policy)})
            self._group_ids[group.name] = created["id"]

    def _boot_servers(self, names: list[str]) -> None:
        """Boot servers concurrently onto their hosts and wait for them all."""
        if not names:
            return
        wanted = {n: self.seed.server_by_name[n] for n in names}
        group_of = {m: g.name for g in self.seed.server_groups for m in g.members}

        def post(name: str) -> None:
            server = wanted[name]
            body: dict[str, Any] = {
                "server": {"name": name, "imageRef": self._image,
                           "flavorRef": self._flavor_ids[server.flavor],
                           "networks": "none", "host": server.host}}
            if name in group_of:
                body["os:scheduler_hints"] = {"group": self._group_ids[group_of[name]]}
            self.api.post_server(body)

        # A window of boots in flight: nova in one process on two cores
        # does worse, not better, when hundreds are queued at once.
        queue = list(names)
        pending: set[str] = set()
        deadline = time.monotonic() + 60 + 2 * len(names)
        last_report = time.monotonic()
        with ThreadPoolExecutor(self.boot_workers) as pool:
            while queue or pending:
                batch = queue[: max(0, self.boot_window - len(pending))]
                del queue[: len(batch)]
                list(pool.map(post, batch))
                pending.update(batch)
                time.sleep(0.5)
                active, failed = self._settled_servers()
                pending -= active
                for name in pending & failed.keys():
                    pending.discard(name)
                    self.boot_errors.append(f"{name}: {failed[name]}")
                if time.monotonic() - last_report > 10:
                    last_report = time.monotonic()
                    _progress(f"{len(names) - len(queue) - len(pending)} of {len(names)} booted")
                if time.monotonic() > deadline:
                    break
        if pending or queue:
            raise SandboxError(f"servers not ACTIVE in time: {sorted(pending) + queue}")
        failed = {e.split(":", 1)[0] for e in self.boot_errors}
        stop = [n for n in names if wanted[n].status == "SHUTOFF" and n not in failed]
        self._act_and_wait(stop, {"os-stop": None}, "SHUTOFF")

    def _apply_service_states(self) -> None:
        services = {s["host"]: s for s in self.api.get_services(binary=COMPUTE)}
        for host in self.seed.hosts:
            svc = services[host.name]
            if host.service_status is ServiceStatus.DISABLED:
                self.api.put_service(svc["id"], {
                    "status": "disabled", "disabled_reason": host.disabled_reason or None})
            if host.service_state is ServiceState.DOWN and host.name not in self._stopped:
                self.stop_host(host.name)

    # ------------------------------------------------------------- queries
    def _settled_servers(self) -> tuple[set[str], dict[str, str]]:
        """Names of the servers ACTIVE with no task, and of those in ERROR with
        their last fault, read from the cell databases.

        The boot loop asks this twice a second; through the compute API
        (policy, views, every cell) it cost a tenth of the boots' CPU.
        """
        active: set[str] = set()
        failed: dict[str, str] = {}
        admin = nova_context.get_admin_context()
        for cell in self.harness.cell_mappings.values():
            with nova_context.target_cell(admin, cell) as cctx:
                with main_db.get_engine(context=cctx).connect() as conn:
                    rows = conn.execute(_SETTLED_SQL).all()
            for name, vm_state, fault in rows:
                if vm_state == "active":
                    active.add(name)
                else:
                    failed[name] = fault or ""
        return active, failed

    def _server_rows(self) -> dict[str, dict[str, Any]]:
        rows = self.api.api_get("/servers/detail?all_tenants=1").body["servers"]
        return {r["id"]: r for r in rows}

    def _act_and_wait(self, names: list[str], action: dict[str, Any], status: str,
                      timeout: float = 60.0) -> None:
        ids = {r["name"]: r["id"] for r in self._server_rows().values()}
        for name in names:
            self.api.post_server_action(ids[name], action)
        self._wait_status([ids[n] for n in names], status, timeout)

    def _wait_status(self, ids: list[str], status: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pending = set(ids)
        while pending:
            rows = self._server_rows()
            pending = {i for i in pending
                       if not (rows[i]["status"] == status
                               and not rows[i].get("OS-EXT-STS:task_state"))}
            if not pending:
                return
            if time.monotonic() > deadline:
                raise SandboxError(f"servers not {status} in time: {sorted(pending)}")
            time.sleep(0.2)

    def state(self) -> dict[str, Any]:
        hosts = {}
        for host in self.seed.hosts:
            hosts[host.name] = {
                "running": host.name not in self._stopped,
                "upgrading": host.name in self._upgrades,
                "versions": self._versions_of.get(host.name, {}),
            }
        return {"hosts": hosts, "faults": self.faults.listing(),
                "boot_errors": list(self.boot_errors)}

    # ------------------------------------------------------ host actions
    def _check_host(self, host: str) -> None:
        if host not in self.harness.computes:
            raise KeyError(host)

    def stop_host(self, host: str) -> None:
        """The compute service dies: Nova reports it down after service_down_time."""
        self._check_host(host)
        with self._lock:
            if host not in self._stopped:
                self.harness.computes[host].stop()
                self._stopped.add(host)

    def start_host(self, host: str) -> None:
        """The compute service comes back (with the servers its hypervisor kept)."""
        self._check_host(host)
        with self._lock:
            running = host not in self._stopped
            service = self.harness.restart_compute(host, running=running)
            self._stopped.discard(host)
            # Nova's first heartbeat comes 5 s after a start (its
            # INITIAL_REPORTING_DELAY), harmless beside a real cloud's 60 s
            # down time but as long as the sandbox's short one: a host back
            # from a 2 s reboot would then look down to the scheduler for a
            # few seconds after it serves ("No valid host"). Report at once.
            _report_state(service.servicegroup_api._driver, service)

    def upgrade_host(self, host: str, down_s: float,
                     versions: Mapping[str, str] | None = None) -> dict[str, str]:
        """Upgrade ``host`` in the background, as a package upgrade and reboot.

        The compute service stops at once, comes back after ``down_s``
        seconds, and only then does the host publish its new versions (the
        target release merged over what it had, unless ``versions`` says).
        """
        self._check_host(host)
        with self._lock:
            if host in self._upgrades:
                raise SandboxError(f"{host} is already being upgraded")
            new = dict(self._versions_of.get(host, {}))
            new.update(versions if versions is not None else self.seed.target.versions)
            self.stop_host(host)

            def run() -> None:
                try:
                    time.sleep(down_s)
                    self.start_host(host)
                    with self._lock:
                        self._set_versions(host, new)
                finally:
                    self._upgrades.pop(host, None)

            thread = threading.Thread(target=run, name=f"upgrade-{host}", daemon=True)
            self._upgrades[host] = thread
            thread.start()
        return new

    # --------------------------------------------------------------- reset
    def reset(self) -> dict[str, Any]:
        """Bring the cloud back to its seed without restarting the process.

        Clears faults, lets hanging requests go, restarts stopped computes,
        restores service states and versions, and moves, starts, stops,
        recreates or deletes servers until they match the seed.
        """
        done: dict[str, Any] = {"started_hosts": [], "services": [], "moved": [],
                                "recreated": [], "deleted": [], "power": []}
        self.faults.clear()
        for thread in list(self._upgrades.values()):
            thread.join(timeout=120)
        with self._lock:
            for host in sorted(self._stopped):
                self.start_host(host)
                done["started_hosts"].append(host)
            self._restore_services(enable_all=True, done=done)
            for host in self.seed.hosts:
                self._set_versions(host.name, dict(host.versions))
        self._restore_servers(done)
        with self._lock:
            self._restore_services(enable_all=False, done=done)
            for host in self.seed.hosts:
                if host.service_state is ServiceState.DOWN:
                    self.stop_host(host.name)
        self._wait_running_computes_up()
        self.faults.clear()
        return done

    def _heartbeat_now(self) -> None:
        """Each running compute reports in once, as its heartbeat loop does."""
        for host, service in self.harness.computes.items():
            if host not in self._stopped:
                _report_state(service.servicegroup_api._driver, service)

    def _wait_running_computes_up(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            down = sorted(svc["host"] for svc in self.api.get_services(binary=COMPUTE)
                          if svc["state"] != "up" and svc["host"] not in self._stopped)
            if not down:
                return
            if time.monotonic() > deadline:
                raise SandboxError(f"compute services still reported down: {down}")
            time.sleep(0.2)

    def _restore_services(self, *, enable_all: bool, done: dict[str, Any]) -> None:
        seed = self.seed.host_by_name
        for svc in self.api.get_services(binary=COMPUTE):
            host = seed.get(svc["host"])
            if host is None:
                continue
            if svc.get("forced_down"):
                self.api.put_service(svc["id"], {"forced_down": False})
                done["services"].append(f"{host.name}: unforced")
            want_disabled = (not enable_all and host.service_status is ServiceStatus.DISABLED)
            reason = host.disabled_reason or None
            if want_disabled and (svc["status"] != "disabled"
                                  or svc.get("disabled_reason") != reason):
                self.api.put_service(svc["id"], {"status": "disabled",
                                                 "disabled_reason": reason})
                done["services"].append(f"{host.name}: disabled")
            elif not want_disabled and svc["status"] != "enabled":
                self.api.put_service(svc["id"], {"status": "enabled"})
                done["services"].append(f"{host.name}: enabled")

    def _restore_servers(self, done: dict[str, Any]) -> None:
        seed = self.seed.server_by_name
        self._settle(timeout=60)
        rows = self._server_rows()
        by_name: dict[str, dict[str, Any]] = {}
        for row in rows.values():
            if row["name"] not in seed or row["name"] in by_name or row["status"] == "ERROR":
                self.api.delete_server(row["id"])
                done["deleted"].append(row["name"])
            else:
                by_name[row["name"]] = row
        self._wait_deleted([r["id"] for r in rows.values() if r["name"] not in by_name
                            or by_name[r["name"]]["id"] != r["id"]])
        missing = [n for n in seed if n not in by_name]
        if missing:
            self._boot_servers(missing)
            done["recreated"].extend(missing)
            rows = self._server_rows()
            by_name = {r["name"]: r for r in rows.values()}
        for row in by_name.values():
            if row["status"] == "VERIFY_RESIZE":
                self.api.post_server_action(row["id"], {"confirmResize": None})
        self._settle(timeout=60)
        # Servers moved back at once meet each other's anti-affinity on the way
        # (a host still holding a peer), and Nova's scheduler counts a moved
        # server on the host it left until that compute's next instance sync:
        # sync now, move what is not home yet, and again, a few rounds at most.
        for _ in range(4):
            self._sync_instances_now()
            time.sleep(0.3)  # the sync is a cast: let the scheduler read it
            by_name = {r["name"]: r for r in self._server_rows().values()}
            away = [(name, row) for name, row in by_name.items()
                    if row["OS-EXT-SRV-ATTR:host"] != seed[name].host]
            if not away:
                break
            for name, row in away:
                want = seed[name].host
                try:
                    if row["status"] == "ACTIVE":
                        self.api.post_server_action(row["id"], {"os-migrateLive": {
                            "host": want, "block_migration": "auto"}})
                    else:
                        self.api.post_server_action(row["id"], {"migrate": {"host": want}})
                except Exception as exc:  # "No valid host" while a peer is there: next round
                    _progress(f"reset: {name} not moved back to {want} yet: {exc}")
                    continue
                if name not in done["moved"]:
                    done["moved"].append(name)
            self._settle(timeout=120, confirm=True)
        for name, row in {r["name"]: r for r in self._server_rows().values()}.items():
            want = seed[name].status
            if want == "SHUTOFF" and row["status"] == "ACTIVE":
                self.api.post_server_action(row["id"], {"os-stop": None})
                done["power"].append(f"{name}: stopped")
            elif want == "ACTIVE" and row["status"] == "SHUTOFF":
                self.api.post_server_action(row["id"], {"os-start": None})
                done["power"].append(f"{name}: started")
        self._settle(timeout=60)

    def _settle(self, timeout: float, confirm: bool = False) -> None:
        """Wait until no server has a task in progress (confirming resizes)."""
        deadline = time.monotonic() + timeout
        while True:
            busy = []
            for row in self._server_rows().values():
                if confirm and row["status"] == "VERIFY_RESIZE":
                    self.api.post_server_action(row["id"], {"confirmResize": None})
                    busy.append(row["name"])
                elif row.get("OS-EXT-STS:task_state") or row["status"] in (
                        "MIGRATING", "RESIZE", "BUILD", "REBOOT"):
                    busy.append(row["name"])
            if not busy:
                return
            if time.monotonic() > deadline:
                raise SandboxError(f"servers still busy: {sorted(busy)}")
            time.sleep(0.2)

    def _wait_deleted(self, ids: list[str], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while ids and time.monotonic() < deadline:
            present = self._server_rows()
            ids = [i for i in ids if i in present]
            if ids:
                time.sleep(0.2)

    def stop(self) -> None:
        self.faults.clear()
        self.harness.doCleanups()
        if self._placement is not None:
            self._placement.stop()


# The databases a saved cloud holds (snapshot.databases names them).
_SAVED = ["api", "placement", "cell0", "cell1"]
_SETTLED_SQL = sqlalchemy.text(
    "SELECT i.display_name, i.vm_state, (SELECT f.message FROM instance_faults f"
    " WHERE f.instance_uuid = i.uuid ORDER BY f.id DESC LIMIT 1)"
    " FROM instances i WHERE i.deleted = 0 AND i.task_state IS NULL"
    " AND i.vm_state IN ('active', 'error')")


def _progress(message: str) -> None:
    print(f"sandbox: {message}", file=sys.stderr, flush=True)


def _quiet_logging() -> None:
    """Undo nova's test logging capture: it keeps every log line in memory."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO if os.environ.get("SANDBOX_VERBOSE") else logging.WARNING)
    # Their warnings say the machine is busy, many times a second.
    for name in ("nova.thread_pool_factory", "oslo.service.backend._common.loopingcall"):
        logging.getLogger(name).setLevel(logging.ERROR)
    # Nova's fixtures turn some warnings into errors; a long-lived cloud
    # must not fail a request over a deprecation.
    warnings.resetwarnings()
    warnings.simplefilter("ignore")
