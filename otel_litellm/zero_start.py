"""OTLP push that Prometheus's ``increase()`` and ``rate()`` count from a series' first request.

Through the Collector, each worker's counters are series of their own.  Prometheus
takes the first sample of a new series as its baseline: a worker that started (or
restarted) and answered 4 requests before its first export shows ``4`` first, and
``increase()`` never counts those 4.  Created timestamps would fix it, but the
Prometheus in Debian bookworm (2.42) has no created-timestamp ingestion (2.50+).

So each new cumulative counter or histogram series is exported at zero the first
:data:`ZERO_EXPORTS` times it appears, and with its value from then on.  The zero
must be scraped once: scrape the Collector at least once per
``ZERO_EXPORTS * OTEL_METRIC_EXPORT_INTERVAL``.
A final export (shutdown, ``SIGTERM``) sends the real values.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from typing import Any

from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    Histogram,
    HistogramDataPoint,
    Metric,
    MetricExporter,
    MetricExportResult,
    MetricsData,
    NumberDataPoint,
    PeriodicExportingMetricReader,
    Sum,
)

_log = logging.getLogger(__name__)
#: How often a worker that got SIGTERM exports while it drains its last requests.
DRAINING_EXPORT_SECONDS = 0.1
#: For at most this long: a process that outlives it goes back to its interval.
DRAINING_SECONDS = 120.0
#: Exports that show a new series at zero (two: a scrape as frequent as the export
#: interval, out of phase with it, still sees the zero once).
ZERO_EXPORTS = 2


class ZeroStartExporter(MetricExporter):
    """Delegates to ``exporter``; each new cumulative series goes out at zero first."""

    def __init__(self, exporter: MetricExporter) -> None:
        super().__init__(
            preferred_temporality=exporter._preferred_temporality,
            preferred_aggregation=exporter._preferred_aggregation,
        )
        self._exporter = exporter
        self._zeroed: dict[tuple[str, frozenset[tuple[str, Any]]], int] = {}
        self.released = False

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        data = metrics_data if self.released else self._zero_new(metrics_data)
        return self._exporter.export(data, timeout_millis=timeout_millis)

    def _zero_new(self, data: MetricsData) -> MetricsData:
        resource_metrics = []
        for rm in data.resource_metrics:
            scope_metrics = [
                replace(sm, metrics=[self._metric(metric) for metric in sm.metrics])
                for sm in rm.scope_metrics
            ]
            resource_metrics.append(replace(rm, scope_metrics=scope_metrics))
        return MetricsData(resource_metrics=resource_metrics)

    def _metric(self, metric: Metric) -> Metric:
        data = metric.data
        if not (isinstance(data, Sum) and data.is_monotonic) and not isinstance(data, Histogram):
            return metric
        if data.aggregation_temporality != AggregationTemporality.CUMULATIVE:
            return metric
        points = []
        for point in data.data_points:
            key = (metric.name, frozenset((point.attributes or {}).items()))
            zeroed = self._zeroed.get(key, 0)
            if zeroed >= ZERO_EXPORTS:
                points.append(point)
            else:
                self._zeroed[key] = zeroed + 1
                points.append(_zero(point))
        return replace(metric, data=replace(data, data_points=points))  # type: ignore[arg-type]

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return self._exporter.force_flush(timeout_millis=timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        self._exporter.shutdown(timeout_millis=timeout_millis)


def _zero(point: Any) -> Any:
    if isinstance(point, NumberDataPoint):
        return replace(point, value=0)
    assert isinstance(point, HistogramDataPoint)
    return replace(
        point, count=0, sum=0.0, bucket_counts=[0] * len(point.bucket_counts), min=0.0, max=0.0
    )


class DrainingReader(PeriodicExportingMetricReader):
    """A periodic reader whose last exports carry every count.

    On SIGTERM (the previous handler still runs) it exports every
    :data:`DRAINING_EXPORT_SECONDS` while the server drains, because uvicorn ends a
    worker by re-raising the signal with the default action: no ``atexit``, no
    final export.  At shutdown, the last export sends new series' real values.
    """

    def __init__(self, exporter: ZeroStartExporter, **kwargs: Any) -> None:
        super().__init__(exporter, **kwargs)
        self._zero_start = exporter
        self._draining = threading.Event()

    def on_sigterm(self) -> None:
        """Start draining (called from the lifecycle owner's SIGTERM hook)."""
        if self._draining.is_set():
            return
        self._draining.set()
        self._zero_start.released = True
        threading.Thread(target=self._drain, name="otel-litellm-drain", daemon=True).start()

    def _drain(self) -> None:
        deadline = time.monotonic() + DRAINING_SECONDS
        while time.monotonic() < deadline:
            try:
                self.collect(timeout_millis=2_000)
            except Exception:  # the export's own errors are logged by the SDK
                _log.debug("otel_litellm: draining export failed", exc_info=True)
            threading.Event().wait(DRAINING_EXPORT_SECONDS)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        self._zero_start.released = True
        super().shutdown(timeout_millis=timeout_millis, **kwargs)
