"""Every malformed inventory file is refused, by every way in, quickly and in bounded memory.

70 files (tests/security/malformed.py) go through the command line
(``manage.py import_inventory --replace``), the upload page and
``POST /api/clouds/import/`` with replace on. Each must be refused with a
message naming where the problem is, within 2 s of CPU time (wall time
varies with what else runs on the shared machine; 15 s catches a hang) and
200 MB of Python memory (tracemalloc, in a second run: it slows what it
watches), and the stored "lab" inventory must be exactly as before.
"""

from __future__ import annotations

import functools
import html
import io
import json
import time
import tracemalloc

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test.client import encode_multipart

from inventory import models as m
from inventory.services import load_snapshot
from tests.security.malformed import BIG_IDS, Malformed, malformed_files

SECONDS = 2.0  # of CPU time: the work a file costs, whatever else runs on the machine
WALL_SECONDS = 15.0
PEAK_BYTES = 200 * 1024 * 1024
BOUNDARY = "malformed-inventory-boundary"
IDS = [case.id for case in malformed_files(big=False)] + BIG_IDS

pytestmark = pytest.mark.django_db


@functools.cache
def _cases() -> dict[str, Malformed]:
    return {case.id: case for case in malformed_files(big=True)}


def test_there_are_at_least_sixty_kinds():
    assert len(IDS) >= 60


def _measure(call):
    """The call's result, its CPU time, and the peak of Python memory in a second run.

    Two runs, because tracemalloc slows what it watches several times over.
    """
    started, cpu_started = time.perf_counter(), time.process_time()
    result = call()
    elapsed = time.process_time() - cpu_started
    assert time.perf_counter() - started < WALL_SECONDS  # no hang either
    tracemalloc.start()
    try:
        call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, elapsed, peak


def _assert_refused_in_bounds(case: Malformed, message: str, elapsed: float, peak: int, before):
    assert case.located(message), f"{case.id}: the refusal does not say where:\n{message[:2000]}"
    assert len(message) < 20_000, f"{case.id}: a {len(message)}-character refusal"
    assert elapsed < SECONDS, f"{case.id}: refused in {elapsed:.2f} s of CPU"
    assert peak < PEAK_BYTES, f"{case.id}: {peak / 2**20:.0f} MiB at the peak"
    assert m.Cloud.objects.count() == 1
    assert load_snapshot("lab") == before, f"{case.id}: the stored inventory changed"


@pytest.mark.parametrize("case_id", IDS)
def test_the_import_command_refuses(case_id, lab_cloud, tmp_path):
    case = _cases()[case_id]
    path = tmp_path / case.filename
    path.write_bytes(case.data)
    before = load_snapshot("lab")
    outputs: list[str] = []

    def run():
        out = io.StringIO()
        with pytest.raises(CommandError) as caught:
            call_command("import_inventory", str(path), "--replace", "--json", stdout=out)
        outputs.append(out.getvalue())
        return caught.value

    error, elapsed, peak = _measure(run)
    result = json.loads(outputs[0])
    assert result["ok"] is False and "nothing was imported" in str(error)
    _assert_refused_in_bounds(case, "\n".join(result["problems"]), elapsed, peak, before)


def _multipart(case: Malformed, replace: str) -> bytes:
    return encode_multipart(
        BOUNDARY, {"file": SimpleUploadedFile(case.filename, case.data), "replace": replace}
    )


@pytest.mark.parametrize("case_id", IDS)
def test_the_upload_page_refuses(case_id, lab_cloud, admin_client):
    case = _cases()[case_id]
    body = _multipart(case, "on")  # built before measuring: the browser's part, not ours
    before = load_snapshot("lab")

    response, elapsed, peak = _measure(lambda: admin_client.post(
        "/inventory/import/", body, content_type=f"multipart/form-data; boundary={BOUNDARY}"))
    assert response.status_code in (400, 413), (case.id, response.status_code)
    message = html.unescape(response.content.decode())
    _assert_refused_in_bounds(case, message, elapsed, peak, before)


