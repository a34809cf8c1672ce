"""Histogram families aggregated in otel_litellm, handed to each reader at collection.

The SDK's synchronous ``Histogram.record`` cleans, hashes and filters every attribute
of every value, once per reader: about 10 µs a call with LiteLLM's label sets, and a
request records five.  Here a value costs a tuple, a dictionary look-up and a bisect per
stream.  A *stream* is what one View makes of an instrument (exported name, attributes
kept, buckets; see :func:`otel_litellm.naming.streams`), so the points produced are the
ones the SDK would produce with otel_litellm's Views: same names, attribute sets, bucket
bounds, counts, sums, minimum and maximum.

:class:`LocalHistograms` adds those points to every collection of the readers it is
installed on -- cumulative, or per-interval differences for a reader that asks for
delta temporality -- before any other collection stage (the registry bridge, the
hand-over, the export-time rewrite) sees the batch.  Only otel_litellm's own
``MeterProvider`` gets this; with a user's provider, histograms are SDK instruments.
"""

from __future__ import annotations

import math
import threading
import time
import weakref
from bisect import bisect_left
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    Histogram,
    HistogramDataPoint,
    Metric,
    MetricReader,
    MetricsData,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

from otel_litellm.collection import with_metrics
from otel_litellm.naming import OVERFLOW_ATTRIBUTE, Stream

Attributes = Mapping[str, str]
_Key = tuple[str | None, ...]
_OVERFLOW: _Key = (OVERFLOW_ATTRIBUTE,)
#: The SDK's default explicit bucket bounds, for a stream no View gives buckets.
DEFAULT_BUCKETS: tuple[float, ...] = (
    0.0, 5.0, 10.0, 25.0, 50.0, 75.0, 100.0, 250.0, 500.0, 750.0, 1000.0,
    2500.0, 5000.0, 7500.0, 10000.0,
)  # fmt: skip
# One series: [count, sum, min, max, started (ns), bucket counts of stream 0, of stream 1 ...]
_COUNT, _SUM, _MIN, _MAX, _STARTED, _BUCKETS = range(6)


class HistogramSums:
    """Bucket counts of one histogram family per attribute set, for each of its streams."""

    def __init__(
        self,
        name: str,
        unit: str,
        keys: tuple[str, ...],
        streams: Sequence[Stream],
        max_series: int,
    ) -> None:
        self.name = name
        self.unit = unit
        self.keys = keys
        self.streams = tuple(streams)
        self.max_series = max_series
        self.overflowed = 0
        self._bounds = tuple(stream.buckets or DEFAULT_BUCKETS for stream in self.streams)
        # Per stream, the positions of the recorded keys it keeps (None: all of them).
        self._kept = tuple(_kept_positions(keys, stream) for stream in self.streams)
        self._series: dict[_Key, list[Any]] = {}
        self._lock = threading.Lock()

    def record(self, value: float, attributes: Attributes) -> None:
        if not value >= 0 or value == math.inf:  # the SDK refuses these too (NaN fails >=)
            return
        key = tuple(map(attributes.get, self.keys))
        with self._lock:
            series = self._series.get(key)
            if series is None:
                key, series = self._new_series(key)
            series[_COUNT] += 1
            series[_SUM] += value
            if value < series[_MIN]:
                series[_MIN] = value
            if value > series[_MAX]:
                series[_MAX] = value
            for counts, bounds in zip(series[_BUCKETS:], self._bounds, strict=True):
                counts[bisect_left(bounds, value)] += 1

    def _new_series(self, key: _Key) -> tuple[_Key, list[Any]]:
        if len(self._series) >= self.max_series:
            self.overflowed += 1
            key = _OVERFLOW
            series = self._series.get(key)
            if series is not None:
                return key, series
        series = [0, 0.0, math.inf, -math.inf, time.time_ns()]
        series.extend([0] * (len(bounds) + 1) for bounds in self._bounds)
        self._series[key] = series
        return key, series

    def snapshot(self) -> list[tuple[_Key, list[Any]]]:
        """Every series as it is now (copies: recording goes on meanwhile)."""
        with self._lock:
            return [
                (key, [*series[:_BUCKETS], *(list(c) for c in series[_BUCKETS:])])
                for key, series in self._series.items()
            ]

    def points(
        self, snapshot: list[tuple[_Key, list[Any]]], now: int
    ) -> Iterator[tuple[Stream, list[HistogramDataPoint]]]:
        """Per stream, its cumulative points: the series merged to the attributes it keeps."""
        for index, stream in enumerate(self.streams):
            points = [
                HistogramDataPoint(
                    attributes=attributes,
                    start_time_unix_nano=series[_STARTED],
                    time_unix_nano=now,
                    count=series[_COUNT],
                    sum=series[_SUM],
                    bucket_counts=series[_BUCKETS + index],
                    explicit_bounds=self._bounds[index],
                    min=series[_MIN],
                    max=series[_MAX],
                )
                for attributes, series in self._merged(snapshot, index)
            ]
            if points:
                yield stream, points

    def _merged(
        self, snapshot: list[tuple[_Key, list[Any]]], index: int
    ) -> Iterator[tuple[dict[str, Any], list[Any]]]:
        kept = self._kept[index]
        if kept is None:  # the stream keeps every recorded attribute: nothing to merge
            for key, series in snapshot:
                yield self._attributes(key, range(len(self.keys))), series
            return
        merged: dict[_Key, list[Any]] = {}
        for key, series in snapshot:
            narrowed = key if key == _OVERFLOW else tuple(key[i] for i in kept)
            into = merged.get(narrowed)
            if into is None:
                merged[narrowed] = [*series[:_BUCKETS], *(list(c) for c in series[_BUCKETS:])]
                continue
            into[_COUNT] += series[_COUNT]
            into[_SUM] += series[_SUM]
            into[_MIN] = min(into[_MIN], series[_MIN])
            into[_MAX] = max(into[_MAX], series[_MAX])
            into[_STARTED] = min(into[_STARTED], series[_STARTED])
            counts = into[_BUCKETS + index]
            for bucket, count in enumerate(series[_BUCKETS + index]):
                counts[bucket] += count
        for key, series in merged.items():
            yield self._attributes(key, kept), series

    def _attributes(self, key: _Key, positions: Sequence[int]) -> dict[str, Any]:
        if key == _OVERFLOW:
            return {OVERFLOW_ATTRIBUTE: True}
        return {self.keys[p]: v for p, v in zip(positions, key, strict=True) if v is not None}


