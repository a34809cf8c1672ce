"""Stages added to a reader's collection: what an SDK ``MetricProducer`` would do.

This SDK gives a reader no producers, so a stage wraps the collect callback the
``MeterProvider`` set on the reader: each collection's batch passes through it before
the reader renders or exports it, and before any export-time rewrite.  otel_litellm's
stages: the local histograms (otel_litellm.histograms), then the registry bridge
(otel_litellm.bridge).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

from opentelemetry.sdk.metrics.export import (
    Metric,
    MetricReader,
    MetricsData,
    ResourceMetrics,
    ScopeMetrics,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

#: A batch (None: the SDK had nothing) and the reader collecting it -> the batch to use.
Stage = Callable[[MetricsData | None, MetricReader], MetricsData | None]


def add_stage(readers: Iterable[MetricReader], stage: Stage) -> None:
    """Pass every later collection of ``readers`` through ``stage`` (after the provider
    exists: it sets the callback wrapped here)."""
    for reader in readers:
        collect = reader._collect
        if collect is not None:
            reader._set_collect_callback(_through(collect, stage))


def _through(collect: Callable[..., Any], stage: Stage) -> Callable[..., Any]:
    def collect_through_stage(reader: MetricReader, timeout_millis: float = 10_000) -> Any:
        return stage(collect(reader, timeout_millis=timeout_millis), reader)

    return collect_through_stage


def with_metrics(
    data: MetricsData | None,
    scope: InstrumentationScope,
    metrics: Sequence[Metric],
    resource: Resource,
) -> MetricsData:
    """``data`` with ``metrics`` added to ``scope`` in its first resource (a new batch of
    ``resource`` if ``data`` has none)."""
    if data is None or not data.resource_metrics:
        added = ScopeMetrics(scope, list(metrics), scope.schema_url or "")
        return MetricsData([ResourceMetrics(resource, [added], schema_url="")])
    first, *rest = data.resource_metrics
    scopes = list(first.scope_metrics)
    for position, held in enumerate(scopes):
        if held.scope.name == scope.name:
            scopes[position] = replace(held, metrics=[*held.metrics, *metrics])
            break
    else:
        scopes.append(ScopeMetrics(scope, list(metrics), scope.schema_url or ""))
    return MetricsData([replace(first, scope_metrics=scopes), *rest])
