"""Format version 2: where a guest's figures came from, and the VNF manager's constraints."""

from __future__ import annotations

import copy
import dataclasses

import pytest

from domain.snapshot import InputSource, MigrationType
from inventory.files import InventoryError, dump_inventory, parse_inventory


def test_a_version_1_file_reads_with_its_figures_from_the_file_and_the_rest_default(cloud_doc):
    doc = copy.deepcopy(cloud_doc)
    del doc["servers"][0]["dirty_rate_mibps"]
    del doc["servers"][1]["memory_used_mib"]
    snapshot = parse_inventory(doc)
    first, second = snapshot.servers[0], snapshot.servers[1]
    assert (first.memory_source, first.dirty_rate_source) == (InputSource.FILE, InputSource.DEFAULT)
    assert (second.memory_source, second.dirty_rate_source) == (InputSource.DEFAULT, InputSource.FILE)
    vnf = snapshot.vnfs[0]
    assert (vnf.recovery_time_s, vnf.lead_time_s, vnf.migration_type) == (0.0, 0.0, MigrationType.ANY)


def test_a_version_2_file_keeps_what_it_says_and_writes_it_back(cloud_doc):
    doc = copy.deepcopy(cloud_doc)
    doc["format_version"] = 2
    doc["servers"][0]["memory_source"] = "measured"
    doc["vnfs"][0].update(recovery_time_s=30.0, lead_time_s=120.0, migration_type="own_action")
    snapshot = parse_inventory(doc)
    assert snapshot.servers[0].memory_source == InputSource.MEASURED
    assert snapshot.vnfs[0].migration_type == MigrationType.OWN_ACTION
    written = dump_inventory(snapshot)
    assert written["format_version"] == 2
    assert written["servers"][0]["memory_source"] == "measured"
    assert written["vnfs"][0]["recovery_time_s"] == 30.0
    assert parse_inventory(written) == snapshot


@pytest.mark.parametrize(("where", "key", "value", "message"), [
    ("servers", "memory_source", "guessed", "servers[0].memory_source: must be one of measured, file, default"),
    ("vnfs", "migration_type", "teleport", "vnfs[0].migration_type: must be one of any, live_migrate"),
    ("vnfs", "recovery_time_s", -1, "vnfs[0].recovery_time_s: must be at least 0"),
])
def test_a_bad_new_field_is_refused_with_its_place(cloud_doc, where, key, value, message):
    doc = copy.deepcopy(cloud_doc)
    doc["format_version"] = 2
    doc[where][0][key] = value
    with pytest.raises(InventoryError) as caught:
        parse_inventory(doc)
    assert any(p.startswith(message) for p in caught.value.problems), caught.value.problems


def test_the_fingerprint_ignores_provenance_and_new_fields_at_their_default(cloud_doc):
    snapshot = parse_inventory(cloud_doc)
    measured = dataclasses.replace(snapshot, servers=tuple(
        dataclasses.replace(s, memory_source=InputSource.MEASURED) for s in snapshot.servers))
    assert measured.fingerprint() == snapshot.fingerprint()
    slower = dataclasses.replace(snapshot, vnfs=(
        dataclasses.replace(snapshot.vnfs[0], recovery_time_s=30.0), *snapshot.vnfs[1:]))
    assert slower.fingerprint() != snapshot.fingerprint()