@pytest.mark.parametrize("case_id", IDS)
def test_the_api_refuses(case_id, lab_cloud, admin_client):
    case = _cases()[case_id]
    body = _multipart(case, "true")
    before = load_snapshot("lab")

    response, elapsed, peak = _measure(lambda: admin_client.post(
        "/api/clouds/import/", body, content_type=f"multipart/form-data; boundary={BOUNDARY}"))
    assert response.status_code in (400, 413), (case.id, response.status_code)
    message = json.dumps(response.json())
    _assert_refused_in_bounds(case, message, elapsed, peak, before)


def test_a_file_just_under_the_limit_is_read_and_its_problem_named(lab_cloud, settings, tmp_path):
    # The limit refuses what is too big; what is under it is still checked whole.
    settings.INVENTORY_MAX_BYTES = 3 * 1024 * 1024
    case = _cases()["truncated-2-mib-json"]
    path = tmp_path / case.filename
    path.write_bytes(case.data)
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_inventory", str(path), "--replace", "--json", stdout=out)
    assert "not valid JSON at line 1, column" in json.loads(out.getvalue())["problems"][0]


def test_what_real_files_hold_is_still_accepted(cloud_doc):
    # The screen is strict about NUL and surrogates, not about real text.
    from inventory.files import parse_inventory, read_document

    cloud_doc["hosts"][3].update(service_status="disabled",
                                 disabled_reason="RMA\tticket 42\nsee the wiki")
    cloud_doc["servers"][0]["flavor"] = "m1.large-ÄÖ-日本-😀"
    cloud_doc["hosts"][0]["ram_mib"] = 2**40  # the largest allowed
    cloud_doc["hosts"][1]["cpu_allocation_ratio"] = 0.25
    for text in (json.dumps(cloud_doc), yaml.safe_dump(cloud_doc, allow_unicode=True)):
        snapshot = parse_inventory(read_document(text))
        assert snapshot.hosts[3].disabled_reason == "RMA\tticket 42\nsee the wiki"
        assert snapshot.servers[0].flavor == "m1.large-ÄÖ-日本-😀"


def test_the_yaml_reader_reads_what_pyyamls_safe_loader_reads():
    # Our event-by-event reader replaces yaml.safe_load for inventories: same data.
    from pathlib import Path

    from inventory.demo import generate
    from inventory.files import dumps_inventory, read_document

    texts = [p.read_text() for p in sorted(Path("examples").glob("*.yaml"))]
    texts.append(dumps_inventory(generate(30, 7), "yaml"))
    texts.append("a: [1, 2.5, -3, 0x1f, 1_000, .5, yes, no, null, ~, '', 'x: y', \"\\t\"]\n"
                 "b:\n  c: 2026-12-04\n  d: !!str 12\n  e: !!float 3\n  f: |\n    two\n    lines\n")
    for text in texts:
        assert read_document(text) == yaml.safe_load(text)


def test_a_snapshot_read_from_a_cloud_is_held_to_the_same_limits(cloud_doc):
    # A refresh stores what Nova shows: the bounds apply, the file's vocabulary does not.
    import dataclasses

    from inventory.files import check_limits, parse_inventory

    snapshot = parse_inventory(cloud_doc)
    hosts = list(snapshot.hosts)
    hosts[1] = dataclasses.replace(hosts[1], ram_mib=2**63 - 1, cpu_allocation_ratio=1e308)
    servers = list(snapshot.servers)
    servers[0] = dataclasses.replace(servers[0], name="vm\x00one")
    servers[1] = dataclasses.replace(servers[1], status="SHELVED_OFFLOADED")
    poisoned = dataclasses.replace(snapshot, hosts=tuple(hosts), servers=tuple(servers))

    assert check_limits(poisoned) == ["servers[0].name: contains the control character \\x00 at character 2"]
    servers[0] = snapshot.servers[0]
    assert check_limits(dataclasses.replace(poisoned, servers=tuple(servers))) == [
        "hosts[1].cpu_allocation_ratio: must be at most 64.0, not 1e+308",
        "hosts[1].ram_mib: must be at most 1099511627776, not 9223372036854775807",
    ]
    assert check_limits(snapshot) == []
