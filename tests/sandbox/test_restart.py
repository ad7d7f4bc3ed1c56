"""A cloud started again from the databases saved when it was built (``--cache-dir``)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sandbox.process import start_sandbox, stop_sandbox
from sandbox.seed import small_cloud

pytestmark = pytest.mark.sandbox


def usages(cloud):
    """Placement's usage of every compute node, by host: what the scheduler counts."""
    placement = cloud.conn.placement
    out = {}
    for rp in placement.resource_providers():
        answer = placement.get(f"/resource_providers/{rp.id}/usages",
                               microversion="1.9").json()
        out[rp.name] = answer["usages"]
    return out


def observed(handle):
    cloud = handle.cloud()
    # READY waited for every compute to be up; on a busy machine a late
    # heartbeat can flap one for a moment, which is not what is compared here.
    for host in handle.seed.hosts:
        cloud.wait_for_service(host.name, host.service_state.value, timeout=60)
    snapshot = cloud.read_snapshot("sandbox")
    services = {(s.host, s.binary, s.status, s.disabled_reason) for s in cloud.services()}
    return snapshot, services, usages(cloud), handle.control("GET", "")["hosts"]


def test_a_restarted_cloud_is_the_cloud_that_was_built_and_works(tmp_path):
    cache = tmp_path / "cache"
    seed = small_cloud()
    cold_dir, warm_dir = tmp_path / "cold", tmp_path / "warm"
    cold_dir.mkdir()
    warm_dir.mkdir()
    proc, cold = start_sandbox(cold_dir, seed, extra_args=("--cache-dir", str(cache)))
    try:
        assert cold.ready["restored"] == "0"
        built = observed(cold)
    finally:
        stop_sandbox(proc)

    proc, warm = start_sandbox(warm_dir, seed, extra_args=("--cache-dir", str(cache)))
    try:
        assert warm.ready["restored"] == "1"
        # The same servers (same uuids), hosts, groups, service states,
        # Placement usage and versions known to the upgrade action as the
        # cloud that booted them.
        assert observed(warm) == built
        cloud = warm.cloud()
        servers = {s.name: s for s in cloud.servers()}
        # Each fake hypervisor took back its servers: they move, stop and start.
        cloud.live_migrate(servers["lb-1"].id)
        moved = cloud.wait_for_server(servers["lb-1"].id, "ACTIVE", timeout=60, interval=0.2)
        assert moved.host != servers["lb-1"].host
        cloud.start_server(servers["batch-1"].id)
        assert cloud.wait_for_server(servers["batch-1"].id, "ACTIVE", timeout=60,
                                     interval=0.2).host == "cmp2"
    finally:
        stop_sandbox(proc)


def test_another_inventory_is_built_anew(tmp_path):
    cache = tmp_path / "cache"
    seed = small_cloud()
    for name, inventory in (("first", seed),
                            ("other", replace(seed, cloud=seed.cloud + "-other"))):
        workdir = tmp_path / name
        workdir.mkdir()
        proc, handle = start_sandbox(workdir, inventory, extra_args=("--cache-dir", str(cache)))
        try:
            assert handle.ready["restored"] == "0"
        finally:
            stop_sandbox(proc)
    assert len(list(cache.iterdir())) == 2
