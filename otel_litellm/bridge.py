"""The proxy's other prometheus_client families, carried into OpenTelemetry.

LiteLLM registers families outside its PrometheusLogger straight on prometheus_client's
default registry: the proxy's in-flight and admission-control gauges, the spend-log
cleanup job, the Redis circuit breaker, Lens export rows, accounting (1.110+), and
whatever later versions add.  LiteLLM's own ``/metrics`` serves that registry; otel_litellm's
``/metrics`` serves its own reader, so without this module those families would vanish.

:class:`RegistryBridge` does what an SDK ``MetricProducer`` does (see :func:`install`): at
each collection of a reader, and only then, it reads the registry and appends every ``litellm_*``
family as OpenTelemetry points of the same name, labels, type and buckets -- counters as
cumulative monotonic sums (so the Prometheus exporters, the direct exposition writer and
the Collector's transform all write ``<family>_total``), gauges as gauges, histograms with
the bounds LiteLLM declared.  Every reader carries them: the scrape (both rendering paths)
and OTLP alike, after the same export-time rewrite as otel_litellm's own families.

Never twice: families otel_litellm records itself (the metric tables, see
:func:`recorded_families`), and any name already present in the batch, are left out.
LiteLLM's PrometheusLogger families are all in the table, so with LiteLLM's own logger on
as well only ours are served.  Non-``litellm_`` families (``python_gc_*``, ``process_*``)
are left to OpenTelemetry's own runtime instrumentation; ``prefixes`` widens the choice.
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, TypeVar

from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    Gauge,
    Histogram,
    HistogramDataPoint,
    Metric,
    MetricReader,
    MetricsData,
    NumberDataPoint,
    Sum,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.metrics_core import Metric as PromFamily
from prometheus_client.samples import Sample

from otel_litellm.collection import add_stage, with_metrics

if TYPE_CHECKING:
    from otel_litellm.config import Settings
    from otel_litellm.spec import MetricSpec

_log = logging.getLogger("otel_litellm")

SCOPE = InstrumentationScope("otel_litellm.bridge")
PREFIXES: tuple[str, ...] = ("litellm_",)
#: Series per family; LiteLLM's own families here are labelled by small enums.
MAX_SERIES = 2_000

_T = TypeVar("_T")


def _table() -> tuple[MetricSpec, ...]:
    from otel_litellm import aliases
    from otel_litellm.db.spec import DB_METRICS
    from otel_litellm.service_spec import SERVICE_METRICS
    from otel_litellm.spec import METRICS

    return (*METRICS, *SERVICE_METRICS, *DB_METRICS, *aliases.ALIASES)


def table_attributes() -> dict[str, dict[str, str]]:
    """Per table family, label -> semantic attribute: a bridged family that shares a
    table row's name is recorded as that row would be, so the export-time rewrite (and
    the semconv naming) treat it like otel_litellm's own."""
    return {spec.litellm_name: dict(spec.label_map) for spec in _table() if spec.litellm_name}


def recorded_families(breaker_fed: bool | None = None) -> frozenset[str]:
    """LiteLLM family names otel_litellm records itself, from every metric table.

    The Redis circuit-breaker rows only count while LiteLLM reports breaker events
    through ``ServiceLogging.redis_breaker_hook`` (1.108+); before that, LiteLLM's cache
    writes them straight to the registry and the bridge is their only way out.
    """
    from otel_litellm.service_spec import BREAKER_METRICS

    if breaker_fed is None:
        breaker_fed = breaker_hook_available()
    breaker = {spec.litellm_name for spec in BREAKER_METRICS}
    names = {
        spec.litellm_name
        for spec in _table()
        if spec.litellm_name and (breaker_fed or spec.litellm_name not in breaker)
    }
    return frozenset(names)


def breaker_hook_available() -> bool:
    """Whether the installed LiteLLM reports breaker events to its services logger."""
    try:
        from litellm._service_logger import ServiceLogging
    except Exception:
        return False
    return hasattr(ServiceLogging, "redis_breaker_hook")


