"""Upgrade drivers and VNF managers come from the server's configuration, picked by name:
nothing a web user types becomes a command line or a URL, and credentials are never shown."""

from __future__ import annotations

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from executor.models import Execution

pytestmark = [pytest.mark.django_db(transaction=True)]

HOOKS = {"upgrade_drivers": {"fleet": {"kind": "webhook",
                                       "url": "https://ops:s3cret@fleet.example/upgrade"}},
         "vnf_managers": {"vnfm": {"kind": "webhook", "url": "https://vnfm.example/x?token=t0k"}}}


def start(kit, config):
    client = APIClient()
    client.force_authenticate(kit.admin)
    plan = kit.approved()
    return plan, client.post("/api/executions/start/", {"plan": plan.pk, "config": config},
                             format="json")


@pytest.mark.parametrize("config, reason", [
    ({"upgrade_driver": {"kind": "command", "command": "touch /tmp/owned"}},
     "upgrade_driver: 'command' hooks are configured on the server (ESCALATOR_HOOKS_FILE) "
     "and picked by name: one of sandbox"),
    ({"vnf_manager": {"kind": "webhook", "url": "http://169.254.169.254/"}},
     "vnf_manager: 'webhook' hooks are configured on the server (ESCALATOR_HOOKS_FILE) and "
     "picked by name: one of none"),
    ({"upgrade_driver": {"kind": "sandbox", "control_url": "http://169.254.169.254/"}},
     "upgrade_driver: control_url may not be set here (allowed with kind 'sandbox': down_s, "
     "kind)"),
    ({"upgrade_driver": "ansible"},
     "upgrade_driver: no configured upgrade driver named 'ansible'; choose from sandbox"),
])
def test_a_hook_typed_into_the_start_form_is_refused_and_nothing_starts(kit, config, reason):
    plan, response = start(kit, config)

    assert response.status_code == 400
    assert response.json() == {"detail": f"Execution settings: {reason}"}
    assert not Execution.objects.exists()
    plan.refresh_from_db()
    assert plan.state == "approved"


@override_settings(ESCALATOR_HOOKS=HOOKS)
def test_an_execution_picks_a_configured_hook_by_name_and_its_secrets_are_never_shown(
        kit, client):
    _, response = start(kit, {"upgrade_driver": "fleet", "vnf_manager": "vnfm"})

    assert response.status_code == 202
    body = response.json()
    assert (body["config"]["upgrade_driver"], body["config"]["vnf_manager"]) == ("fleet", "vnfm")
    client.force_login(kit.viewer)
    shown = [response.content.decode(),
             client.get(f"/api/executions/{body['id']}/").content.decode(),
             client.get(f"/executions/{body['id']}/").content.decode()]
    assert all("s3cret" not in text and "t0k" not in text for text in shown)
    # The worker gets the whole configuration from the server's settings.
    from executor.hook_config import resolve

    assert resolve("upgrade_driver", "fleet")["url"] == HOOKS["upgrade_drivers"]["fleet"]["url"]
