"""Views and the export-time rewrite that turn semantic instruments into LiteLLM's names.

Two pieces, because OTel Views can rename a metric but not its attribute keys:

* :func:`build_views` renames each instrument to its LiteLLM family (or keeps the
  semantic name), keeps only the attributes that family carries and sets the buckets;
* :class:`LabelRenamer` rewrites exported ``MetricsData``: semantic attribute keys
  become LiteLLM label names and units are dropped, so the Prometheus exporter
  appends no ``_seconds``/``_USD`` suffix.  Readers and OTLP exporters apply it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from opentelemetry.metrics import Instrument
from opentelemetry.sdk.metrics import Histogram, ObservableCounter, ObservableGauge
from opentelemetry.sdk.metrics.export import (
    Gauge,
    MetricsData,
    ResourceMetrics,
    Sum,
)
from opentelemetry.sdk.metrics.export import Histogram as HistogramData
from opentelemetry.sdk.metrics.export import Metric as MetricData
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
from opentelemetry.util.types import Attributes

from otel_litellm.attributes import attribute_for_label
from otel_litellm.spec import Kind, MetricSpec

METER_NAME = "otel_litellm"
OVERFLOW_ATTRIBUTE = "otel.metric.overflow"

LabelPairs = tuple[tuple[str, str], ...]


class Naming(str, enum.Enum):
    LITELLM = "litellm"
    SEMCONV = "semconv"
    BOTH = "both"

    @property
    def litellm(self) -> bool:
        return self is not Naming.SEMCONV

    @property
    def semconv(self) -> bool:
        return self is not Naming.LITELLM


_INSTRUMENT_TYPES: dict[Kind, type[Instrument]] = {
    Kind.COUNTER: ObservableCounter,  # summed by otel_litellm.instruments, see there
    Kind.HISTOGRAM: Histogram,
    Kind.GAUGE: ObservableGauge,
}


def exported_labels(
    spec: MetricSpec,
    include_labels: Mapping[str, Sequence[str]] | None = None,
    custom_labels: Sequence[str] = (),
) -> LabelPairs:
    """(label, attribute) pairs a family carries in the litellm naming."""
    pairs = spec.label_map
    allowed = (include_labels or {}).get(spec.litellm_name)
    if allowed is not None:
        pairs = tuple(pair for pair in pairs if pair[0] in allowed)
    if spec.labels:  # LiteLLM adds custom labels to every family that has labels
        pairs += tuple((label, attribute_for_label(label)) for label in custom_labels)
    return pairs


def recorded_attributes(
    spec: MetricSpec,
    naming: Naming,
    include_labels: Mapping[str, Sequence[str]] | None = None,
    custom_labels: Sequence[str] = (),
) -> tuple[str, ...]:
    """The attribute keys a family is recorded with: its labels' attributes, and in the
    semconv naming its semantic-only attributes too."""
    keys = [attribute for _, attribute in exported_labels(spec, include_labels, custom_labels)]
    if naming.semconv:
        keys.extend(spec.extra_attributes)
    return tuple(dict.fromkeys(keys))


@dataclass(frozen=True)
class Stream:
    """What one View makes of an instrument: the exported name, the attributes kept and
    the buckets (None: the SDK's default aggregation)."""

    name: str
    description: str
    attribute_keys: frozenset[str]
    buckets: tuple[float, ...] | None


def streams(
    spec: MetricSpec,
    naming: Naming = Naming.LITELLM,
    *,
    include_labels: Mapping[str, Sequence[str]] | None = None,
    custom_labels: Sequence[str] = (),
) -> list[Stream]:
    """The streams ``spec`` is exported as in the chosen naming (two for ``both``).

    ``include_labels`` narrows a family in every naming, so what is recorded and what
    each stream keeps agree (see :func:`recorded_attributes`).  With no stream of its
    naming, an instrument is exported under its own name with every recorded attribute.
    """
    chosen: list[Stream] = []
    if naming.litellm and spec.litellm_name:
        keys = frozenset(
            attribute for _, attribute in exported_labels(spec, include_labels, custom_labels)
        )
        chosen.append(Stream(spec.litellm_name, spec.description, keys, spec.buckets))
    if naming.semconv or not chosen:
        keys = frozenset(recorded_attributes(spec, naming, include_labels, custom_labels))
        buckets = spec.semconv_buckets or spec.buckets if naming.semconv else None
        chosen.append(Stream(spec.name, spec.description, keys, buckets))
    return chosen


def build_views(
    specs: Iterable[MetricSpec],
    naming: Naming = Naming.LITELLM,
    *,
    include_labels: Mapping[str, Sequence[str]] | None = None,
    custom_labels: Sequence[str] = (),
    cardinality_limit: int | None = None,
) -> list[View]:
    """The Views for ``specs`` in the chosen naming: one per stream (see :func:`streams`)."""
    views: list[View] = []
    for spec in specs:
        if not (naming.semconv or spec.litellm_name):
            continue  # no View: the SDK's default stream, as streams() describes it
        for stream in streams(
            spec, naming, include_labels=include_labels, custom_labels=custom_labels
        ):
            views.append(
                View(
                    instrument_type=_INSTRUMENT_TYPES[spec.kind],
                    instrument_name=spec.name,
                    meter_name=METER_NAME,
                    name=stream.name,
                    description=stream.description,
                    attribute_keys=set(stream.attribute_keys),
                    aggregation=_buckets(stream.buckets),
                    aggregation_cardinality_limit=cardinality_limit,
                )
            )
    return views


def _buckets(bounds: tuple[float, ...] | None) -> ExplicitBucketHistogramAggregation | None:
    if bounds is None:
        return None
    return ExplicitBucketHistogramAggregation(boundaries=tuple(float(b) for b in bounds))


class LabelRenamer:
    """Rewrites exported metrics: LiteLLM label names, no units, for the named families."""

    def __init__(self, label_pairs: Mapping[str, LabelPairs]) -> None:
        self._label_pairs = dict(label_pairs)

    @classmethod
    def for_specs(
        cls,
        specs: Iterable[MetricSpec],
        *,
        include_labels: Mapping[str, Sequence[str]] | None = None,
        custom_labels: Sequence[str] = (),
    ) -> LabelRenamer:
        return cls(
            {
                spec.litellm_name: exported_labels(spec, include_labels, custom_labels)
                for spec in specs
                if spec.litellm_name
            }
        )

    def extend(self, other: LabelRenamer) -> None:
        self._label_pairs.update(other._label_pairs)

    def __call__(self, data: MetricsData) -> MetricsData:
        return MetricsData(resource_metrics=[self._resource(rm) for rm in data.resource_metrics])

    def _resource(self, resource_metrics: ResourceMetrics) -> ResourceMetrics:
        scopes = [
            replace(scope, metrics=[self._metric(metric) for metric in scope.metrics])
            for scope in resource_metrics.scope_metrics
        ]
        return replace(resource_metrics, scope_metrics=scopes)

    def _metric(self, metric: MetricData) -> MetricData:
        pairs = self._label_pairs.get(metric.name)
        if pairs is None:
            return metric
        data = metric.data
        if isinstance(data, (Sum, Gauge, HistogramData)):
            points = [
                replace(p, attributes=_relabel(p.attributes, pairs)) for p in data.data_points
            ]
            data = replace(data, data_points=points)  # type: ignore[arg-type]
        return replace(metric, unit="", data=data)


def _relabel(attributes: Attributes, pairs: LabelPairs) -> Attributes:
    if not attributes:
        return {}
    if OVERFLOW_ATTRIBUTE in attributes:
        return {OVERFLOW_ATTRIBUTE: attributes[OVERFLOW_ATTRIBUTE]}
    return {label: attributes[key] for label, key in pairs if key in attributes}
