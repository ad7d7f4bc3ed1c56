"""Helpers of the executor's tests: the sandbox inventory, approved plans, counting."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.plan import ActionKind, HostStep, ServerAction, Wave
from domain.plan import Plan as PurePlan
from executor.port import MigrationInfo
from inventory.services import replace_inventory
from planner.export import plan_to_dict
from planner.models import Plan
from planner.services import content_hash
from sandbox.seed import TARGET, small_cloud

A = ServerAction
TARGET_VERSIONS = {c.name: c.version for c in TARGET}


def rolling_plan() -> PurePlan:
    """Four hosts in two parallel waves; every kind of action once at least."""
    return PurePlan("custom", "2026.2", (
        Wave((HostStep("cmp1", (A("fw-a", ActionKind.SWITCHOVER, "cmp1"),
                                A("lb-1", ActionKind.LIVE_MIGRATE, "cmp1", "cmp3"))),
              HostStep("cmp2", (A("fw-b", ActionKind.LIVE_MIGRATE, "cmp2", "cmp4"),
                                A("batch-1", ActionKind.STAY, "cmp2"))))),
        Wave((HostStep("cmp3", (A("lb-1", ActionKind.LIVE_MIGRATE, "cmp3", "cmp1"),
                                A("lb-2", ActionKind.COLD_MIGRATE, "cmp3", "cmp2"))),
              HostStep("cmp4", (A("fw-b", ActionKind.LIVE_MIGRATE, "cmp4", "cmp2"),
                                A("lb-3", ActionKind.STOP_START, "cmp4"))))),
    ))


# Where rolling_plan leaves every server.
PLANNED = {"fw-a": "cmp1", "lb-1": "cmp1", "fw-b": "cmp2", "batch-1": "cmp2",
           "lb-2": "cmp2", "lb-3": "cmp4"}


@dataclass
class ExecutionKit:
    admin: object
    author: object
    approver: object
    viewer: object
    dispatched: list[int] = field(default_factory=list)

    @classmethod
    def create(cls, users, monkeypatch) -> ExecutionKit:
        from django.contrib.auth.models import Group

        replace_inventory(small_cloud())
        admin = users.objects.create_user("admin", password="pw-admin-123", is_superuser=True,
                                          is_staff=True)
        author = users.objects.create_user("author", password="pw-author-123")
        approver = users.objects.create_user("approver", password="pw-approver-123")
        viewer = users.objects.create_user("viewer", password="pw-viewer-123")
        for user, role in ((author, "planner"), (approver, "approver"), (viewer, "viewer")):
            group, _ = Group.objects.get_or_create(name=role)
            user.groups.add(group)
        kit = cls(admin, author, approver, viewer)
        import executor.services

        monkeypatch.setattr(executor.services, "submit",
                            lambda task, execution_id: kit.dispatched.append(execution_id))
        return kit

    def approved(self, pure: PurePlan | None = None, *, state: str = "approved",
                 snapshot=None) -> Plan:
        from inventory.models import Cloud
        from inventory.services import current_version
        from planner.services import approval_hash

        pure = pure or rolling_plan()
        snapshot = snapshot or small_cloud()
        content = plan_to_dict(pure, snapshot)
        cloud = Cloud.objects.get(name=snapshot.cloud)
        plan = Plan.objects.create(
            cloud=cloud, inventory_version=current_version(cloud), name="rolling",
            strategy=pure.strategy, options=dict(content.get("options") or {}),
            target_release=pure.target_release, content=content, content_hash=content_hash(content),
            state=state, author=self.author, approved_by=self.approver)
        if state == "approved":
            plan.approved_hash = approval_hash(plan, None)
            plan.save(update_fields=["approved_hash"])
        return plan


def migrations_since(cloud, baseline: int) -> list[MigrationInfo]:
    return [m for m in cloud.migrations() if int(m.id) > baseline]


def newest_migration_id(cloud) -> int:
    return max((int(m.id) for m in cloud.migrations()), default=0)


# A scheduler that has not yet heard from a restarted compute answers "No
# valid host" for a few seconds: these attempts and backoffs (2, 4, 8 s)
# ride over that, as an operator's policy would.
PATIENT = {"migration_attempts": 4, "backoff_s": 1.0}


def sandbox_config(down_s: float = 1.0, **policy) -> dict:
    return {"upgrade_driver": {"kind": "sandbox", "down_s": down_s},
            "policy": {"poll_s": 0.3, "backoff_s": 0.2, "verify_settle_s": SETTLE_S, **policy}}


# Longer than the sandbox's service_down_time (5 s): see Policy.verify_settle_s.
SETTLE_S = 6.0


def one_host_plan() -> PurePlan:
    """cmp1 alone: two live migrations, then its upgrade."""
    return PurePlan("custom", "2026.2", (
        Wave((HostStep("cmp1", (A("fw-a", ActionKind.LIVE_MIGRATE, "cmp1", "cmp3"),
                                A("lb-1", ActionKind.LIVE_MIGRATE, "cmp1", "cmp4"))),)),
    ))


def two_wave_plan() -> PurePlan:
    """cmp1 then cmp3: what a host that does not come back must stop."""
    return PurePlan("custom", "2026.2", (
        Wave((HostStep("cmp1", (A("lb-1", ActionKind.LIVE_MIGRATE, "cmp1", "cmp4"),
                                A("fw-a", ActionKind.LIVE_MIGRATE, "cmp1", "cmp3"))),)),
        Wave((HostStep("cmp3", (A("fw-a", ActionKind.LIVE_MIGRATE, "cmp3", "cmp1"),
                                A("lb-2", ActionKind.LIVE_MIGRATE, "cmp3", "cmp1"))),)),
    ))


def step_states(execution) -> dict[str, str]:
    return dict(execution.steps.values_list("key", "state"))


def move_by_hand(cloud, name: str, host: str, attempts: int = 5) -> None:
    """What an operator does at the console: try, and try again a little later."""
    import time

    from executor.port import Permanent

    server = next(s.id for s in cloud.servers() if s.name == name)
    for attempt in range(attempts):
        try:
            cloud.live_migrate(server, host)
            break
        except Permanent:
            if attempt == attempts - 1:
                raise
            time.sleep(2)
    cloud.wait_for_server(server, timeout=60, interval=0.3)


def run_to_end(execution) -> str:
    """Run the worker here; the state, with the cause when it is not done."""
    from executor.runner import run_execution

    state = run_execution(execution.pk)
    execution.refresh_from_db()
    return state if state == "done" else f"{state}: {execution.cause}"


def parallel_plan() -> PurePlan:
    """One wave of two hosts in parallel, three live migrations."""
    return PurePlan("custom", "2026.2", (
        Wave((HostStep("cmp1", (A("fw-a", ActionKind.LIVE_MIGRATE, "cmp1", "cmp3"),
                                A("lb-1", ActionKind.LIVE_MIGRATE, "cmp1", "cmp4"))),
              HostStep("cmp2", (A("fw-b", ActionKind.LIVE_MIGRATE, "cmp2", "cmp4"),
                                A("batch-1", ActionKind.STAY, "cmp2"))))),
    ))


def worker_env(**extra: str) -> dict[str, str]:
    """The environment of a worker process on the test database."""
    import os

    from django.db import connection

    from tests.livesite import database_url

    env = {**os.environ, "DATABASE_URL": database_url(connection.settings_dict), **extra}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


def wait_settled(handle, steady_s: float = SETTLE_S, timeout: float = 90.0) -> None:
    """Wait until every nova-compute has been seen up, unbroken, for ``steady_s``.

    A reset or an upgrade restarts computes; for a few seconds afterwards
    Nova may still see them down (their first heartbeat is late) and the
    scheduler then answers "No valid host". Tests start from a settled cloud.
    """
    import time

    cloud = handle.cloud()
    deadline = time.monotonic() + timeout
    since = None
    while time.monotonic() < deadline:
        states = {s.state for s in cloud.services() if s.binary == "nova-compute"}
        if states == {"up"}:
            since = since or time.monotonic()
            if time.monotonic() - since >= steady_s:
                return
        else:
            since = None
        time.sleep(0.5)
    raise TimeoutError("the sandbox's computes did not settle")
