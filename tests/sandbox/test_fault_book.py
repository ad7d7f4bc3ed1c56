"""The fault book's rules, without a cloud."""

from __future__ import annotations

import pytest

from sandbox.faults import FaultBook, FaultError


def test_a_share_of_requests_fails_deterministically():
    book = FaultBook()
    book.add({"kind": "http_error", "status": 503, "ratio": 0.25, "path": "/v2.1/servers"})

    fired = [book.take_http("GET", "/v2.1/servers/detail") is not None for _ in range(8)]

    assert fired == [False, False, False, True, False, False, False, True]


def test_http_faults_match_method_and_path_prefix_only():
    book = FaultBook()
    book.add({"kind": "http_error", "status": 500, "method": "post", "path": "/v2.1/servers/"})

    assert book.take_http("GET", "/v2.1/servers/abc/action") is None
    assert book.take_http("POST", "/v2.1/os-services") is None
    assert book.take_http("POST", "/v2.1/servers/abc/action").status == 500


def test_a_counted_fault_is_used_up_then_gone():
    book = FaultBook()
    book.add({"kind": "live_migration_fail", "host": "cmp1", "count": 2})

    assert book.take("live_migration_fail", "cmp2") is None
    assert book.take("live_migration_fail", "cmp1") is not None
    assert book.take("live_migration_fail", "cmp1") is not None
    assert book.take("live_migration_fail", "cmp1") is None
    assert book.listing() == []


def test_clearing_releases_held_requests():
    book = FaultBook()
    book.add({"kind": "hang", "seconds": 30})
    assert not book.release.is_set()

    book.clear()

    assert book.release.is_set()
    assert book.listing() == []


@pytest.mark.parametrize(("body", "message"), [
    ({"kind": "meteor"}, "kind: must be one of"),
    ({"kind": "http_error", "status": 404}, "status: must be 500, 502, 503 or 504"),
    ({"kind": "http_error", "ratio": 0}, "ratio: must be in (0, 1]"),
    ({"kind": "hang"}, "seconds: must be positive"),
    ({"kind": "precheck_fail", "count": 0}, "count: must be a positive integer"),
])
def test_impossible_faults_are_refused_with_the_reason(body, message):
    with pytest.raises(FaultError, match=message.replace("(", r"\(").replace("]", r"\]")):
        FaultBook().add(body)
