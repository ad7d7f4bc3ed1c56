"""The VNF managers' reply endpoint: token-checked, refusing bad replies, changing nothing.

The notification goes over HTTP to the reference VNF manager (sandbox/vnfm.py,
its own process, in ``never`` mode so that the test answers in its place);
the reply comes to the endpoint as a VNFM would send it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from executor import services
from executor.models import ExecutionEvent, VnfmSession
from executor.vnfm import Instance
from executor.vnfm_channel import DjangoChannel
from tests.executor.vnfm_helpers import VnfmProcess

FW = Instance("id-fw-a", "fw-a", "firewall", "live-migrate",
              ("LIVE_MIGRATE", "MIGRATE", "OWN_ACTION"))
BATCH = Instance("id-batch", "batch-9", "", "cold-migrate", ("MIGRATE",))


@pytest.fixture
def vnfm():
    process = VnfmProcess("never")
    yield process
    process.stop()


@pytest.fixture
def notified(kit, vnfm):
    """A notification for cmp1 delivered to the VNFM: (session row, body it received)."""
    execution = services.start_execution(kit.approved(), kit.admin, {})
    channel = DjangoChannel(execution.pk, {"url": vnfm.url,
                                           "reply_base_url": "http://escalator.test"})
    session = channel.open("cmp1", "proj-1", [FW, BATCH], reply_s=60)
    assert session.sent_now
    (received,) = vnfm.wait_for("received")
    return VnfmSession.objects.get(pk=session.id), received["body"]


def reply(body, token, pk):
    client = APIClient()
    return client.post(f"/api/vnfm-sessions/{pk}/reply/", body, format="json",
                       HTTP_AUTHORIZATION=f"Bearer {token}")


def good(row, **actions):
    return {"session_id": row.session_id, "project_id": "proj-1",
            "state": "ACK_PREPARE_MAINTENANCE", "instance_actions": actions}


def test_the_notification_carries_the_allowed_actions_the_reply_url_and_a_deadline(notified):
    row, body = notified
    assert body["state"] == "PREPARE_MAINTENANCE"
    assert body["session_id"] == f"exec-{row.execution_id}"
    assert body["instance_ids"] == ["id-batch", "id-fw-a"]
    assert body["allowed_actions"] == {"id-batch": ["MIGRATE"],
                                       "id-fw-a": ["LIVE_MIGRATE", "MIGRATE", "OWN_ACTION"]}
    assert body["reply_url"] == f"http://escalator.test/api/vnfm-sessions/{row.pk}/reply/"
    due = datetime.strptime(body["actions_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs((due - datetime.now(UTC)).total_seconds() - 60) < 5
    assert body["metadata"]["host"] == "cmp1"
    assert row.token_hash != body["reply_token"]  # only its hash is kept


@pytest.mark.parametrize(("change", "status", "detail"), [
    ({"instance_actions": {"id-batch": "LIVE_MIGRATE"}}, 400,
     "reply refused: instance_actions.id-batch: 'LIVE_MIGRATE' is not allowed (allowed: MIGRATE)"),
    ({"instance_actions": {"id-other": "MIGRATE"}}, 400,
     "reply refused: instance_actions.id-other: not an instance of this notification "
     "(its instances: id-batch, id-fw-a)"),
    ({"project_id": "proj-2"}, 400,
     "reply refused: project_id: expected 'proj-1', got 'proj-2'"),
    ({"state": "MAYBE"}, 400, "reply refused: state: ACK_PREPARE_MAINTENANCE or "
                              "NACK_PREPARE_MAINTENANCE, not 'MAYBE'"),
    ({"colour": "blue"}, 400, "reply refused: unknown fields: colour"),
    ({"instance_actions": ["MIGRATE"]}, 400,
     "reply refused: instance_actions: an object, instance id -> action"),
])
def test_a_bad_reply_is_refused_naming_what_is_wrong_and_changes_nothing(
        notified, change, status, detail):
    row, body = notified
    answer = reply({**good(row), **change}, body["reply_token"], row.pk)
    assert (answer.status_code, answer.json()) == (status, {"detail": detail})
    row.refresh_from_db()
    assert (row.state, row.reply, row.replied) == ("waiting", {}, None)
    assert not ExecutionEvent.objects.filter(kind="vnfm").exists()


def test_without_the_token_or_with_another_one_nothing_is_learnt_or_changed(notified):
    row, body = notified
    client = APIClient()
    missing = client.post(f"/api/vnfm-sessions/{row.pk}/reply/", good(row), format="json")
    assert missing.status_code == 401
    assert missing["WWW-Authenticate"].startswith("Bearer")
    wrong = reply(good(row), "not-the-token", row.pk)
    unknown = reply(good(row), body["reply_token"], row.pk + 1000)
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {
        "detail": "no maintenance session with this id and token"}
    row.refresh_from_db()
    assert row.state == "waiting"


def test_a_good_reply_is_stored_logged_and_answered_once(notified):
    row, body = notified
    token = body["reply_token"]
    answer = reply(good(row, **{"id-fw-a": "OWN_ACTION"}), token, row.pk)
    assert answer.status_code == 200
    assert answer.json()["instance_actions"] == {"id-fw-a": "OWN_ACTION"}
    row.refresh_from_db()
    assert row.state == "replied"
    assert row.reply["instance_actions"] == {"id-fw-a": "OWN_ACTION"}
    (event,) = ExecutionEvent.objects.filter(kind="vnfm")
    assert event.message == "vnfm: reply from project proj-1 for cmp1: fw-a OWN_ACTION"
    # The same reply again (a retry) is fine; another one is refused.
    assert reply(good(row, **{"id-fw-a": "OWN_ACTION"}), token, row.pk).status_code == 200
    other = reply(good(row, **{"id-fw-a": "MIGRATE"}), token, row.pk)
    assert other.status_code == 409
    assert "answered already" in other.json()["detail"]
    row.refresh_from_db()
    assert row.reply["instance_actions"] == {"id-fw-a": "OWN_ACTION"}


def test_a_reply_after_the_deadline_is_too_late(notified):
    row, body = notified
    VnfmSession.objects.filter(pk=row.pk).update(deadline=datetime.now(UTC) - timedelta(seconds=1))
    answer = reply(good(row), body["reply_token"], row.pk)
    assert answer.status_code == 409
    assert answer.json()["detail"].startswith("too late: the reply was due by ")
    row.refresh_from_db()
    assert (row.state, row.reply) == ("waiting", {})


def test_a_restarted_worker_finds_its_session_and_notifies_once_more_only_after_a_pause(
        notified, vnfm):
    row, body = notified
    channel = DjangoChannel(row.execution_id, {"url": vnfm.url,
                                               "reply_base_url": "http://escalator.test"})
    again = channel.open("cmp1", "proj-1", [FW, BATCH], reply_s=60)
    assert (again.id, again.sent_now, again.state) == (row.pk, False, "waiting")
    # The deadline passed (the plan paused the execution): resuming asks anew.
    assert channel.expire(row.pk).state == "expired"
    assert reply(good(row), body["reply_token"], row.pk).status_code == 409
    second = channel.open("cmp1", "proj-1", [FW, BATCH], reply_s=60)
    assert (second.round, second.sent_now) == (2, True)
    deadline = time.monotonic() + 10
    while len(notices := [e["body"] for e in vnfm.log() if e["event"] == "received"]) < 2:
        assert time.monotonic() < deadline, vnfm.log()
        time.sleep(0.1)
    assert [n["round"] for n in notices] == [1, 2]
    assert notices[0]["reply_token"] != notices[1]["reply_token"]
