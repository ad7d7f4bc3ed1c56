"""Benchmark: how long and how much memory refusing a malformed inventory file costs.

Usage: .venv/bin/python bench/inventory_refusals.py
Reads each of the malformed files of tests/security/malformed.py (parse and
check, no database), then the worst cases the limits allow: a JSON file just
under INVENTORY_MAX_BYTES and a YAML file just under its third, each broken
at its very end (a key given twice). Time is measured without tracing; the peak of Python memory
(tracemalloc) in a second run. Last line: one JSON object of the figures.
"""

from __future__ import annotations

import json
import os
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalator_site.settings")


def refuse(data: bytes, name: str) -> str:
    from inventory.files import InventoryError, decode, parse_inventory, read_document

    try:
        parse_inventory(read_document(decode(data, name), name=name))
    except InventoryError as exc:
        return exc.problems[0]
    raise AssertionError(f"{name} was accepted")


def measure(data: bytes, name: str) -> tuple[float, float, str]:
    started = time.perf_counter()
    first = refuse(data, name)
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    refuse(data, name)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, peak / 2**20, first


def broken_at_the_end(limit: int, fmt: str) -> bytes:
    """A generated cloud as big as fits under ``limit``, with a duplicate key at its end."""
    from inventory.demo import generate
    from inventory.files import dump_inventory

    document = dump_inventory(generate(3000 if fmt == "json" else 1000, 1))
    while True:
        if fmt == "json":
            text = json.dumps(document)[:-1] + ', "hosts": []}'
        else:
            import yaml

            text = yaml.safe_dump(document, sort_keys=False) + "cloud: {name: twice}\n"
        if len(text) <= limit:
            return text.encode()
        document["servers"] = document["servers"][: int(len(document["servers"]) * 0.9)]


def main() -> None:
    import django

    django.setup()
    from inventory.file_reader import MAX_FILE_BYTES
    from inventory.files import YAML_SHARE
    from tests.security.malformed import malformed_files

    figures: dict[str, object] = {}
    worst = (0.0, "")
    peak_worst = (0.0, "")
    cases = malformed_files(big=True)
    for case in cases:
        elapsed, peak, _ = measure(case.data, case.filename)
        worst = max(worst, (elapsed, case.id))
        peak_worst = max(peak_worst, (peak, case.id))
    figures["malformed_files"] = len(cases)
    figures["slowest_refusal_s"] = round(worst[0], 3)
    figures["slowest_refusal"] = worst[1]
    figures["largest_peak_mib"] = round(peak_worst[0], 1)
    figures["largest_peak"] = peak_worst[1]
    for fmt, limit in (("json", MAX_FILE_BYTES), ("yaml", MAX_FILE_BYTES // YAML_SHARE)):
        data = broken_at_the_end(limit, fmt)
        elapsed, peak, first = measure(data, f"worst.{fmt}")
        figures[f"{fmt}_broken_at_end_mib"] = round(len(data) / 2**20, 2)
        figures[f"{fmt}_broken_at_end_s"] = round(elapsed, 2)
        figures[f"{fmt}_broken_at_end_peak_mib"] = round(peak, 1)
        figures[f"{fmt}_broken_at_end_message"] = first[:100]
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