class RegistryBridge:
    """Appends ``registry``'s families to each collected batch (see the module docstring)."""

    def __init__(
        self,
        registry: CollectorRegistry = REGISTRY,
        *,
        skip: Collection[str] = (),
        prefixes: Sequence[str] = PREFIXES,
        max_series: int = MAX_SERIES,
        resource: Resource | None = None,
        attributes: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self._registry = registry
        self._attributes = attributes or {}
        self._skip = frozenset(skip)
        self._prefixes = tuple(prefixes)
        self._max_series = max_series
        self._resource = resource or Resource.create({})
        self._started = time.time_ns()
        self._warned: set[str] = set()

    def __call__(
        self, data: MetricsData | None, reader: MetricReader | None = None
    ) -> MetricsData | None:
        """``data`` (None: the SDK had nothing) with the registry's families appended
        (a collection stage, see otel_litellm.collection)."""
        try:
            metrics = self.metrics(_names(data) if data is not None else ())
        except Exception as error:  # a broken third-party collector must not cost our data
            self._warn_once("collect", "otel_litellm: registry not bridged: %s", error)
            return data
        if not metrics:
            return data
        return with_metrics(data, SCOPE, metrics, self._resource)

    def metrics(self, present: Collection[str] = ()) -> list[Metric]:
        """The registry's families as OTel metrics, minus skipped and ``present`` names."""
        now = time.time_ns()
        out: list[Metric] = []
        for family in self._families(present):
            if not family.name.startswith(self._prefixes) or self._skipped(family.name, present):
                continue
            converted = self._convert(family, now)
            if converted is not None:
                out.append(converted)
        return out

    def _families(self, present: Collection[str]) -> Iterable[PromFamily]:
        """Only the collectors that hold a family to bridge are asked to collect: with
        LiteLLM's own logger on as well, rendering its families here would double a
        scrape's cost for nothing."""
        registered = getattr(self._registry, "_collector_to_names", None)
        if not isinstance(registered, dict):  # not a CollectorRegistry we know inside
            yield from self._registry.collect()
            return
        with self._registry._lock:
            collectors = list(registered.items())
        for collector, names in collectors:
            if any(n.startswith(self._prefixes) and not self._skipped(_family_of(n), present)
                   for n in names):  # fmt: skip
                yield from collector.collect()

    def _skipped(self, name: str, present: Collection[str]) -> bool:
        # A counter family is named without ``_total``; tables and batches may carry either.
        return any(n in self._skip or n in present for n in (name, name + "_total"))

    def _convert(self, family: PromFamily, now: int) -> Metric | None:
        kind = family.type
        if kind == "counter":
            points = list(self._numbers(family, "_total", now))
            data: Sum | Gauge | Histogram = Sum(
                points, AggregationTemporality.CUMULATIVE, is_monotonic=True
            )
        elif kind in ("gauge", "unknown"):
            data = Gauge(list(self._numbers(family, "", now)))
        elif kind == "histogram":
            data = Histogram(list(self._histograms(family, now)), AggregationTemporality.CUMULATIVE)
        else:  # summary, info, stateset, gaugehistogram: no LiteLLM family uses them
            self._warn_once(family.name, "otel_litellm: %s (%s) is not bridged", family.name, kind)
            return None
        if not data.data_points:
            return None
        renamed = self._attributes.get(family.name)
        if renamed:
            relabelled = [
                replace(
                    p, attributes={renamed.get(k, k): v for k, v in (p.attributes or {}).items()}
                )
                for p in data.data_points
            ]
            data = replace(data, data_points=relabelled)  # type: ignore[arg-type]
        return Metric(family.name, family.documentation, "", data)

    def _bounded(self, family: PromFamily, series: Iterable[_T]) -> Iterator[_T]:
        for count, sample in enumerate(series):
            if count >= self._max_series:
                self._warn_once(
                    family.name,
                    "otel_litellm: %s has more than %d series; the rest are not bridged",
                    family.name,
                    self._max_series,
                )
                return
            yield sample

    def _numbers(self, family: PromFamily, suffix: str, now: int) -> Iterator[NumberDataPoint]:
        created = _created(family)
        values = (s for s in family.samples if s.name == family.name + suffix)
        for sample in self._bounded(family, values):
            start = created.get(_key(sample.labels), self._started)
            yield NumberDataPoint(dict(sample.labels), start, now, float(sample.value))

    def _histograms(self, family: PromFamily, now: int) -> Iterator[HistogramDataPoint]:
        created = _created(family)
        series: dict[tuple[tuple[str, str], ...], dict[str, list[Sample]]] = {}
        for sample in family.samples:
            labels = {k: v for k, v in sample.labels.items() if k != "le"}
            suffix = sample.name[len(family.name) :]
            series.setdefault(_key(labels), {}).setdefault(suffix, []).append(sample)
        for key, parts in self._bounded(family, series.items()):
            buckets = sorted(
                ((float(s.labels["le"]), s.value) for s in parts.get("_bucket", ())),
                key=lambda bucket: bucket[0],
            )
            finite = [(bound, count) for bound, count in buckets if not math.isinf(bound)]
            total = int(buckets[-1][1]) if buckets else int(_first(parts, "_count"))
            cumulative = [int(count) for _, count in finite] + [total]
            counts = [cumulative[0], *(b - a for a, b in itertools.pairwise(cumulative))]
            yield HistogramDataPoint(
                attributes=dict(key),
                start_time_unix_nano=created.get(key, self._started),
                time_unix_nano=now,
                count=total,
                sum=_first(parts, "_sum"),
                bucket_counts=counts,
                explicit_bounds=[bound for bound, _ in finite],
                # prometheus_client keeps neither; None leaves them unset in OTLP.
                min=None,  # type: ignore[arg-type]
                max=None,  # type: ignore[arg-type]
            )

    def _warn_once(self, key: str, message: str, *args: object) -> None:
        if key not in self._warned:
            self._warned.add(key)
            _log.warning(message, *args)


_SAMPLE_SUFFIXES = ("_total", "_created", "_bucket", "_count", "_sum")


def _family_of(sample_name: str) -> str:
    """The family a registered sample name belongs to (prometheus_client's suffixes off)."""
    for suffix in _SAMPLE_SUFFIXES:
        if sample_name.endswith(suffix):
            return sample_name[: -len(suffix)]
    return sample_name


def _names(data: MetricsData) -> set[str]:
    return {
        metric.name
        for resource_metrics in data.resource_metrics
        for scope_metrics in resource_metrics.scope_metrics
        for metric in scope_metrics.metrics
    }


def _key(labels: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(labels.items()))


def _created(family: PromFamily) -> dict[tuple[tuple[str, str], ...], int]:
    """Per series, when prometheus_client says it started (its ``_created`` sample)."""
    return {
        _key(s.labels): int(s.value * 1e9)
        for s in family.samples
        if s.name == family.name + "_created"
    }


def _first(parts: dict[str, list[Sample]], suffix: str) -> float:
    samples = parts.get(suffix)
    return float(samples[0].value) if samples else 0.0


def install(readers: Iterable[MetricReader], settings: Settings) -> RegistryBridge:
    """Add the default registry's families to every collection of ``readers``.

    A collection stage (otel_litellm.collection), added after the local histograms so
    names they hold are never bridged twice.  Call after the provider exists.
    """
    stage = RegistryBridge(
        skip=recorded_families(),
        max_series=settings.cardinality_limit or MAX_SERIES,
        resource=Resource.create({"service.name": settings.service_name}),
        # The export-time rewrite maps table labels back only in the litellm naming.
        attributes=table_attributes() if settings.naming.litellm else None,
    )
    add_stage(readers, stage)
    return stage
