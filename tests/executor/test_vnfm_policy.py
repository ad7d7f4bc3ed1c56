"""The VNF managers' exchange as plan policy and server configuration (no sandbox)."""

from __future__ import annotations

import pytest

from executor import services
from executor.models import Execution
from executor.vnfm import allowed_actions
from planner.options import PlanOptions


def test_the_timeout_policy_and_reply_deadline_are_checked_with_the_plan_policy():
    with pytest.raises(ValueError) as refused:
        PlanOptions.from_dict({"vnfm_timeout": "wait", "vnfm_reply_s": 0})
    assert str(refused.value) == (
        "vnfm_reply_s must be more than 0 and at most 86400 s, got 0; "
        "vnfm_timeout must be one of proceed, pause, got 'wait'")
    assert PlanOptions().to_dict()["vnfm_timeout"] == "proceed"


def test_changing_the_timeout_policy_after_approval_needs_a_new_approval(kit):
    plan = kit.approved()
    plan.options = PlanOptions.from_dict({**plan.options, "vnfm_timeout": "pause"}).to_dict()
    plan.save(update_fields=["options"])
    with pytest.raises(services.ExecutionError) as refused:
        services.start_execution(plan, kit.admin, {})
    assert str(refused.value) == ("The plan changed since its approval: it must be approved "
                                  "again.")
    assert Execution.objects.count() == 0


def test_a_fenix_vnf_manager_is_configured_on_the_server_and_complete(kit, settings):
    plan = kit.approved()
    with pytest.raises(services.ExecutionError) as inline:
        services.start_execution(plan, kit.admin, {"vnf_manager": {
            "kind": "fenix", "url": "http://vnfm", "reply_base_url": "http://me"}})
    assert "'fenix' hooks are configured on the server" in str(inline.value)
    settings.ESCALATOR_HOOKS = {"vnf_managers": {"half": {"kind": "fenix", "url": "http://x"}}}
    with pytest.raises(services.ExecutionError) as half:
        services.start_execution(plan, kit.admin, {"vnf_manager": "half"})
    assert str(half.value) == ("Execution settings: vnf_manager: a 'fenix' VNF manager needs "
                               "url and reply_base_url")
    assert Execution.objects.count() == 0


@pytest.mark.parametrize(("planned", "vnf", "migration_type", "allowed"), [
    ("live-migrate", "firewall", "any", ("LIVE_MIGRATE", "MIGRATE", "OWN_ACTION")),
    ("live-migrate", "", "any", ("LIVE_MIGRATE", "MIGRATE")),
    ("cold-migrate", "firewall", "any", ("MIGRATE", "OWN_ACTION")),
    ("switchover", "firewall", "any", ("OWN_ACTION",)),
    ("stop-start", "", "any", ()),
    ("live-migrate", "firewall", "own_action", ("OWN_ACTION",)),
    ("live-migrate", "firewall", "migrate", ("MIGRATE",)),
    # A type the plan's action cannot give leaves the choice as it is.
    ("cold-migrate", "firewall", "live_migrate", ("MIGRATE", "OWN_ACTION")),
])
def test_the_allowed_actions_follow_the_plan_and_the_vnfs_migration_type(
        planned, vnf, migration_type, allowed):
    assert allowed_actions(planned, vnf, migration_type) == allowed
