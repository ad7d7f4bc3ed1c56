"""Bad input gets a 4xx (or a clean websocket close) naming what is wrong, never a 5xx.

Each test is a request from the security review of issue 18 that gave a 500,
a traceback or a poisoned row before.
"""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.urls import reverse

from escalator_site.api_urls import router
from escalator_site.routing import websocket_urlpatterns
from inventory import models as m
from inventory.services import load_snapshot
from planner import services
from planner.choices import JobState
from planner.models import Simulation
from planner.tasks import run_simulation

BIG = str(2**63 + 1)  # one past int64
LIST_ROUTES = [basename for _, viewset, basename in router.registry if hasattr(viewset, "list")]


@pytest.mark.django_db
@pytest.mark.parametrize("basename", LIST_ROUTES)
@pytest.mark.parametrize("query", [f"limit={BIG}", f"offset={BIG}", f"limit={BIG}&offset={BIG}",
                                   "limit=-1&offset=-5", "limit=1e400", "offset=" + "9" * 5000])
def test_list_endpoints_take_any_limit_and_offset(admin_client, lab_cloud, basename, query):
    response = admin_client.get(f"{reverse(f'{basename}-list')}?{query}")
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert len(body["results"]) <= 1000


@pytest.mark.django_db
def test_a_limit_above_the_maximum_is_capped(admin_client, lab_cloud):
    body = admin_client.get(f"/api/servers/?limit={BIG}").json()
    assert body["count"] == 6 and len(body["results"]) == 6
    assert admin_client.get(f"/api/servers/?offset={BIG}").json()["results"] == []


def _plan(role_users):
    return services.create_plan(role_users["planner"], "serial")


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [2**63, -1, 2**31])
def test_simulate_refuses_a_seed_out_of_range_through_the_api(client, lab_cloud, role_users, seed):
    plan = _plan(role_users)
    client.force_login(role_users["planner"])
    response = client.post(f"/api/plans/{plan.pk}/simulate/", {"runs": 2, "seed": seed},
                           content_type="application/json")
    assert response.status_code == 400
    assert "seed" in response.json()
    assert not Simulation.objects.exists()


@pytest.mark.django_db
def test_simulate_form_refuses_a_seed_above_int64(client, lab_cloud, role_users):
    plan = _plan(role_users)
    client.force_login(role_users["planner"])
    response = client.post(reverse("planner:plan-simulate", args=[plan.pk]),
                           {"runs": 2, "seed": BIG, "bandwidth_factor": 1,
                            "live_migration_failure_p": 0, "upgrade_failure_p": 0}, follow=True)
    assert response.status_code == 200
    assert "seed" in response.content.decode() and "less than or equal to" in response.content.decode()
    assert not Simulation.objects.exists()


