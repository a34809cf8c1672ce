"""Metric readers and exporters that apply the LiteLLM naming.

* :class:`LiteLLMPrometheusMetricReader`: the OTel Prometheus reader, on its own
  registry, with no ``target_info`` or ``otel_scope_*`` labels, that rewrites label
  names before the exposition is rendered.
* :class:`RenamingMetricExporter`: wraps any push exporter (OTLP gRPC/HTTP) the
  same way.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics.export import (
    Metric,
    MetricExporter,
    MetricExportResult,
    MetricReader,
    MetricsData,
)
from prometheus_client import CollectorRegistry

from otel_litellm import exposition

_log = logging.getLogger(__name__)

Rewrite = Callable[[MetricsData], MetricsData]


def _identity(data: MetricsData) -> MetricsData:
    return data


class LiteLLMPrometheusMetricReader(PrometheusMetricReader):  # type: ignore[misc]
    """A Prometheus pull reader whose scrape shows LiteLLM's names and labels."""

    def __init__(
        self,
        rewrite: Rewrite | None = None,
        *,
        registry: CollectorRegistry | None = None,
        scope_info: bool = False,
        target_info: bool = False,
        cardinality_limit: int | None = None,
    ) -> None:
        self._capturing = False
        self._captured: MetricsData | None = None
        self._shadowed: set[str] = set()
        self._scope_info = scope_info
        self._target_info = target_info
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        limits: dict[type, int] | None = None
        if cardinality_limit is not None:
            from opentelemetry.sdk.metrics import (
                Counter,
                Histogram,
                ObservableGauge,
                UpDownCounter,
            )

            limits = dict.fromkeys(
                (Counter, Histogram, ObservableGauge, UpDownCounter), cardinality_limit
            )
        super().__init__(
            disable_target_info=not target_info,
            scope_info_enabled=scope_info,
            registry=self.registry,
            cardinality_limits=limits,
        )
        self._rewrite = rewrite or _identity
        #: Set by the multi-worker hand-over: folds the peers' points into each collection.
        self.merge: Rewrite | None = None

    @property
    def registry(self) -> CollectorRegistry:
        return self._served_registry

    @registry.setter
    def registry(self, registry: CollectorRegistry) -> None:
        # Endpoints hold the registry (it survives a fork, see setup.py); they find
        # the reader behind it here for the direct rendering path.
        self._served_registry = registry
        _readers_by_registry[id(registry)] = self

    def _receive_metrics(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> None:
        if metrics_data is not None:
            if self.merge is not None:
                metrics_data = self.merge(metrics_data)
            metrics_data = self._one_stream_per_family(self._rewrite(metrics_data))
        if self._capturing:
            self._captured = metrics_data
            return
        if metrics_data is not None:  # the direct writer cleans label values as it writes
            metrics_data = _clean_label_values(metrics_data)
        super()._receive_metrics(metrics_data, timeout_millis, **kwargs)

    def _one_stream_per_family(self, data: MetricsData) -> MetricsData:
        """Keep one metric per Prometheus family name.

        Two streams landing in one family make an invalid exposition: prometheus_client
        writes a second HELP line, or fills one stream's label names with the other's
        values, and a family holding both would double every ``sum()``.  In the ``both``
        naming the semantic ``litellm.deployment.state`` renders as LiteLLM's
        ``litellm_deployment_state``: the stream named exactly as its family (LiteLLM's,
        renamed by its View) keeps it; the other still goes to OTLP readers.
        """
        winners: dict[str, Metric] = {}
        for metric in _metrics(data):
            family = exposition.family_name(metric)
            held = winners.get(family)
            if held is None or (held.name != family and metric.name == family):
                winners[family] = metric
        kept = {id(metric) for metric in winners.values()}
        if len(kept) == sum(1 for _ in _metrics(data)):
            return data
        self._note_shadowed(m.name for m in _metrics(data) if id(m) not in kept)
        return _map_metrics(data, lambda m: m if id(m) in kept else None)

    def _note_shadowed(self, names: Iterable[str]) -> None:
        new = set(names) - self._shadowed
        if new:
            self._shadowed |= new
            _log.info(
                "otel_litellm: %s render as Prometheus families other metrics already have; "
                "/metrics shows those, OTLP both",
                ", ".join(sorted(new)),
            )

    def collect_data(self, timeout_millis: float = 10_000) -> MetricsData | None:
        """This process's own points, before the rewrite and without serving them."""
        return self._collect(self, timeout_millis=timeout_millis) if self._collect else None

    def render(self, openmetrics: bool = False, names: Collection[str] | None = None) -> bytes:
        """Collect now and write the exposition directly (see otel_litellm.exposition).

        Raises ``exposition.Unsupported`` where only the prometheus_client path is exact:
        scope labels or ``target_info`` asked for, or metrics with real units.
        """
        if self._scope_info or self._target_info:
            raise exposition.Unsupported("scope labels and target_info need prometheus_client")
        self._capturing, self._captured = True, None
        try:
            self.collect()
            data = self._captured
        finally:
            self._capturing, self._captured = False, None
        return exposition.render(data or MetricsData(resource_metrics=[]), openmetrics, names)


def _metrics(data: MetricsData) -> Iterator[Metric]:
    for resource_metrics in data.resource_metrics:
        for scope_metrics in resource_metrics.scope_metrics:
            yield from scope_metrics.metrics


def _clean_label_values(data: MetricsData) -> MetricsData:
    """``data`` with string attribute values as :func:`exposition.clean_value` leaves
    them, for prometheus_client, which writes them as they are."""

    def clean(point: Any) -> Any:
        attributes = point.attributes or {}
        if all(not isinstance(v, str) or v.isprintable() for v in attributes.values()):
            return point
        cleaned = {
            k: exposition.clean_value(v) if isinstance(v, str) else v for k, v in attributes.items()
        }
        return replace(point, attributes=cleaned)

    def clean_metric(metric: Metric) -> Metric:
        points = [clean(point) for point in metric.data.data_points]
        return replace(metric, data=replace(metric.data, data_points=points))  # type: ignore[arg-type]

    return _map_metrics(data, clean_metric)


def _map_metrics(data: MetricsData, change: Callable[[Metric], Metric | None]) -> MetricsData:
    """``data`` with each metric changed, or left out where ``change`` gives None."""
    return MetricsData(
        resource_metrics=[
            replace(
                rm,
                scope_metrics=[
                    replace(sm, metrics=[c for c in map(change, sm.metrics) if c is not None])
                    for sm in rm.scope_metrics
                ],
            )
            for rm in data.resource_metrics
        ]
    )


_readers_by_registry: weakref.WeakValueDictionary[int, LiteLLMPrometheusMetricReader] = (
    weakref.WeakValueDictionary()
)


def reader_for(registry: CollectorRegistry) -> LiteLLMPrometheusMetricReader | None:
    """The otel_litellm reader serving ``registry``, if there is one."""
    reader = _readers_by_registry.get(id(registry))
    return reader if reader is not None and reader.registry is registry else None


class RenamingMetricExporter(MetricExporter):
    """Delegates to ``exporter`` after rewriting the batch (LiteLLM labels, no units)."""

    def __init__(self, exporter: MetricExporter, rewrite: Rewrite) -> None:
        super().__init__(
            preferred_temporality=exporter._preferred_temporality,
            preferred_aggregation=exporter._preferred_aggregation,
        )
        self._exporter = exporter
        self._rewrite = rewrite

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        return self._exporter.export(self._rewrite(metrics_data), timeout_millis=timeout_millis)

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return self._exporter.force_flush(timeout_millis=timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        self._exporter.shutdown(timeout_millis=timeout_millis)


def otlp_exporter(protocol: str | None = None) -> MetricExporter:
    """The OTLP metric exporter for ``protocol`` (``grpc`` or ``http/protobuf``).

    Endpoint, headers, timeout and temporality come from the standard
    ``OTEL_EXPORTER_OTLP_*`` environment variables, read by the exporter itself; the
    protocol variables are read with the other settings (otel_litellm.config).
    """
    chosen = protocol or "grpc"
    if chosen == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter

        return OTLPMetricExporter()
    if chosen in ("http/protobuf", "http"):
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
            OTLPMetricExporter as HTTPExporter,
        )

        return HTTPExporter()
    raise ValueError(f"unsupported OTLP protocol {chosen!r}: use 'grpc' or 'http/protobuf'")


def build_readers(
    exporters: Sequence[str],
    rewrite: Rewrite,
    *,
    cardinality_limit: int | None = None,
    otlp_protocol: str | None = None,
    export_interval_ms: int | None = None,
) -> tuple[list[MetricReader], LiteLLMPrometheusMetricReader | None]:
    """The readers ``exporters`` names (``prometheus``, ``otlp``, ``none``), and the pull one."""
    readers: list[MetricReader] = []
    prometheus: LiteLLMPrometheusMetricReader | None = None
    for name in exporters:
        if name == "prometheus":
            prometheus = LiteLLMPrometheusMetricReader(rewrite, cardinality_limit=cardinality_limit)
            readers.append(prometheus)
        elif name == "otlp":
            from otel_litellm.zero_start import DrainingReader, ZeroStartExporter

            exporter = ZeroStartExporter(
                RenamingMetricExporter(otlp_exporter(otlp_protocol), rewrite)
            )
            readers.append(DrainingReader(exporter, export_interval_millis=export_interval_ms))
        elif name != "none":
            raise ValueError(f"unknown metrics exporter {name!r}: use prometheus, otlp or none")
    return readers, prometheus
