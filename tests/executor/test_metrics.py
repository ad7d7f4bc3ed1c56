"""Prometheus scrapes /metrics from the real site (daphne) and reads what ran.

The worker runs here on the in-memory cloud; the scrape goes over HTTP to a
live server process on the same test database and is read back with
prometheus_client's own parser, as Prometheus would.
"""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from executor import services
from executor.models import Execution
from tests.executor.test_api_pages import run_fake
from tests.livesite import LiveSite

TOKEN = "scrape-secret-1"


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker):
    from django.db import connection

    with django_db_blocker.unblock():
        live = LiveSite(connection.settings_dict, {"ESCALATOR_METRICS_TOKEN": TOKEN})
    yield live
    live.stop()


def scrape(site, token: str | None = TOKEN) -> dict[str, list]:
    request = urllib.request.Request(site.url + "/metrics")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.headers["Content-Type"].startswith("text/plain; version=")
        text = answer.read().decode()
    return {family.name: family.samples for family in text_string_to_metric_families(text)}


def value(samples, name: str, **labels: str) -> float:
    found = [s.value for s in samples if s.name == name
             and all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(found) == 1, (name, labels, samples)
    return found[0]


def test_a_scrape_counts_executions_steps_and_compares_predicted_with_actual(site, kit):
    plan = kit.approved()
    execution = services.start_execution(plan, kit.admin, {})
    before = scrape(site)
    assert value(before["escalator_executions"], "escalator_executions", state="queued") == 1
    assert value(before["escalator_executions"], "escalator_executions", state="done") == 0
    assert value(before["escalator_plans"], "escalator_plans", state="executing") == 1

    state, _ = run_fake(execution.pk)
    assert state == "done"
    steps: dict[str, int] = {}
    for kind in Execution.objects.get(pk=execution.pk).steps.values_list("kind", flat=True):
        steps[kind] = steps.get(kind, 0) + 1
    # Predictions the watchdog would have had (a simulation of the approved plan).
    execution.steps.update(expected_s=2.5)

    after = scrape(site)
    assert value(after["escalator_executions"], "escalator_executions", state="done") == 1
    assert value(after["escalator_executions"], "escalator_executions", state="queued") == 0
    done = {s.labels["kind"]: s.value for s in after["escalator_steps_done"]}
    assert done == steps
    histogram = after["escalator_step_duration_seconds"]
    for kind, n in steps.items():
        assert value(histogram, "escalator_step_duration_seconds_count", kind=kind) == n
        assert value(histogram, "escalator_step_duration_seconds_bucket", kind=kind,
                     le="+Inf") == n
    total = sum(steps.values())
    assert value(after["escalator_step_predicted_seconds_sum"],
                 "escalator_step_predicted_seconds_sum", execution=str(execution.pk)) == \
        pytest.approx(2.5 * total)
    measured = sum(r.duration_s for r in Execution.objects.get(pk=execution.pk).steps.all())
    assert value(after["escalator_step_actual_seconds_sum"],
                 "escalator_step_actual_seconds_sum", execution=str(execution.pk)) == \
        pytest.approx(measured)
    actual = value(after["escalator_execution_actual_seconds"],
                   "escalator_execution_actual_seconds", execution=str(execution.pk),
                   plan="rolling")
    assert actual >= 0


def test_a_scrape_without_the_token_is_refused(site, transactional_db):
    with pytest.raises(urllib.error.HTTPError) as refused:
        scrape(site, token="wrong")
    assert refused.value.code == 401
    assert b"ESCALATOR_METRICS_TOKEN" in refused.value.read()
