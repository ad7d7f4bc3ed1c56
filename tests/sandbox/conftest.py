"""The sandbox cloud's fixtures (see tests/fixtures_sandbox.py)."""

from tests.fixtures_sandbox import sandbox, sandbox_session  # noqa: F401
