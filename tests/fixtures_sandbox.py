"""Pytest fixtures that run the Nova sandbox cloud for a test session.

tests/conftest.py imports them for every test package (one definition, so
one sandbox per pytest session)::

    from tests.fixtures_sandbox import sandbox, sandbox_session  # noqa: F401

``sandbox_session`` (session scope) starts ``python -m sandbox.server`` on a
port of its own choosing, seeded with ``sandbox.seed.small_cloud()`` written
as an inventory file, waits for its READY line, points
``OS_CLIENT_CONFIG_FILE`` at the clouds.yaml it wrote (entry ``sandbox``),
and ends it by its PID at teardown; with ``ESCALATOR_SANDBOX_CACHE=DIR`` set
it starts from the databases saved there by an earlier session
(``--cache-dir``, docs/sandbox.md), which CI never sets. ``sandbox`` (per
test) first resets the cloud to its seed through the control endpoint
(faults cleared, hosts back, services and servers where the seed has them):
far cheaper than a restart.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from sandbox.process import SandboxHandle, start_sandbox, stop_sandbox
from sandbox.seed import small_cloud

__all__ = ["SandboxHandle", "sandbox", "sandbox_session"]


@pytest.fixture(scope="session")
def sandbox_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    workdir = tmp_path_factory.mktemp("sandbox")
    cache = os.environ.get("ESCALATOR_SANDBOX_CACHE")
    extra = ("--cache-dir", cache) if cache else ()
    proc, handle = start_sandbox(workdir, small_cloud(), extra_args=extra)
    previous = os.environ.get("OS_CLIENT_CONFIG_FILE")
    os.environ["OS_CLIENT_CONFIG_FILE"] = str(handle.clouds_yaml)
    try:
        yield handle
    finally:
        if previous is None:
            os.environ.pop("OS_CLIENT_CONFIG_FILE", None)
        else:
            os.environ["OS_CLIENT_CONFIG_FILE"] = previous
        stop_sandbox(proc)


@pytest.fixture
def sandbox(sandbox_session: SandboxHandle) -> SandboxHandle:
    """The session's sandbox, reset to its seed before the test."""
    sandbox_session.reset()
    return sandbox_session
