"""Fixtures of the executor's tests: the sandbox cloud, its inventory, approved plans."""

from __future__ import annotations

import pytest

from tests.executor.helpers import ExecutionKit, wait_settled


@pytest.fixture
def sandbox(sandbox_session):
    """The session's sandbox, reset to its seed and settled (every compute steadily up)."""
    seed = {s.name: s.host for s in sandbox_session.seed.servers}
    for _ in range(3):
        sandbox_session.reset()
        wait_settled(sandbox_session)
        # A reset's own migration back can meet a scheduler that has not yet
        # heard from a restarted host: check, and reset again if so.
        if {s.name: s.host for s in sandbox_session.cloud().servers()} == seed:
            break
    return sandbox_session


@pytest.fixture
def kit(transactional_db, django_user_model, monkeypatch) -> ExecutionKit:
    """An inventory, users (admin, author, approver, viewer) and plan helpers.

    Dispatching to a background worker is recorded, not done: tests run the
    worker themselves (in this process or as a subprocess).
    """
    return ExecutionKit.create(django_user_model, monkeypatch)
