"""Histograms aggregated by otel_litellm give the points the SDK gives with our Views.

Each test records the same values twice: into SDK histograms on a provider with
otel_litellm's Views, and into otel_litellm's own aggregation (otel_litellm.histograms)
handed to a reader at collection.  Names, attribute sets, bounds, counts, sums,
minimum and maximum must be equal, in every naming and for delta readers too.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from opentelemetry.sdk.metrics import Histogram, MeterProvider
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    HistogramDataPoint,
    InMemoryMetricReader,
)
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

from otel_litellm import attributes as attr
from otel_litellm import collection
from otel_litellm.histograms import LocalHistograms
from otel_litellm.instruments import Instruments
from otel_litellm.naming import OVERFLOW_ATTRIBUTE, Naming, build_views
from otel_litellm.spec import METRICS, TOKEN_USAGE, Kind
from otel_litellm.store import GaugeStore

HISTOGRAMS = [spec for spec in (*METRICS, TOKEN_USAGE) if spec.kind is Kind.HISTOGRAM]
SCOPE = InstrumentationScope("otel_litellm")


def _pair(
    naming: Naming, *, temporality: AggregationTemporality | None = None, **options: Any
) -> tuple[tuple[InMemoryMetricReader, Instruments], tuple[InMemoryMetricReader, Instruments]]:
    """(SDK histograms, local histograms), each on its own provider with our Views."""
    preferred = {Histogram: temporality} if temporality else None
    built = []
    for local in (None, LocalHistograms(SCOPE)):
        reader = InMemoryMetricReader(preferred_temporality=preferred)
        views = build_views(
            HISTOGRAMS,
            naming,
            include_labels=options.get("include_labels"),
            custom_labels=options.get("custom_labels", ()),
        )
        provider = MeterProvider(metric_readers=[reader], views=views)
        instruments = Instruments(
            provider.get_meter("otel_litellm"),
            HISTOGRAMS,
            GaugeStore(100),
            naming=naming,
            local_histograms=local,
            **options,
        )
        if local is not None:
            collection.add_stage([reader], local)
        built.append((reader, instruments))
    return built[0], built[1]


def _record(instruments: Instruments, seed: int, count: int = 300) -> None:
    chooser = random.Random(seed)
    for _ in range(count):
        spec = chooser.choice(HISTOGRAMS)
        attributes = {
            key: chooser.choice(("a", "b", "c"))
            for key in spec.attributes
            if chooser.random() < 0.8
        }
        attributes[attr.TOKEN_TYPE] = chooser.choice(("input", "output"))
        value = chooser.choice((0.0, 0.004, 0.005, 0.3, 1.0, 7.5, 42.0, 601.0, 1e6))
        instruments.record(spec.name, value, attributes)


def _points(reader: InMemoryMetricReader) -> dict[tuple[str, frozenset[Any]], tuple[Any, ...]]:
    data = reader.get_metrics_data()
    found = {}
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    if isinstance(point, HistogramDataPoint):
                        key = (metric.name, frozenset((point.attributes or {}).items()))
                        found[key] = (
                            metric.data.aggregation_temporality,
                            metric.unit,
                            metric.description,
                            point.count,
                            round(point.sum, 9),
                            tuple(point.bucket_counts),
                            tuple(point.explicit_bounds),
                            point.min,
                            point.max,
                        )
    return found


@pytest.mark.parametrize("naming", list(Naming), ids=str)
def test_local_points_equal_the_sdk_points(naming: Naming) -> None:
    (sdk_reader, sdk), (local_reader, local) = _pair(naming)
    for instruments in (sdk, local):
        _record(instruments, seed=7)
    expected = _points(sdk_reader)
    assert len(expected) > 100
    assert _points(local_reader) == expected
    # And again after more recording: cumulative points keep growing alike.
    for instruments in (sdk, local):
        _record(instruments, seed=8)
    assert _points(local_reader) == _points(sdk_reader)


def test_a_narrowed_family_merges_its_series_as_the_view_does() -> None:
    narrowed = {"litellm_request_total_latency_metric": ["model_group"]}
    (sdk_reader, sdk), (local_reader, local) = _pair(Naming.BOTH, include_labels=narrowed)
    for instruments in (sdk, local):
        _record(instruments, seed=3, count=600)
    expected = _points(sdk_reader)
    latency = [key for key in expected if key[0] == "litellm_request_total_latency_metric"]
    assert latency and all(len(attributes) <= 1 for _, attributes in latency)
    assert _points(local_reader) == expected


def test_delta_readers_get_each_interval_once() -> None:
    (sdk_reader, sdk), (local_reader, local) = _pair(
        Naming.LITELLM, temporality=AggregationTemporality.DELTA
    )

    def without_min_max(points: dict[Any, tuple[Any, ...]]) -> dict[Any, tuple[Any, ...]]:
        return {key: value[:-2] for key, value in points.items()}

    for seed in (1, 2):
        for instruments in (sdk, local):
            _record(instruments, seed=seed, count=100)
        expected = without_min_max(_points(sdk_reader))
        assert expected
        assert {v[0] for v in expected.values()} == {AggregationTemporality.DELTA}
        assert without_min_max(_points(local_reader)) == expected
    # Nothing recorded since: a delta reader is given nothing.
    assert _points(local_reader) == {}


def test_a_full_family_folds_new_series_into_the_overflow_series() -> None:
    reader = InMemoryMetricReader()
    local = LocalHistograms(SCOPE)
    provider = MeterProvider(metric_readers=[reader], views=build_views(HISTOGRAMS))
    instruments = Instruments(
        provider.get_meter("otel_litellm"),
        HISTOGRAMS,
        GaugeStore(100),
        max_series=3,
        local_histograms=local,
    )
    collection.add_stage([reader], local)
    for group in ("a", "b", "c", "d", "e"):
        instruments.record(HISTOGRAMS[0].name, 1.0, {attr.MODEL_GROUP: group})
    points = _points(reader)
    overflow = [k for k in points if (OVERFLOW_ATTRIBUTE, True) in k[1]]
    assert len(points) == 4 and len(overflow) == 1
    assert points[overflow[0]][3] == 2  # d and e
    assert instruments.overflowed == 2


@pytest.mark.parametrize("value", [-1.0, float("nan"), float("inf")])
def test_values_the_sdk_refuses_are_not_recorded(value: float) -> None:
    (_, _), (local_reader, local) = _pair(Naming.LITELLM)
    local.record(HISTOGRAMS[0].name, value, {})
    assert _points(local_reader) == {}
