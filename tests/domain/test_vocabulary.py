"""The domain's shared vocabulary: one version rule, stable fingerprints, one set of enums."""

from __future__ import annotations

import dataclasses

from domain.snapshot import Component, HaModel, Host, Release, ServerStatus, Snapshot
from domain.versions import compare, parse, problem
from planner.options import PlanOptions
from planner.precheck import versions_valid


def _host(name: str, nova: str, **changes) -> Host:
    host = Host(name=name, az="az1", vcpus=16, ram_mib=65536, disk_gib=500, nic_bandwidth_mibps=1192.0,
                components=(Component("nova-compute", nova), Component("libvirt", "10.0.0")))
    return dataclasses.replace(host, **changes)


def _snapshot(*hosts: Host, target: str = "31.0.0") -> Snapshot:
    return Snapshot(cloud="lab", hosts=hosts, target=Release("2026.2", (Component("nova-compute", target),)))


def test_a_version_is_major_minor_patch_and_nothing_shorter():
    assert parse("1.2.3") is not None
    assert parse("1.2.3-rc.1") is not None
    assert parse("1.2") is None
    assert parse("31") is None
    assert problem("1.2") == "'1.2' is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.4.2)"
    assert compare("30.1.0", "31.0.0") == -1
    assert compare("31.0.0-rc.1", "31.0.0") == -1


def test_the_precheck_fails_a_two_part_version_as_the_docs_say():
    item = versions_valid(_snapshot(_host("cmp1", "30.1"), _host("cmp2", "30.1.0")), PlanOptions())
    assert item.status == "fail"
    assert "cmp1 nova-compute '30.1'" in item.reason


def test_the_fingerprint_ignores_order_and_sees_every_change():
    a, b = _host("cmp1", "30.1.0", aggregates=("x", "y")), _host("cmp2", "30.1.0")
    base = _snapshot(a, b)
    assert base.fingerprint() == _snapshot(b, dataclasses.replace(a, aggregates=("y", "x"))).fingerprint()
    assert base.fingerprint() == _snapshot(dataclasses.replace(a, cpu_allocation_ratio=1), b).fingerprint()
    changed = [
        _snapshot(a, dataclasses.replace(b, service_state="down")),
        _snapshot(a, _host("cmp2", "31.0.0")),
        _snapshot(a),
        _snapshot(a, b, target="31.1.0"),
    ]
    prints = {s.fingerprint() for s in changed}
    assert len(prints) == 4 and base.fingerprint() not in prints
    assert len(base.fingerprint()) == 64


def test_django_choices_are_derived_from_the_domain_enums():
    from executor import choices as executor_choices
    from executor.machine import StepState
    from inventory import choices

    assert choices.HaModel.choices == [(m.value, m.label) for m in HaModel]
    assert choices.ServerStatus.values == [m.value for m in ServerStatus]
    assert executor_choices.StepState.choices == [(m.value, m.label) for m in StepState]
