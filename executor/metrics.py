"""The Prometheus ``/metrics`` endpoint: executions, steps and predicted vs actual.

Every figure is read from the database at scrape time (a custom collector),
so every web process answers the same and nothing is lost when a worker
restarts. Exposed through prometheus-client's own text format.

- ``escalator_executions{state}``: executions per state (every state listed).
- ``escalator_plans{state}``: plans per state (submitted, approved ...).
- ``escalator_steps_done_total{kind}``: steps done (or skipped) per kind.
- ``escalator_steps{state}``: steps of executions under way, per state.
- ``escalator_step_duration_seconds{kind}``: a histogram of the durations of
  the steps done.
- ``escalator_execution_predicted_seconds{execution,plan}`` and
  ``escalator_execution_actual_seconds{execution,plan}``: the approved
  estimate's p50 duration beside the time the execution has run (so far, or
  in all), for the executions under way and the 20 latest.
- ``escalator_step_predicted_seconds_sum{execution}`` and
  ``escalator_step_actual_seconds_sum{execution}``: the simulated p95 of the
  steps done beside their measured durations.

``ESCALATOR_METRICS_TOKEN`` set: a scrape must send ``Authorization: Bearer
<token>`` (Prometheus' ``authorization`` scrape setting); unset: open, as
exporters usually are behind the site's network rules.
"""

from __future__ import annotations

import hmac
import os
from collections import defaultdict
from collections.abc import Iterator

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from executor.choices import UNDER_WAY, ExecutionState, StepState
from executor.models import Execution, StepRecord
from planner.choices import PlanState
from planner.models import Plan

# Step durations span a 0.1 s enable to an hour-long host upgrade.
BUCKETS = (0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
RECENT = 20


class EscalatorCollector(Collector):
    """Figures read from the database at each scrape."""

    def collect(self) -> Iterator[Metric]:
        yield from self._executions()
        yield from self._plans()
        yield from self._steps()
        yield from self._predicted_vs_actual()

    def _executions(self) -> Iterator[Metric]:
        counts = dict(Execution.objects.values_list("state").annotate(n=Count("pk")))
        family = GaugeMetricFamily("escalator_executions", "Executions per state.",
                                   labels=["state"])
        for state in ExecutionState.values:
            family.add_metric([state], counts.get(state, 0))
        yield family

    def _plans(self) -> Iterator[Metric]:
        counts = dict(Plan.objects.values_list("state").annotate(n=Count("pk")))
        family = GaugeMetricFamily("escalator_plans", "Plans per state.", labels=["state"])
        for state in PlanState.values:
            family.add_metric([state], counts.get(state, 0))
        yield family

    def _steps(self) -> Iterator[Metric]:
        finished = [StepState.DONE, StepState.SKIPPED]
        done = dict(StepRecord.objects.filter(state__in=finished).values_list("kind")
                    .annotate(n=Count("pk")))
        total = CounterMetricFamily("escalator_steps_done",
                                    "Steps done or skipped, per kind.", labels=["kind"])
        for kind, n in sorted(done.items()):
            total.add_metric([kind], n)
        yield total
        live = dict(StepRecord.objects.filter(execution__state__in=UNDER_WAY)
                    .values_list("state").annotate(n=Count("pk")))
        steps = GaugeMetricFamily("escalator_steps",
                                  "Steps of the executions under way, per state.",
                                  labels=["state"])
        for state in StepState.values:
            steps.add_metric([state], live.get(state, 0))
        yield steps
        durations: dict[str, list[float]] = defaultdict(list)
        for kind, started, ended in StepRecord.objects.filter(
                state=StepState.DONE, started_at__isnull=False, finished_at__isnull=False
        ).values_list("kind", "started_at", "finished_at").iterator():
            durations[kind].append(max(0.0, ended - started))
        histogram = HistogramMetricFamily("escalator_step_duration_seconds",
                                          "Durations of the steps done, per kind.",
                                          labels=["kind"])
        for kind, values in sorted(durations.items()):
            buckets = [(str(float(b)), sum(1 for v in values if v <= b)) for b in BUCKETS]
            buckets.append(("+Inf", len(values)))
            histogram.add_metric([kind], buckets, sum(values))
        yield histogram

    def _predicted_vs_actual(self) -> Iterator[Metric]:
        under_way = list(Execution.objects.filter(state__in=UNDER_WAY).values_list("pk", flat=True))
        recent = list(Execution.objects.order_by("-pk").values_list("pk", flat=True)[:RECENT])
        executions = (Execution.objects.filter(pk__in=set(under_way) | set(recent))
                      .select_related("plan", "plan__approved_simulation").order_by("pk"))
        predicted = GaugeMetricFamily(
            "escalator_execution_predicted_seconds",
            "The approved estimate's p50 duration of the execution's plan.",
            labels=["execution", "plan"])
        actual = GaugeMetricFamily(
            "escalator_execution_actual_seconds",
            "How long the execution has run (until now, or until it finished).",
            labels=["execution", "plan"])
        step_predicted = GaugeMetricFamily(
            "escalator_step_predicted_seconds_sum",
            "The simulated p95 durations of the execution's steps done, summed.",
            labels=["execution"])
        step_actual = GaugeMetricFamily(
            "escalator_step_actual_seconds_sum",
            "The measured durations of the same steps, summed.", labels=["execution"])
        now = timezone.now()
        for execution in executions:
            labels = [str(execution.pk), execution.plan.name]
            simulation = execution.plan.approved_simulation
            p50 = ((simulation.summary or {}).get("duration_s") or {}).get("p50") \
                if simulation is not None else None
            if p50 is not None:
                predicted.add_metric(labels, float(p50))
            if execution.started is not None:
                end = execution.finished or now
                actual.add_metric(labels, (end - execution.started).total_seconds())
            pairs = [(e, b - a) for e, a, b in execution.steps.filter(
                state=StepState.DONE, expected_s__isnull=False, started_at__isnull=False,
                finished_at__isnull=False).values_list("expected_s", "started_at", "finished_at")]
            if pairs:
                step_predicted.add_metric([str(execution.pk)], sum(p for p, _ in pairs))
                step_actual.add_metric([str(execution.pk)], sum(d for _, d in pairs))
        yield from (predicted, actual, step_predicted, step_actual)


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(EscalatorCollector())
    return registry


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus' text exposition of the figures above."""
    token = os.environ.get("ESCALATOR_METRICS_TOKEN", "")
    if token:
        sent = request.headers.get("Authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            return HttpResponse("metrics: send Authorization: Bearer <ESCALATOR_METRICS_TOKEN>\n",
                                status=401, content_type="text/plain; charset=utf-8")
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
