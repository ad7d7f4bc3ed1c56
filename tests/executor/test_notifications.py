"""The on-call team's webhooks: a real HTTP receiver gets signed, retried deliveries.

The receiver is a real HTTP server (http.server in a thread of the test);
the deliveries leave from the site's background outbox over the loopback.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from escalator_site.notify_config import Receiver, load_receivers, parse_receivers
from executor import services
from planner import services as planning
from planner.models import Simulation
from tests.executor.fakes import FakeCloud, FakeUpgrade
from tests.executor.test_api_pages import run_fake

SECRET = "on-call-secret-0123456789"


class Inbox:
    """What the receiver got: (headers, body) per request; ``fail_first`` 503s per delivery."""

    def __init__(self, fail_first: int = 0, hold: threading.Event | None = None) -> None:
        self.requests: list[tuple[dict[str, str], bytes, int]] = []
        self.fail_first = fail_first
        self.hold = hold
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _handler(self):
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if inbox.hold is not None:
                    inbox.hold.wait(10)
                with inbox.lock:
                    delivery = self.headers["X-Escalator-Delivery"]
                    seen = sum(1 for h, _, _ in inbox.requests
                               if h["X-Escalator-Delivery"] == delivery)
                    code = 503 if seen < inbox.fail_first else 200
                    inbox.requests.append((dict(self.headers), body, code))
                self.send_response(code)
                self.end_headers()

            def log_message(self, *args):
                pass

        return Handler

    def delivered(self) -> list[dict]:
        with self.lock:
            return [json.loads(body) for _, body, code in self.requests if code == 200]

    def wait_for(self, count: int, timeout: float = 20.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.delivered()
            if len(got) >= count:
                return got
            time.sleep(0.05)
        raise AssertionError(f"{len(self.delivered())} deliveries, expected {count}: "
                             f"{self.requests}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def inbox(request, settings):
    box = Inbox(**getattr(request, "param", {}))
    settings.ESCALATOR_NOTIFICATIONS = [Receiver("oncall", box.url, SECRET)]
    settings.NOTIFY_BACKOFF_S = 0.1
    yield box
    box.close()


def approved_through_the_workflow(kit):
    plan = kit.approved(state="simulated")
    plan.validation = {"ok": True}
    plan.save(update_fields=["validation"])
    Simulation.objects.create(plan=plan, content_hash=plan.content_hash, state="done",
                              summary={"duration_s": {"p50": 42.0}}, runs=1, done_runs=1,
                              finished=timezone.now() - timedelta(seconds=1))
    planning.submit_plan(plan, kit.author)
    planning.approve_plan(plan, kit.approver)
    plan.refresh_from_db()
    return plan


@pytest.mark.parametrize("inbox", [{"fail_first": 1}], indirect=True)
def test_each_event_arrives_signed_once_after_a_retry(kit, inbox):
    plan = approved_through_the_workflow(kit)
    execution = services.start_execution(plan, kit.admin, {})
    state, _ = run_fake(execution.pk)
    assert state == "done"

    got = inbox.wait_for(4)
    assert [(b["event"], b["plan"]["name"]) for b in got] == [
        ("plan.submitted", "rolling"), ("plan.approved", "rolling"),
        ("execution.started", "rolling"), ("execution.finished", "rolling")]
    assert (got[1]["actor"], got[2]["execution"]["id"], got[3]["execution"]["state"]) == (
        "approver", execution.pk, "done")
    assert got[3]["execution"]["url"] == f"/executions/{execution.pk}/"
    # Every delivery was refused once (503) and sent again with the same id.
    codes: dict[str, list[int]] = {}
    for headers, body, code in inbox.requests:
        codes.setdefault(headers["X-Escalator-Delivery"], []).append(code)
        signed = hmac.new(SECRET.encode(), headers["X-Escalator-Timestamp"].encode() + b"."
                          + body, hashlib.sha256).hexdigest()
        assert headers["X-Escalator-Signature"] == f"sha256={signed}"
        assert headers["X-Escalator-Event"] == json.loads(body)["event"]
    assert sorted(codes.values()) == [[503, 200]] * 4


def test_a_blocked_execution_is_told_and_a_slow_receiver_holds_nothing_up(kit, settings):
    hold = threading.Event()
    box = Inbox(hold=hold)
    settings.ESCALATOR_NOTIFICATIONS = [
        Receiver("pager", box.url, SECRET, frozenset({"execution.blocked"}))]
    try:
        plan = kit.approved()
        execution = services.start_execution(plan, kit.admin,
                                             {"policy": {"host_return_timeout_s": 0.5,
                                                         "poll_s": 0.1}})
        cloud = FakeCloud({"cmp1": [("fw-a", "ACTIVE"), ("lb-1", "ACTIVE")],
                           "cmp2": [("fw-b", "ACTIVE"), ("batch-1", "SHUTOFF")],
                           "cmp3": [("lb-2", "ACTIVE")], "cmp4": [("lb-3", "ACTIVE")]})
        from executor.runner import run_execution
        from tests.executor.helpers import TARGET_VERSIONS

        state = run_execution(execution.pk, cloud=cloud, upgrade_driver=FakeUpgrade(
            cloud, lost={"cmp1"}, versions=TARGET_VERSIONS))
        # The worker finished while the receiver still holds its delivery unanswered.
        assert state == "blocked"
        assert not hold.is_set() and box.delivered() == []
        hold.set()
        got = box.wait_for(1)
        assert [b["event"] for b in got] == ["execution.blocked"]
        assert "cmp1" in got[0]["execution"]["cause"]
        assert got[0]["execution"]["state"] == "blocked"
    finally:
        hold.set()
        box.close()


def test_receivers_are_configured_on_the_server_and_mistakes_are_named(tmp_path):
    path = tmp_path / "notify.yaml"
    path.write_text("receivers:\n  - {name: pager, url: 'https://hooks.example/x', "
                    "secret: 'abcdefghijklmnopq', events: [execution.blocked]}\n")
    (receiver,) = load_receivers({"ESCALATOR_NOTIFICATIONS_FILE": str(path)})
    assert (receiver.name, receiver.events) == ("pager", frozenset({"execution.blocked"}))
    assert load_receivers({}) == []
    with pytest.raises(ValueError, match=r"receivers\[0\]\.secret: at least 16"):
        load_receivers({"ESCALATOR_NOTIFY_URL": "https://hooks.example/x",
                        "ESCALATOR_NOTIFY_SECRET": "short"})
    with pytest.raises(ValueError, match=r"f: receivers\[0\]\.events: unknown plan\.deleted"):
        parse_receivers([{"url": "http://x", "secret": "s" * 20, "events": ["plan.deleted"]}],
                        "f")
    with pytest.raises(ValueError, match=r"receivers\[0\]\.url: expected an http\(s\) URL"):
        parse_receivers([{"url": "file:///etc/passwd", "secret": "s" * 20}], "f")
