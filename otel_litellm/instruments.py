"""The instruments otel_litellm records, created from the metric table."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from opentelemetry.metrics import Meter

from otel_litellm.spec import TOKEN_USAGE, Kind, MetricSpec
from otel_litellm.store import GaugeStore

Attributes = Mapping[str, str]
Recorder = Callable[[float, Attributes], None]


class Instruments:
    """Owns the meter's instruments; records by semantic name.

    Families switched off by configuration have no instrument, so recording
    them is a dictionary miss and nothing else.
    """

    def __init__(
        self,
        meter: Meter,
        specs: Iterable[MetricSpec],
        store: GaugeStore,
        *,
        token_usage: bool = False,
    ) -> None:
        self.store = store
        self._recorders: dict[str, Recorder] = {}
        self._gauges: set[str] = set()
        self._instruments: list[object] = []
        for spec in (*specs, TOKEN_USAGE) if token_usage else specs:
            self._create(meter, spec)
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

    def _create(self, meter: Meter, spec: MetricSpec) -> None:
        if spec.kind is Kind.COUNTER:
            counter = meter.create_counter(spec.name, unit=spec.unit, description=spec.description)
            self._recorders[spec.name] = counter.add
            self._instruments.append(counter)
        elif spec.kind is Kind.HISTOGRAM:
            histogram = meter.create_histogram(
                spec.name, unit=spec.unit, description=spec.description
            )
            self._recorders[spec.name] = histogram.record
            self._instruments.append(histogram)
        else:
            gauge = meter.create_observable_gauge(
                spec.name,
                callbacks=[self.store.callback(spec.name)],
                unit=spec.unit,
                description=spec.description,
            )
            self._gauges.add(spec.name)
            self._instruments.append(gauge)

    def enabled(self, name: str) -> bool:
        return name in self._recorders or name in self._gauges

    def record(self, name: str, value: float, attributes: Attributes) -> None:
        recorder = self._recorders.get(name)
        if recorder is not None:
            recorder(value, attributes)

    def set(self, name: str, value: float, attributes: Attributes) -> None:
        if name in self._gauges:
            self.store.set(name, value, attributes)

    def remove(self, name: str, attributes: Attributes) -> None:
        if name in self._gauges:
            self.store.remove(name, attributes)