@pytest.mark.django_db
def test_the_service_refuses_a_seed_out_of_range_for_every_caller(lab_cloud, role_users):
    with pytest.raises(services.WorkflowError, match="seed: between 0 and 2147483647"):
        services.request_simulation(_plan(role_users), role_users["planner"], seed=2**40)


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "value"), [
    ("cpu_allocation_ratio", 1e308), ("ram_allocation_ratio", 0.0), ("disk_allocation_ratio", "NaN"),
    ("cpu_allocation_ratio", "Infinity"), ("ram_mib", 2**63 - 1), ("vcpus", 2**40),
    ("nic_bandwidth_mibps", "1e400"), ("disk_gib", BIG),
])
def test_host_api_applies_the_file_schemas_limits(admin_client, lab_cloud, field, value):
    host = m.Host.objects.get(name="cmp1")
    before = load_snapshot("lab")
    response = admin_client.patch(f"/api/hosts/{host.pk}/", {field: value},
                                  content_type="application/json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert load_snapshot("lab") == before


@pytest.mark.django_db
def test_host_api_refuses_nan_in_json_as_a_parse_error(admin_client, lab_cloud):
    host = m.Host.objects.get(name="cmp1")
    response = admin_client.patch(f"/api/hosts/{host.pk}/", '{"cpu_allocation_ratio": NaN}',
                                  content_type="application/json")
    assert response.status_code == 400
    assert m.Host.objects.get(pk=host.pk).cpu_allocation_ratio == 2.0


@pytest.mark.django_db
def test_admin_host_form_applies_the_same_limits(admin_client, lab_cloud):
    host = m.Host.objects.get(name="cmp1")
    url = reverse("admin:inventory_host_change", args=[host.pk])
    form = {
        "cloud": host.cloud_id, "name": host.name, "az": host.az, "vcpus": 16,
        "ram_mib": 2**62, "disk_gib": 500, "cpu_allocation_ratio": "1e308",
        "ram_allocation_ratio": 1.0, "disk_allocation_ratio": 1.0, "nic_bandwidth_mibps": 1192.0,
        "service_status": "enabled", "service_state": "up", "disabled_reason": "",
        "components-TOTAL_FORMS": 0, "components-INITIAL_FORMS": 0,
    }
    response = admin_client.post(url, form)
    assert response.status_code == 200  # the form again, with its errors
    errors = response.context["adminform"].form.errors
    assert "less than or equal to 64" in str(errors["cpu_allocation_ratio"])
    assert "less than or equal to 1099511627776" in str(errors["ram_mib"])
    host.refresh_from_db()
    assert (host.ram_mib, host.cpu_allocation_ratio) == (65536, 2.0)


@pytest.mark.django_db
def test_a_body_over_the_request_limit_is_refused_before_it_is_read(admin_client, lab_cloud,
                                                                    settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    host = m.Host.objects.get(name="cmp1")
    body = json.dumps({"disabled_reason": "x" * 5000})
    response = admin_client.patch(f"/api/hosts/{host.pk}/", body, content_type="application/json")
    assert response.status_code == 413
    assert "REQUEST_MAX_BYTES" in response.json()["detail"]
    assert m.Host.objects.get(pk=host.pk).disabled_reason == ""


def _refuse_finished_simulations(connection) -> None:
    """A real database failure at the moment a result is saved (as a full disk would)."""
    table = Simulation._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                f"CREATE TRIGGER refuse_done BEFORE UPDATE OF state ON {table} "
                f"WHEN NEW.state = 'done' BEGIN SELECT RAISE(ABORT, 'disk full'); END"
            )
        else:
            cursor.execute(
                "CREATE FUNCTION refuse_done() RETURNS trigger AS $$ BEGIN "
                "IF NEW.state = 'done' THEN RAISE EXCEPTION 'disk full'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(f"CREATE TRIGGER refuse_done BEFORE UPDATE ON {table} "
                           f"FOR EACH ROW EXECUTE FUNCTION refuse_done()")


def _drop_refusal(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER refuse_done")
        else:
            cursor.execute(f"DROP TRIGGER refuse_done ON {Simulation._meta.db_table}")
            cursor.execute("DROP FUNCTION refuse_done()")


@pytest.mark.django_db(transaction=True)
def test_a_simulation_whose_result_cannot_be_saved_ends_failed_not_running(lab_cloud, role_users):
    from django.db import DatabaseError, connection

    plan = _plan(role_users)
    simulation = services.request_simulation(plan, role_users["planner"], runs=2, start=False)
    _refuse_finished_simulations(connection)
    try:
        with pytest.raises(DatabaseError, match="disk full"):
            run_simulation(simulation.pk)
    finally:
        _drop_refusal(connection)
    simulation.refresh_from_db()
    assert simulation.state == JobState.FAILED
    assert simulation.error.startswith("saving the result failed:")
    assert "disk full" in simulation.error
    assert simulation.finished is not None


# Websockets ---------------------------------------------------------------------------

APP = URLRouter(websocket_urlpatterns)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/ws/nothing/", "/ws/simulations/abc/", "/", "/ws/executions/1/x/"])
async def test_an_unknown_websocket_path_closes_with_4404(path, role_users):
    communicator = WebsocketCommunicator(APP, path)
    communicator.scope["user"] = role_users["viewer"]
    connected, code = await communicator.connect()
    assert (connected, code) == (False, 4404)


async def _open_simulation_socket(role_users):
    plan = await sync_to_async(_plan)(role_users)
    simulation = await sync_to_async(services.request_simulation)(
        plan, role_users["planner"], runs=2, start=False)
    communicator = WebsocketCommunicator(APP, f"/ws/simulations/{simulation.pk}/")
    communicator.scope["user"] = role_users["viewer"]
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from())["state"] == "queued"
    return communicator


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_frame_that_is_not_json_gets_an_error_and_a_4400_close(lab_cloud, role_users):
    communicator = await _open_simulation_socket(role_users)
    await communicator.send_to(text_data="{not json")
    reply = await communicator.receive_json_from()
    assert "frames must be JSON" in reply["error"]
    closed = await communicator.receive_output()
    assert closed == {"type": "websocket.close", "code": 4400}


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_frame_nested_without_end_gets_a_4400_close(lab_cloud, role_users):
    communicator = await _open_simulation_socket(role_users)
    await communicator.send_to(text_data="[" * 100_000 + "]" * 100_000)
    assert "frames must be JSON" in (await communicator.receive_json_from())["error"]
    assert (await communicator.receive_output())["code"] == 4400


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_binary_frame_is_refused_and_a_json_frame_ignored(lab_cloud, role_users):
    communicator = await _open_simulation_socket(role_users)
    await communicator.send_to(text_data='{"hello": 1}')
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.send_to(bytes_data=b"\x00\xff")
    assert "binary frames" in (await communicator.receive_json_from())["error"]
    assert (await communicator.receive_output())["code"] == 4400


# Pages and filters --------------------------------------------------------------------

PAGES_WITH_NUMBERS = [
    f"/inventory/hosts/?page={BIG}&per_page={BIG}",
    f"/inventory/hosts/?page=-{BIG}&sort=-ram",
    f"/inventory/vnfs/?page={BIG}&per_page=1e400",
    f"/inventory/hosts/{BIG}/",
    f"/inventory/vnfs/{BIG}/",
    f"/inventory/export/?cloud={BIG}",
    f"/planning/plans/{BIG}/",
    f"/planning/plans/?page={BIG}",
    f"/planning/whatif/?s={BIG}&s=1&s={'9' * 5000}",
    f"/executions/{BIG}/",
    f"/executions/?page={BIG}",
    f"/api/simulations/?plan={BIG}",
    "/api/simulations/?plan=abc",
    f"/api/executions/?plan={BIG}",
    f"/api/plans/{BIG}/",
    f"/api/hosts/{BIG}/",
    "/api/hosts/?ordering=-ram_mib,nonsense",
    f"/api/executions/{BIG}/events/?after={BIG}",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", PAGES_WITH_NUMBERS)
def test_pages_and_filters_take_numbers_out_of_range(admin_client, lab_cloud, url):
    response = admin_client.get(url)
    assert response.status_code in (200, 400, 404), (url, response.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "method", "body"), [
    ("/api/hosts/{host}/", "patch", '{"a":' * 100_000 + "1" + "}" * 100_000),
    ("/api/hosts/{host}/", "patch", '{"disabled_reason": ' + "[" * 500 + "]" * 500 + "}"),
    ("/api/plans/", "post", '{"strategy": "serial", "options": ' + "[" * 50_000 + "]" * 50_000 + "}"),
    ("/api/plans/{plan}/content/", "put",
     '{"content": ' + '{"w":' * 900 + "1" + "}" * 900 + "}"),
])
def test_deeply_nested_json_bodies_are_a_400(admin_client, lab_cloud, role_users, url, method, body):
    host = m.Host.objects.get(name="cmp1")
    plan = _plan(role_users)
    target = url.format(host=host.pk, plan=plan.pk)
    response = getattr(admin_client, method)(target, body, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert "nested" in response.json()["detail"]
