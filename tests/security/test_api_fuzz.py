"""Schemathesis against the live site: no input gives a 5xx, no answer breaks the schema.

Every operation of the OpenAPI schema gets generated requests, valid ones and
invalid ones (negative mode), each sent to a real daphne on the test database
with the API token of one of the four roles in turn (so each operation is tried
by each role), against a small stored cloud, a draft plan, a simulation and a
pre-check run whose ids the path parameters use half of the time. A 5xx, a
response body that does not match the schema for its status, or a content type
the schema does not declare is a failure. All failures are gathered and
reported together. Bounded: EXAMPLES cases per operation and mode (about two
minutes in all).
"""

from __future__ import annotations

import itertools
import os

import pytest
import requests
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from escalator_site.roles import Role
from inventory import models as m
from planner import services

EXAMPLES = int(os.environ.get("ESCALATOR_FUZZ_EXAMPLES", "12"))
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance, status_code_conformance]
ROLES = [Role.VIEWER, Role.PLANNER, Role.APPROVER, Role.ADMIN]


def _token(user) -> str:
    from knox.models import AuthToken

    _, key = AuthToken.objects.create(user=user)
    return key


@pytest.fixture
def fuzz_world(transactional_db, lab_cloud, role_users):
    """What the requests can find: the lab cloud, a plan, a simulation, a pre-check."""
    plan = services.create_plan(role_users["planner"], "serial")
    simulation = services.request_simulation(plan, role_users["planner"], runs=2, start=False)
    precheck = services.run_precheck(role_users["planner"])
    ids = {
        "plans": plan.pk, "simulations": simulation.pk, "prechecks": precheck.pk,
        "hosts": m.Host.objects.order_by("pk").first().pk,
        "servers": m.Server.objects.order_by("pk").first().pk,
        "vnfs": m.Vnf.objects.order_by("pk").first().pk,
        "server-groups": m.ServerGroup.objects.order_by("pk").first().pk,
    }
    tokens = {role: _token(role_users[str(role)]) for role in ROLES}
    return ids, tokens


def _schema() -> schemathesis.BaseSchema:
    document = SchemaGenerator().get_schema(request=None, public=True)
    return schemathesis.openapi.from_dict(document)


def _resource(path: str) -> str:
    return path.strip("/").split("/")[1]  # /api/<resource>/...


def test_no_generated_request_gets_a_5xx_or_breaks_the_schema(live_site, fuzz_world):
    ids, tokens = fuzz_world
    schema = _schema()
    roles = itertools.cycle(ROLES)
    turns = itertools.count()
    failures: dict[str, str] = {}  # one example of each distinct failure
    tried: dict[str, int] = {}
    session = requests.Session()
    session.trust_env = False  # no proxy between the test and loopback

    def fuzz(operation, mode) -> None:
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        def send(case):
            role = next(roles)
            if case.path_parameters and next(turns) % 2:
                if "id" in case.path_parameters and _resource(operation.path) in ids:
                    case.path_parameters["id"] = ids[_resource(operation.path)]
                if "name" in case.path_parameters:
                    case.path_parameters["name"] = "lab"
            tried[operation.label] = tried.get(operation.label, 0) + 1
            headers = {"Authorization": f"Token {tokens[role]}"}
            try:
                response = case.call(base_url=live_site.url, session=session, headers=headers,
                                     timeout=30)
                case.validate_response(response, checks=CHECKS, headers=headers)
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - all are findings
                text = str(exc).strip()
                kind = " / ".join(line for line in text.splitlines() if line.startswith("- "))
                failures.setdefault(f"{operation.label}: {kind or text[:200]}", (
                    f"[{mode.value}, {role}] {text[:1500]}\n    {case.as_curl_command()[:600]}"))

        try:
            send()
        except Unsatisfiable:
            # Nothing in this operation can be made invalid (no parameters, no body).
            assert mode is GenerationMode.NEGATIVE, operation.label

    for result in schema.get_all_operations():
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz(result.ok(), mode)

    assert len(tried) >= 38, sorted(tried)
    assert not failures, f"{len(failures)} distinct failures:\n\n" + "\n\n".join(
        f"{key}\n{example}" for key, example in list(failures.items())[:40])
