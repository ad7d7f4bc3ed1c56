"""How SDK failures become the port's errors, as the executor's retry logic needs."""

from __future__ import annotations

import pytest
from keystoneauth1 import exceptions as ksa
from openstack import exceptions as sdk

from executor.openstack_adapter import OpenStackCloud, translate
from executor.port import Conflict, NotFound, Permanent, ServerInfo, Transient, WaitTimeout


@pytest.mark.parametrize(("status", "kind"), [
    (400, Permanent), (403, Permanent), (404, NotFound), (409, Conflict),
    (500, Transient), (502, Transient), (503, Transient), (504, Transient),
])
def test_http_statuses(status, kind):
    error = translate(sdk.HttpException(message="boom", http_status=status))
    assert type(error) is kind
    assert error.status == status


def test_connection_failures_and_timeouts_are_transient():
    assert type(translate(ksa.ConnectFailure("refused"))) is Transient
    assert type(translate(ksa.ConnectTimeout("slow"))) is Transient


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


class Scripted(OpenStackCloud):
    """The adapter with its reads scripted: only the wait logic runs."""

    def __init__(self, states, clock):
        super().__init__(connection=None, clock=clock, sleep=clock.sleep)
        self.states = list(states)

    def server(self, server_id):
        state = self.states.pop(0)
        if isinstance(state, Exception):
            raise state
        return ServerInfo(id=server_id, name="vm", status=state[0], host=state[1],
                          task_state=state[2])


def test_a_wait_rides_over_transient_errors_and_needs_no_task():
    clock = FakeClock()
    cloud = Scripted([("MIGRATING", "a", "migrating"), Transient("503", status=503),
                      ("ACTIVE", "b", "migrating"), ("ACTIVE", "b", "")], clock)

    server = cloud.wait_for_server("id", "ACTIVE", timeout=10, interval=1)

    assert (server.host, clock.now) == ("b", 3.0)


def test_a_wait_stops_at_once_on_error_and_times_out_on_the_fake_clock():
    clock = FakeClock()
    with pytest.raises(Permanent, match="went to ERROR"):
        Scripted([("ERROR", "a", "")], clock).wait_for_server("id", timeout=10)
    with pytest.raises(WaitTimeout) as timed_out:
        Scripted([("MIGRATING", "a", "migrating")] * 20, clock).wait_for_server(
            "id", timeout=5, interval=1)
    assert timed_out.value.last.status == "MIGRATING"
