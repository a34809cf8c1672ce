"""``MetricsData`` to OTLP protobuf bytes (an ``ExportMetricsServiceRequest``) and back.

Encoding is the OTLP exporters' own encoder; decoding rebuilds the SDK's data classes
for the metric kinds otel_litellm records (sums, gauges, explicit-bucket histograms).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.metrics.v1 import metrics_pb2
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
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


def encode(data: MetricsData) -> bytes:
    return bytes(encode_metrics(data).SerializeToString())


def decode(payload: bytes) -> MetricsData:
    request = ExportMetricsServiceRequest.FromString(payload)
    return MetricsData(
        resource_metrics=[
            ResourceMetrics(
                resource=Resource(_attributes(rm.resource.attributes)),
                scope_metrics=[
                    ScopeMetrics(
                        scope=InstrumentationScope(sm.scope.name, sm.scope.version or None),
                        metrics=[m for m in map(_metric, sm.metrics) if m is not None],
                        schema_url=sm.schema_url,
                    )
                    for sm in rm.scope_metrics
                ],
                schema_url=rm.schema_url,
            )
            for rm in request.resource_metrics
        ]
    )


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None


def _attributes(pairs: Iterable[KeyValue]) -> Mapping[str, Any]:
    return {pair.key: _value(pair.value) for pair in pairs}


def _number(point: metrics_pb2.NumberDataPoint) -> NumberDataPoint:
    return NumberDataPoint(
        attributes=_attributes(point.attributes),
        start_time_unix_nano=point.start_time_unix_nano,
        time_unix_nano=point.time_unix_nano,
        value=point.as_int if point.WhichOneof("value") == "as_int" else point.as_double,
    )


def _histogram(point: metrics_pb2.HistogramDataPoint) -> HistogramDataPoint:
    return HistogramDataPoint(
        attributes=_attributes(point.attributes),
        start_time_unix_nano=point.start_time_unix_nano,
        time_unix_nano=point.time_unix_nano,
        count=point.count,
        sum=point.sum,
        bucket_counts=tuple(point.bucket_counts),
        explicit_bounds=tuple(point.explicit_bounds),
        min=point.min if point.HasField("min") else float("inf"),
        max=point.max if point.HasField("max") else float("-inf"),
    )


def _metric(metric: metrics_pb2.Metric) -> Metric | None:
    kind = metric.WhichOneof("data")
    data: Sum | Gauge | Histogram
    if kind == "sum":
        data = Sum(
            data_points=[_number(p) for p in metric.sum.data_points],
            aggregation_temporality=AggregationTemporality(metric.sum.aggregation_temporality),
            is_monotonic=metric.sum.is_monotonic,
        )
    elif kind == "gauge":
        data = Gauge(data_points=[_number(p) for p in metric.gauge.data_points])
    elif kind == "histogram":
        data = Histogram(
            data_points=[_histogram(p) for p in metric.histogram.data_points],
            aggregation_temporality=AggregationTemporality(
                metric.histogram.aggregation_temporality
            ),
        )
    else:
        _log.debug("otel_litellm: hand-over skips %s (%s)", metric.name, kind)
        return None
    return Metric(metric.name, metric.description, metric.unit, data)
