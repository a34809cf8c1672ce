"""The fast unit layer: otel_litellm's recording parts on an InMemoryMetricReader.

No server, no exporter, no LiteLLM proxy: the callback, the stand-in and the
service recorder write semantic instruments, and tests read the points back by
semantic name and attributes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

from otel_litellm import collection
from otel_litellm.callback import MetricsCallback
from otel_litellm.histograms import LocalHistograms
from otel_litellm.instruments import Instruments
from otel_litellm.naming import Naming
from otel_litellm.payload import PayloadReader
from otel_litellm.service_spec import SERVICE_METRICS
from otel_litellm.services import ServiceRecorder
from otel_litellm.spec import METRICS
from otel_litellm.standin import PrometheusStandIn
from otel_litellm.store import GaugeStore


@dataclass
class Point:
    name: str
    attributes: dict[str, Any]
    value: float  # a histogram's count
    sum: float = 0.0


@dataclass
class Recording:
    reader: InMemoryMetricReader
    instruments: Instruments
    callback: MetricsCallback
    standin: PrometheusStandIn
    services: ServiceRecorder
    seen: list[Point] = field(default_factory=list)

    def collect(self) -> list[Point]:
        data = self.reader.get_metrics_data()
        self.seen = [
            Point(
                metric.name,
                dict(point.attributes or {}),
                float(point.count if isinstance(point, HistogramDataPoint) else point.value),
                float(point.sum) if isinstance(point, HistogramDataPoint) else 0.0,
            )
            for resource in (data.resource_metrics if data else ())
            for scope in resource.scope_metrics
            for metric in scope.metrics
            for point in metric.data.data_points
        ]
        return self.seen

    def points(self, name: str, **attributes: str) -> list[Point]:
        return [
            p
            for p in self.collect()
            if p.name == name and all(p.attributes.get(k) == v for k, v in attributes.items())
        ]

    def value(self, name: str, **attributes: str) -> float:
        return sum(p.value for p in self.points(name, **attributes))


def recording(
    *,
    naming: Naming = Naming.LITELLM,
    custom_metadata_labels: Sequence[str] = (),
    custom_tags: Sequence[str] = (),
    end_user_labels: bool | None = True,
    include_labels: Mapping[str, Sequence[str]] | None = None,
    gauge_series: int = 10_000,
) -> Recording:
    from otel_litellm.payload import custom_label_name, custom_tag_label

    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    # Histograms aggregated as in production; no Views, so every family keeps its name.
    histograms = LocalHistograms(InstrumentationScope("otel_litellm"), views=False)
    custom = tuple(custom_label_name(m) for m in custom_metadata_labels) + tuple(
        custom_tag_label(t) for t in custom_tags
    )
    instruments = Instruments(
        provider.get_meter("otel_litellm"),
        (*METRICS, *SERVICE_METRICS),
        GaugeStore(gauge_series),
        naming=naming,
        include_labels=include_labels,
        custom_labels=custom,
        local_histograms=histograms,
    )
    collection.add_stage([reader], histograms)
    callback = MetricsCallback(
        instruments,
        PayloadReader(
            end_user_labels=end_user_labels,
            custom_metadata_labels=custom_metadata_labels,
            custom_tags=custom_tags,
        ),
    )
    return Recording(
        reader,
        instruments,
        callback,
        PrometheusStandIn(instruments),
        ServiceRecorder(instruments, enabled=True),
    )
