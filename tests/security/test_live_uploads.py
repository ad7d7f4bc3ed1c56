"""Uploads through the real server (daphne): refused by our checks, in bounded memory.

The in-process tests see Django only; these go through daphne's HTTP layer,
which parsed every multipart body in memory before Django did (see
escalator_site/daphne_tuning.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

BOUNDARY = "live-upload-boundary"


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc")


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxy between the test and loopback
    return session


@pytest.mark.django_db(transaction=True)
def test_a_multipart_body_daphne_cannot_parse_reaches_our_checks(live_site):
    response = _session().post(
        f"{live_site.url}/api/clouds/import/", data=f"--{BOUNDARY}--\r\n".encode(),
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}, timeout=30)
    # Not signed in: Django's answer, in JSON (daphne's own was a bare, empty 400).
    assert response.status_code == 401
    assert response.json()["detail"]


@pytest.mark.django_db(transaction=True)
def test_a_50_mb_upload_is_refused_without_the_server_growing_by_200_mb(live_site):
    before = _peak_rss_mib(live_site.process.pid)
    body = b"{" + b" " * 50_000_000 + b"}"
    response = _session().post(
        f"{live_site.url}/api/clouds/import/", files={"file": ("big.json", body)},
        data={"replace": "true"}, timeout=60)
    assert response.status_code == 413
    assert "INVENTORY_MAX_BYTES" in response.json()["detail"]
    grown = _peak_rss_mib(live_site.process.pid) - before
    assert grown < 200, f"daphne's peak memory grew by {grown:.0f} MiB"
