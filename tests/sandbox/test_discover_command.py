"""`manage.py discover --cloud sandbox`: from real Nova into the stored inventory."""

from __future__ import annotations

import json
from dataclasses import replace
from io import StringIO

import pytest
from django.core.management import call_command

from domain.snapshot import InputSource
from inventory.files import write_inventory
from inventory.services import load_snapshot

pytestmark = [pytest.mark.sandbox, pytest.mark.django_db]


def comparable(snapshot):
    servers = tuple(sorted((replace(s, uuid="") for s in snapshot.servers),
                           key=lambda s: s.name))
    return replace(snapshot, servers=servers, openstack_cloud="")


def discover(*args):
    out = StringIO()
    call_command("discover", "--cloud", "sandbox", "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def test_discover_with_an_overlay_stores_the_seed_inventory(sandbox, tmp_path):
    overlay = tmp_path / "overlay.yaml"
    write_inventory(sandbox.seed, overlay)

    result = discover("--overlay", str(overlay))

    assert (result["ok"], result["cloud"], result["hosts"], result["servers"],
            result["server_groups"], result["vnfs"]) == (True, "sandbox", 4, 6, 2, 2)
    assert result["notes"] == []
    stored = load_snapshot("sandbox")
    # The memory in use as the cloud measured it (Nova's server diagnostics) where it could.
    seed = replace(sandbox.seed, servers=tuple(
        replace(s, memory_source=InputSource.MEASURED) if s.memory_used_mib else s
        for s in sandbox.seed.servers))
    assert comparable(stored) == comparable(seed)
    assert stored.server_by_name["fw-a"].memory_source == InputSource.MEASURED
    assert stored.openstack_cloud == "sandbox"


def test_discover_again_keeps_what_only_the_stored_inventory_knew(sandbox, tmp_path):
    overlay = tmp_path / "overlay.yaml"
    write_inventory(sandbox.seed, overlay)
    discover("--overlay", str(overlay))
    cloud = sandbox.cloud()
    lb1 = next(s for s in cloud.servers() if s.name == "lb-1")
    cloud.live_migrate(lb1.id, host="cmp2")
    cloud.wait_for_server(lb1.id, "ACTIVE", timeout=60, interval=0.3)

    result = discover()

    assert result["overlay"] == "stored cloud 'sandbox'"
    stored = load_snapshot("sandbox")
    assert stored.server_by_name["lb-1"].host == "cmp2"
    assert stored.server_by_name["lb-1"].dirty_rate_mibps == 10.0
    assert [v.name for v in stored.vnfs] == ["firewall", "loadbalancer"]
    assert {h.nic_bandwidth_mibps for h in stored.hosts} == {1200.0}


def test_discover_of_an_unknown_cloud_fails_with_the_reason(sandbox):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="cannot read cloud 'nowhere'"):
        call_command("discover", "--cloud", "nowhere", stdout=StringIO())
