"""The instruments otel_litellm records, created from the metric table.

Counters are the bulk of a request's recordings (a success touches about a dozen).
The SDK's synchronous ``Counter.add`` costs ~15 µs with LiteLLM's label sets, so
counter families are summed here, per family and attribute set, and reported
through an ``ObservableCounter`` (cumulative, as the SDK expects of observable
counters) at collection time.  Histograms are aggregated here too when otel_litellm owns
the ``MeterProvider`` (:mod:`otel_litellm.histograms`), and are synchronous SDK
instruments on a user's provider.  Each family is recorded with exactly the
attributes its views keep, so a view never merges two observed series.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

from opentelemetry.metrics import CallbackOptions, Meter, Observation

from otel_litellm import families
from otel_litellm.histograms import HistogramSums, LocalHistograms
from otel_litellm.naming import (
    OVERFLOW_ATTRIBUTE,
    Naming,
    Stream,
    recorded_attributes,
    streams,
)
from otel_litellm.spec import BY_NAME, TOKEN_USAGE, Kind, MetricSpec
from otel_litellm.store import GaugeStore

_log = logging.getLogger("otel_litellm")

Attributes = Mapping[str, str]
Recorder = Callable[[float, Attributes], None]
_Key = tuple[str | None, ...]
_OVERFLOW: _Key = (OVERFLOW_ATTRIBUTE,)


class CounterSums:
    """Running totals of one counter family, keyed by its attribute values."""

    def __init__(
        self, keys: tuple[str, ...], max_series: int, lock: threading.Lock | None = None
    ) -> None:
        self.keys = keys
        self.max_series = max_series
        self.overflowed = 0
        self._sums: dict[_Key, float] = {}
        #: Shared by every family of one Instruments, so a caller can add to several at once.
        self.lock = lock or threading.Lock()

    def add(self, value: float, attributes: Attributes) -> None:
        self.add_at(self.key(attributes), value)

    def key(self, attributes: Attributes) -> _Key:
        return tuple(map(attributes.get, self.keys))

    def add_at(self, key: _Key, value: float) -> None:
        with self.lock:
            self.add_held(key, value)

    def add_held(self, key: _Key, value: float) -> None:
        """``add_at`` for a caller holding ``lock``."""
        total = self._sums.get(key)
        if total is None and len(self._sums) >= self.max_series:
            key, total = _OVERFLOW, self._sums.get(_OVERFLOW)
            self.overflowed += 1
        self._sums[key] = (total or 0.0) + value

    def observe(self, options: CallbackOptions) -> Iterator[Observation]:
        with self.lock:
            items = list(self._sums.items())
        for key, total in items:
            if key is _OVERFLOW or key == _OVERFLOW:
                yield Observation(total, {OVERFLOW_ATTRIBUTE: True})
            else:
                yield Observation(
                    total, {k: v for k, v in zip(self.keys, key, strict=True) if v is not None}
                )


class Instruments:
    """Owns the meter's instruments; records by semantic name.

    Families switched off by configuration have no instrument, so recording
    them is a dictionary miss and nothing else.  A name that is no family of
    the table at all is a programming error: it raises when ``strict`` (the test
    suite sets it), and otherwise is logged once and records nothing.
    """

    strict = False

    def __init__(
        self,
        meter: Meter,
        specs: Iterable[MetricSpec],
        store: GaugeStore,
        *,
        naming: Naming = Naming.LITELLM,
        include_labels: Mapping[str, Sequence[str]] | None = None,
        custom_labels: Sequence[str] = (),
        max_series: int = 10_000,
        local_histograms: LocalHistograms | None = None,
    ) -> None:
        self.store = store
        #: Where histograms are aggregated, if here (None: SDK histograms).
        self.local_histograms = local_histograms
        self._streams_of: Callable[[MetricSpec], list[Stream]] = functools.partial(
            streams, naming=naming, include_labels=include_labels, custom_labels=custom_labels
        )
        specs = tuple(specs)
        self._known = frozenset(BY_NAME) | {spec.name for spec in specs}
        self._reported: set[str] = set()
        self.counters: dict[str, CounterSums] = {}
        self._counters_lock = threading.Lock()
        self._exported: dict[str, str] = {}  # family -> the name users query
        self._recorders: dict[str, Recorder] = {}  # counter and histogram families
        self.histograms: dict[str, HistogramSums] = {}
        self._gauges: dict[str, tuple[str, ...]] = {}
        self._instruments: list[object] = []
        for spec in (*specs, TOKEN_USAGE) if naming.semconv else specs:
            keys = recorded_attributes(spec, naming, include_labels, custom_labels)
            self._create(meter, spec, keys, max_series)
        self.dropped_points = meter.create_counter(
            "otel_litellm.dropped_points",
            unit="{point}",
            description="Values refused as malformed, negative or non-finite.",
        )
        self.callback_errors = meter.create_counter(
            "otel_litellm.callback_errors",
            unit="{error}",
            description="Exceptions caught inside otel_litellm callbacks; LiteLLM never sees them.",
        )
        self._instruments += [
            meter.create_observable_counter(
                "otel_litellm.overflow_recordings",
                callbacks=[self._observe_overflow],
                unit="{recording}",
                description="Recordings folded into a counter family's overflow series "
                "(otel_metric_overflow) because the family held its series limit.",
            ),
            meter.create_observable_counter(
                "otel_litellm.evicted_series",
                callbacks=[self._observe_evicted],
                unit="{series}",
                description="Series forgotten because a gauge family (label metric) held its "
                "series limit.",
            ),
        ]

    def _create(self, meter: Meter, spec: MetricSpec, keys: tuple[str, ...], limit: int) -> None:
        self._exported[spec.name] = spec.litellm_name or spec.name
        if spec.kind is Kind.COUNTER:
            sums = self.counters[spec.name] = CounterSums(keys, limit, self._counters_lock)
            self._recorders[spec.name] = sums.add
            self._instruments.append(
                meter.create_observable_counter(
                    spec.name, callbacks=[sums.observe], unit=spec.unit,
                    description=spec.description,
                )
            )  # fmt: skip
        elif spec.kind is Kind.HISTOGRAM and self.local_histograms is not None:
            if self.local_histograms.views:
                chosen = self._streams_of(spec)
            else:  # no Views: one stream under the instrument's own name, as the SDK makes
                chosen = [Stream(spec.name, spec.description, frozenset(keys), None)]
            local = HistogramSums(spec.name, spec.unit, keys, chosen, limit)
            self.histograms[spec.name] = local
            self.local_histograms.families.append(local)
            self._recorders[spec.name] = local.record
        elif spec.kind is Kind.HISTOGRAM:
            histogram = meter.create_histogram(
                spec.name, unit=spec.unit, description=spec.description
            )
            self._recorders[spec.name] = _only(keys, histogram.record)
            self._instruments.append(histogram)
        else:
            gauge = meter.create_observable_gauge(
                spec.name,
                callbacks=[self.store.callback(spec.name)],
                unit=spec.unit,
                description=spec.description,
            )
            self._gauges[spec.name] = keys
            self._instruments.append(gauge)
            if not spec.labels:
                # prometheus_client shows an unlabelled gauge at 0 from start-up; so do we.
                self.store.set(spec.name, 0.0, {})

    def enabled(self, name: str) -> bool:
        if name in self._recorders or name in self._gauges:
            return True
        if name not in self._known:
            self._unknown(name)
        return False

    def _unknown(self, name: str) -> None:
        if Instruments.strict:
            raise KeyError(f"{name!r} is no family of the metric table")
        if name not in self._reported:
            self._reported.add(name)
            _log.warning("otel_litellm: %r is no family of the metric table; not recorded", name)

    def record(self, name: str, value: float, attributes: Attributes) -> None:
        recorder = self._recorders.get(name)
        if recorder is not None:
            recorder(value, attributes)
        elif name not in self._known:
            self._unknown(name)

    def bind_all(self, recordings: Iterable[tuple[str, float, Attributes]]) -> Callable[[], None]:
        """One call that records each (family, value, attributes), each family's attributes
        picked once: for a caller that records the same sets again and again.  The
        counters among them are added under one lock acquisition; families switched off
        are left out."""
        counts = []
        others: list[tuple[Callable[[float], None], float]] = []
        for name, value, attributes in recordings:
            sums = self.counters.get(name)
            keys = self._gauges.get(name)
            recorder = self._recorders.get(name)
            if sums is not None:
                counts.append((sums, sums.key(attributes), value))
            elif keys is not None:
                own = {k: attributes[k] for k in keys if k in attributes}
                key = frozenset(own.items())
                others.append((functools.partial(self.store.set_at, name, key, own), value))
            elif recorder is not None:
                others.append((functools.partial(_record_on, recorder, attributes), value))
            elif name not in self._known:
                self._unknown(name)
        lock = self._counters_lock

        def record_all() -> None:
            with lock:
                for sums, key, value in counts:
                    sums.add_held(key, value)
            for bound, value in others:
                bound(value)

        return record_all

    def set(self, name: str, value: float, attributes: Attributes) -> None:
        keys = self._gauges.get(name)
        if keys is not None:
            # Stored under the family's own attributes only: 1,000 end users on one
            # deployment are one remaining-requests series, not 1,000.
            self.store.set(name, value, {k: attributes[k] for k in keys if k in attributes})
        elif name not in self._known:
            self._unknown(name)

    def remove(self, name: str, attributes: Attributes) -> None:
        keys = self._gauges.get(name)
        if keys is not None:
            self.store.remove(name, {k: attributes[k] for k in keys if k in attributes})

    def set_entity_counts(self, users: float, active_users: float, teams: float) -> None:
        """``litellm_total_users``, ``litellm_active_users`` and ``litellm_teams_count``,
        as LiteLLM's periodic database job counts them (for a database reader to call)."""
        self.set(families.USERS, users, {})
        self.set(families.USERS_ACTIVE, active_users, {})
        self.set(families.TEAMS, teams, {})

    def _observe_overflow(self, options: CallbackOptions) -> Iterator[Observation]:
        families: dict[str, CounterSums | HistogramSums] = {**self.counters, **self.histograms}
        for name, family in families.items():
            if family.overflowed:
                yield Observation(family.overflowed, {"metric": self._exported[name]})

    def _observe_evicted(self, options: CallbackOptions) -> Iterator[Observation]:
        for name, evicted in self.store.evicted_by_name().items():
            yield Observation(evicted, {"metric": self._exported.get(name, name)})

    @property
    def overflowed(self) -> int:
        """Recordings sent to a family's overflow series because it was full."""
        families: list[CounterSums | HistogramSums] = [*self.counters.values()]
        families += self.histograms.values()
        return sum(family.overflowed for family in families)


def _record_on(recorder: Recorder, attributes: Attributes, value: float) -> None:
    recorder(value, attributes)


def _only(keys: tuple[str, ...], record: Callable[..., None]) -> Recorder:
    """An SDK histogram's record, given only the family's own attributes (the SDK
    validates every key it is given)."""

    def record_own(value: float, attributes: Attributes) -> None:
        record(value, {k: attributes[k] for k in keys if k in attributes})

    return record_own
