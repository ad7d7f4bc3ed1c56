"""The host upgrade action: the compute goes down, comes back, reports new versions."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.sandbox

OLD = {"os": "22.4.0", "libvirt": "8.0.0", "nova-compute": "29.0.0"}
NEW = {"os": "22.4.1", "libvirt": "8.1.0", "nova-compute": "29.1.0"}


def test_upgrade_goes_down_comes_back_and_reports_the_target_versions(sandbox):
    cloud = sandbox.cloud()
    assert cloud.host_versions("cmp3") == OLD

    answer = sandbox.control("POST", "/hosts/cmp3/upgrade", {"down_s": 12})
    assert answer == {"host": "cmp3", "versions": NEW}

    cloud.wait_for_service("cmp3", "down", timeout=30, interval=0.5)
    assert cloud.host_versions("cmp3") == OLD  # nothing new is reported while it is down
    cloud.wait_for_service("cmp3", "up", timeout=60, interval=0.5)
    deadline = time.monotonic() + 15
    while cloud.host_versions("cmp3") != NEW:
        assert time.monotonic() < deadline, "the upgraded host never reported its versions"
        time.sleep(0.3)

    assert {h: cloud.host_versions(h) for h in ("cmp1", "cmp2", "cmp4")} == {
        "cmp1": OLD, "cmp2": OLD, "cmp4": OLD}
    lb2 = next(s for s in cloud.servers() if s.name == "lb-2")
    assert (lb2.host, lb2.status) == ("cmp3", "ACTIVE")  # its hypervisor kept it


def test_upgrade_to_versions_given_in_the_request(sandbox):
    cloud = sandbox.cloud()
    sandbox.control("POST", "/hosts/cmp1/upgrade", {"down_s": 0.5, "versions": {"os": "24.4.0"}})

    deadline = time.monotonic() + 30
    while cloud.host_versions("cmp1") == OLD:
        assert time.monotonic() < deadline
        time.sleep(0.3)

    assert cloud.host_versions("cmp1") == {**OLD, "os": "24.4.0"}


def test_reset_restores_the_seed_versions(sandbox):
    cloud = sandbox.cloud()
    sandbox.control("POST", "/hosts/cmp2/upgrade", {"down_s": 0.5})

    sandbox.reset()

    assert cloud.host_versions("cmp2") == OLD
    assert cloud.compute_service("cmp2").state == "up"
