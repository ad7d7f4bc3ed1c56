"""A sandbox as it comes up: Placement in a process of its own, one
Placement for nova and for clients, computes that stay up from READY on, and
nothing left running once the sandbox is gone."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from sandbox.placement_service import PlacementService, PlacementServiceError
from sandbox.process import start_sandbox, stop_sandbox
from sandbox.seed import small_cloud

pytestmark = pytest.mark.sandbox


def placement_children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid and b"sandbox.placement_service" in cmdline:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def vcpu_usage(endpoint: str) -> dict[str, int]:
    """VCPU in use on each compute node, as Placement at ``endpoint`` counts it."""
    def get(path: str) -> dict:
        request = urllib.request.Request(endpoint + path, headers={
            "X-Auth-Token": "admin", "OpenStack-API-Version": "placement 1.9"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.load(answer)

    return {rp["name"]: get(f"/resource_providers/{rp['uuid']}/usages")["usages"].get("VCPU", 0)
            for rp in get("/resource_providers")["resource_providers"]}


def seeded_usage(seed, moved: dict[str, str] | None = None) -> dict[str, int]:
    hosts = {s.name: s.host for s in seed.servers} | (moved or {})
    usage = Counter({h.name: 0 for h in seed.hosts})
    for server in seed.servers:
        usage[hosts[server.name]] += server.vcpus
    return dict(usage)


def test_nova_claims_in_the_placement_process_that_clients_read(sandbox):
    own = sandbox.ready["placement"]
    front = f"http://127.0.0.1:{sandbox.port}/placement"
    assert len(placement_children(sandbox.pid)) == 1
    # Both answer from the one database: what nova claimed at boot.
    assert vcpu_usage(own) == vcpu_usage(front) == seeded_usage(sandbox.seed)

    cloud = sandbox.cloud()
    server = next(s for s in cloud.servers() if s.name == "lb-1")
    target = "cmp2" if server.host != "cmp2" else "cmp4"
    cloud.live_migrate(server.id, host=target)
    moved = cloud.wait_for_server(server.id, "ACTIVE", timeout=120)
    assert moved.host == target
    # The scheduler's claim and the source's release went to that process.
    assert vcpu_usage(own) == vcpu_usage(front) == seeded_usage(
        sandbox.seed, {"lb-1": target})


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """A sandbox of its own, just READY (the session's has been up a while)."""
    proc, handle = start_sandbox(tmp_path_factory.mktemp("fresh"), small_cloud())
    yield proc, handle
    stop_sandbox(proc)


def test_every_compute_has_reported_in_at_ready_and_stays_up(fresh):
    proc, handle = fresh
    cloud = handle.cloud()
    # Nova waits 5 s before a compute's first heartbeat: a READY that only
    # trusted the services' creation times let computes flap down soon
    # after (and an execution started then failed on "service unavailable").
    reported = {s.host: s.updated_at for s in cloud.conn.compute.services()
                if s.binary == "nova-compute"}
    assert all(reported.values()), f"computes with no heartbeat yet: {reported}"
    deadline = time.monotonic() + handle.service_down_time + 6
    while time.monotonic() < deadline:
        states = {s.host: s.state for s in cloud.services() if s.binary == "nova-compute"}
        assert states == {h.name: h.service_state.value for h in handle.seed.hosts}
        time.sleep(0.25)


def test_the_placement_process_ends_with_the_sandbox_however_it_ends(fresh):
    proc, handle = fresh
    children = placement_children(handle.pid)
    assert len(children) == 1
    # No SIGTERM, no cleanup: the pipe to the child closes with the process.
    os.kill(handle.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 15
    while alive(children[0]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(children[0])


def test_a_placement_process_that_cannot_open_its_database_says_so():
    service = PlacementService.spawn()
    with pytest.raises(PlacementServiceError, match=r"did not start on sqlite:////nonexistent/"
                       r"placement\.sqlite \(exit code 1"):
        service.attach("sqlite:////nonexistent/placement.sqlite", None)
    assert service.proc.poll() is not None
