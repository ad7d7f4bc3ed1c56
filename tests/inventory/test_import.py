"""An operator imports inventory files: broken ones are refused whole, good ones land whole."""

from __future__ import annotations

import copy
import json

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from inventory import models as m
from inventory.files import InventoryError, dumps_inventory, load_inventory, parse_inventory
from inventory.services import load_snapshot

pytestmark = pytest.mark.django_db


def _write(tmp_path, doc, name="inventory.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc) if name.endswith(".yaml") else json.dumps(doc))
    return path


def _break(doc, change):
    change(doc)
    return doc


def _set(path, value):
    def change(doc):
        node = doc
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return change


BROKEN = [
    ("negative RAM", _set(["hosts", 3, "ram_mib"], -1),
     "hosts[3].ram_mib: must be a positive integer, not -1"),
    ("RAM as text", _set(["hosts", 0, "ram_mib"], "64G"),
     "hosts[0].ram_mib: must be an integer, not '64G'"),
    ("missing vCPUs", lambda d: d["hosts"][1].pop("vcpus"), "hosts[1].vcpus: is required"),
    ("unknown field", _set(["servers", 2, "colour"], "red"), "servers[2]: unknown field 'colour'"),
    ("bad HA model", _set(["vnfs", 0, "ha_model"], "active-active"),
     "vnfs[0].ha_model: must be one of active-standby, n+m, none, not 'active-active'"),
    ("unknown host", _set(["servers", 0, "host"], "cmp9"), "servers[0].host: unknown host 'cmp9'"),
    ("not semver", _set(["hosts", 2, "components", "libvirt"], "10.0"),
     "hosts[2].components.libvirt: '10.0' is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.4.2)"),
    ("duplicate host", _set(["hosts", 1, "name"], "cmp1"),
     "hosts[1].name: duplicate name 'cmp1' (first at hosts[0])"),
    ("anti-affinity broken", _set(["servers", 1, "host"], "cmp1"),
     "server_groups[0].members: 'fw-a' and 'fw-b' share host 'cmp1' despite the anti-affinity policy"),
    ("server does not fit", _set(["servers", 5, "ram_mib"], 70000),
     "servers[5].host: 'dpi' does not fit on 'cmp3': RAM 74096 MiB needed of 65536 MiB"),
    ("VNF member unknown", _set(["vnfs", 2, "members"], [{"server": "ghost", "role": "member"}]),
     "vnfs[2].members[0].server: unknown server 'ghost'"),
    ("two actives", _set(["vnfs", 0, "members", 1, "role"], "active"),
     "vnfs[0].members: active-standby needs exactly one active and at least one standby member"),
    ("memory above flavor", _set(["servers", 0, "memory_used_mib"], 9000),
     "servers[0].memory_used_mib: 9000 MiB in use exceeds the flavor's 8192 MiB"),
    ("wrong format version", _set(["format_version"], 3), "format_version: must be one of 1, 2, not 3"),
    ("no reason for pinning", _set(["servers", 5, "not_migratable_reason"], ""),
     "servers[5].not_migratable_reason: say why the server cannot live-migrate"),
    ("max impacted too high", _set(["vnfs", 1, "max_impacted"], 4),
     "vnfs[1].max_impacted: 4 exceeds the 3 members"),
]


@pytest.mark.parametrize("label,change,message", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_file_is_refused_with_its_path_and_nothing_changes(
    tmp_path, cloud_doc, label, change, message
):
    call_command("import_inventory", str(_write(tmp_path, cloud_doc)))
    before = load_snapshot("lab")
    broken = _break(_set(["cloud", "name"], "lab")(cloud_doc) or cloud_doc, change)
    path = _write(tmp_path, broken, "broken.yaml")

    with pytest.raises(InventoryError) as caught:
        load_inventory(path)
    assert message in caught.value.problems

    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_inventory", str(path), "--replace")
    assert load_snapshot("lab") == before
    assert m.Cloud.objects.count() == 1


def test_every_problem_is_reported_at_once(cloud_doc):
    cloud_doc["hosts"][0]["vcpus"] = 0
    cloud_doc["hosts"][2]["service_state"] = "sideways"
    cloud_doc["servers"][4]["disk_gib"] = -5
    with pytest.raises(InventoryError) as caught:
        parse_inventory(cloud_doc)
    assert caught.value.problems == [
        "hosts[0].vcpus: must be a positive integer, not 0",
        "hosts[2].service_state: must be one of up, down, not 'sideways'",
        "servers[4].disk_gib: must be at least 0, not -5",
    ]


def test_unparseable_file_names_line_and_column(tmp_path):
    path = tmp_path / "inv.yaml"
    path.write_text("format_version: 1\nhosts: [\n  {name: a\n")
    with pytest.raises(InventoryError) as caught:
        load_inventory(path)
    assert caught.value.problems[0].startswith("inv.yaml: not valid YAML or JSON at line")


def _as_version_2(doc):
    """A version 1 document as Escalator writes it back: version 2, every field said."""
    doc = copy.deepcopy(doc)
    doc["format_version"] = 2
    for server in doc.get("servers", ()):
        server.setdefault("memory_source", "file" if "memory_used_mib" in server else "default")
        server.setdefault("dirty_rate_source", "file" if "dirty_rate_mibps" in server else "default")
    for vnf in doc.get("vnfs", ()):
        vnf.setdefault("recovery_time_s", 0.0)
        vnf.setdefault("lead_time_s", 0.0)
        vnf.setdefault("migration_type", "any")
    return doc


def test_import_then_export_gives_back_the_same_inventory(tmp_path, cloud_doc):
    for fmt, name in (("yaml", "inv.yaml"), ("json", "inv.json")):
        path = _write(tmp_path, cloud_doc, name)
        call_command("import_inventory", str(path), "--replace")
        from io import StringIO

        out = StringIO()
        call_command("export_inventory", "--format", fmt, stdout=out)
        exported = yaml.safe_load(out.getvalue()) if fmt == "yaml" else json.loads(out.getvalue())
        assert exported == _as_version_2(cloud_doc)
        # and the export imports again to the same stored rows
        again = tmp_path / f"again.{fmt}"
        again.write_text(out.getvalue())
        before = load_snapshot("lab")
        call_command("import_inventory", str(again), "--replace")
        assert load_snapshot("lab") == before


def test_import_writes_the_rows_the_file_describes(tmp_path, cloud_doc):
    call_command("import_inventory", str(_write(tmp_path, cloud_doc)))
    assert m.Host.objects.count() == 4
    assert m.Server.objects.filter(host__name="cmp1").count() == 2
    assert list(m.Host.objects.get(name="cmp3").aggregates.values_list("name", flat=True)) == ["dpdk"]
    fw = m.Vnf.objects.get(name="firewall")
    assert {(x.server.name, x.role) for x in fw.members.all()} == {("fw-a", "active"), ("fw-b", "standby")}
    assert m.ServerGroup.objects.get(name="fw-aa").members.count() == 2
    assert m.Server.objects.get(name="dpi").not_migratable_reason == "SR-IOV port"
    assert dict(m.Cloud.objects.get().target_components.values_list("name", "version")) == {
        "nova-compute": "31.0.0", "libvirt": "10.2.0"}


def test_existing_cloud_needs_replace(tmp_path, cloud_doc):
    path = _write(tmp_path, cloud_doc)
    call_command("import_inventory", str(path))
    with pytest.raises(CommandError):
        call_command("import_inventory", str(path))
    cloud_doc["servers"] = cloud_doc["servers"][:2]
    cloud_doc["vnfs"] = cloud_doc["vnfs"][:1]
    cloud_doc["server_groups"] = cloud_doc["server_groups"][:1]
    call_command("import_inventory", str(_write(tmp_path, cloud_doc)), "--replace")
    assert m.Server.objects.count() == 2
    assert m.Vnf.objects.count() == 1


def test_export_reads_back_exactly(cloud_doc):
    snapshot = parse_inventory(cloud_doc)
    assert yaml.safe_load(dumps_inventory(snapshot)) == _as_version_2(cloud_doc)
