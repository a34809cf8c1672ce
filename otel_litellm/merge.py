"""Several workers' cumulative ``MetricsData`` as one instance's.

Rules, per metric and attribute set:

* counters (monotonic sums) and histograms: summed over every worker, live or exited;
* up-down sums and the live-process gauges in :data:`LIVE_GAUGES`: summed over live
  workers only;
* every other gauge (state: budgets, deployment state, limits): the value with the
  latest observation time (``time_unix_nano``) any worker reported.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from opentelemetry.sdk.metrics.export import (
    Gauge,
    Histogram,
    HistogramDataPoint,
    Metric,
    MetricsData,
    NumberDataPoint,
    ResourceMetrics,
    ScopeMetrics,
    Sum,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

_log = logging.getLogger(__name__)

#: Gauges that describe a process, not shared state (LiteLLM's in-flight and admission
#: gauges, when bridged in): the instance's value is the live workers' sum.
LIVE_GAUGES = frozenset(
    {
        "litellm_in_flight_requests",
        "litellm_admission_admitted_requests",
        "litellm_admission_queued_requests",
    }
)

_Key = frozenset[tuple[str, Any]]


@dataclass
class _Family:
    metric: Metric
    points: dict[_Key, Any] = field(default_factory=dict)


@dataclass
class Source:
    """One worker's data; ``live`` is False for a worker that has exited."""

    data: MetricsData
    live: bool


def merge_sources(sources: Iterable[Source]) -> MetricsData:
    """One ``MetricsData`` for all ``sources``; the first source's resource and order lead."""
    families: dict[tuple[str, str], _Family] = {}
    scopes: dict[str, InstrumentationScope] = {}
    resource: Resource | None = None
    for source in sources:
        for resource_metrics in source.data.resource_metrics:
            resource = resource or resource_metrics.resource
            for scope_metrics in resource_metrics.scope_metrics:
                scopes.setdefault(scope_metrics.scope.name, scope_metrics.scope)
                for metric in scope_metrics.metrics:
                    key = (scope_metrics.scope.name, metric.name)
                    family = families.get(key)
                    if family is None:
                        family = families[key] = _Family(metric)
                    _add(family, metric, source.live)
    by_scope: dict[str, list[Metric]] = {}
    for (scope_name, _), family in families.items():
        by_scope.setdefault(scope_name, []).append(_result(family))
    return MetricsData(
        resource_metrics=[
            ResourceMetrics(
                resource=resource or Resource.get_empty(),
                scope_metrics=[
                    ScopeMetrics(scope=scopes[name], metrics=metrics, schema_url="")
                    for name, metrics in by_scope.items()
                ],
                schema_url="",
            )
        ]
    )


def _key(attributes: Mapping[str, Any] | None) -> _Key:
    return frozenset((attributes or {}).items())


def _live_only(metric: Metric) -> bool:
    data = metric.data
    if isinstance(data, Sum):
        return not data.is_monotonic
    return isinstance(data, Gauge) and metric.name in LIVE_GAUGES


def _add(family: _Family, metric: Metric, live: bool) -> None:
    data = metric.data
    if type(data) is not type(family.metric.data):
        _log.warning("otel_litellm: %s has different kinds across workers; one kept", metric.name)
        return
    if _live_only(family.metric) and not live:
        return
    summed = isinstance(data, (Sum, Histogram)) or _live_only(family.metric)
    for point in data.data_points:
        key = _key(point.attributes)
        held = family.points.get(key)
        if held is None:
            family.points[key] = point
        elif summed:
            family.points[key] = _sum(held, point, metric.name)
        elif point.time_unix_nano > held.time_unix_nano:
            family.points[key] = point


def _sum(held: Any, point: Any, name: str) -> Any:
    start = min(held.start_time_unix_nano or 0, point.start_time_unix_nano or 0) or max(
        held.start_time_unix_nano or 0, point.start_time_unix_nano or 0
    )
    time = max(held.time_unix_nano, point.time_unix_nano)
    if isinstance(held, NumberDataPoint):
        return replace(
            held, value=held.value + point.value, start_time_unix_nano=start, time_unix_nano=time
        )
    assert isinstance(held, HistogramDataPoint)
    if tuple(held.explicit_bounds) != tuple(point.explicit_bounds):
        _log.warning("otel_litellm: %s has different buckets across workers; one kept", name)
        return held
    return replace(
        held,
        start_time_unix_nano=start,
        time_unix_nano=time,
        count=held.count + point.count,
        sum=held.sum + point.sum,
        bucket_counts=tuple(
            a + b for a, b in zip(held.bucket_counts, point.bucket_counts, strict=True)
        ),
        min=_either(min, held.min, point.min),
        max=_either(max, held.max, point.max),
    )


def _either(pick: Callable[[float, float], float], held: float, point: float) -> float:
    """``pick`` of two extremes, either of which may be unset: the SDK types them as floats,
    but a bridged prometheus_client histogram keeps neither (None)."""
    if held is None or point is None:
        return point if held is None else held
    return pick(held, point)


def _result(family: _Family) -> Metric:
    data = family.metric.data
    points = list(family.points.values())
    return replace(family.metric, data=replace(data, data_points=points))  # type: ignore[arg-type]