def _kept_positions(keys: tuple[str, ...], stream: Stream) -> tuple[int, ...] | None:
    kept = tuple(i for i, key in enumerate(keys) if key in stream.attribute_keys)
    return None if len(kept) == len(keys) else kept


class LocalHistograms:
    """The collection stage that hands every :class:`HistogramSums` to the readers."""

    def __init__(
        self, scope: InstrumentationScope, resource: Resource | None = None, *, views: bool = True
    ) -> None:
        self.scope = scope
        #: Whether the provider has otel_litellm's Views (see otel_litellm.setup.views).
        self.views = views
        self.families: list[HistogramSums] = []
        self._resource = resource or Resource.create({})
        # Per delta reader: what it was last given, to hand over only the difference.
        self._last: weakref.WeakKeyDictionary[MetricReader, dict[Any, Any]] = (
            weakref.WeakKeyDictionary()
        )

    def __call__(self, data: MetricsData | None, reader: MetricReader) -> MetricsData | None:
        """``data`` with this stage's histograms in otel_litellm's scope (a collection stage,
        see otel_litellm.collection)."""
        now = time.time_ns()
        delta = _wants_delta(reader)
        temporality = AggregationTemporality.DELTA if delta else AggregationTemporality.CUMULATIVE
        metrics = []
        for family in self.families:
            for stream, points in family.points(family.snapshot(), now):
                if delta:
                    points = self._differences(reader, stream.name, points, now)
                if points:
                    histogram = Histogram(points, temporality)
                    metrics.append(Metric(stream.name, stream.description, family.unit, histogram))
        return with_metrics(data, self.scope, metrics, self._resource) if metrics else data

    def _differences(
        self, reader: MetricReader, name: str, points: list[HistogramDataPoint], now: int
    ) -> list[HistogramDataPoint]:
        """Delta temporality: each series' change since this reader's last collection.
        Minimum and maximum are the whole series' (cumulative values cannot be split)."""
        last = self._last.setdefault(reader, {})
        changed = []
        for point in points:
            key = (name, frozenset((point.attributes or {}).items()))
            before = last.get(key)
            last[key] = (point, now)
            if before is None:
                changed.append(point)
                continue
            previous, previous_time = before
            if point.count == previous.count:
                continue
            counts = zip(point.bucket_counts, previous.bucket_counts, strict=True)
            changed.append(
                replace(
                    point,
                    start_time_unix_nano=previous_time,
                    count=point.count - previous.count,
                    sum=point.sum - previous.sum,
                    bucket_counts=[a - b for a, b in counts],
                )
            )
        return changed


def _wants_delta(reader: MetricReader) -> bool:
    chosen = getattr(reader, "_instrument_class_temporality", {})
    return any(
        kind.__name__ == "_Histogram" and temporality is AggregationTemporality.DELTA
        for kind, temporality in chosen.items()
    )
