"""Last-value storage behind the observable gauges.

Budgets, deployment state and rate-limit headroom are state, not events: the
callback writes the latest value here and the gauges report it at collection
time.  Each metric keeps at most ``max_series`` attribute sets (the least
recently written is evicted) and, with a ``ttl``, forgets sets not written for
that long, so an unbounded stream of keys or users cannot grow memory.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping

from opentelemetry.metrics import CallbackOptions, Observation

_log = logging.getLogger(__name__)

Attributes = Mapping[str, str]
_Key = frozenset[tuple[str, str]]


class GaugeStore:
    def __init__(self, max_series: int = 10_000, ttl_seconds: float | None = None) -> None:
        self.max_series = max_series
        self.ttl_seconds = ttl_seconds
        self.evicted = 0
        self._evicted_by_name: dict[str, int] = {}
        self._lock = threading.Lock()
        self._series: dict[str, OrderedDict[_Key, tuple[float, Attributes, float]]] = {}

    def set(self, name: str, value: float, attributes: Attributes) -> None:
        self.set_at(name, frozenset(attributes.items()), attributes, value)

    def set_at(self, name: str, key: _Key, attributes: Attributes, value: float) -> None:
        """``set`` with the series key already made (``frozenset(attributes.items())``)."""
        now = time.monotonic()
        with self._lock:
            series = self._series.get(name)
            if series is None:
                series = self._series[name] = OrderedDict()
            elif key in series:
                series.move_to_end(key)
            series[key] = (value, attributes, now)
            if len(series) > self.max_series:
                series.popitem(last=False)
                self.evicted += 1
                self._evicted_by_name[name] = self._evicted_by_name.get(name, 0) + 1
                if self.evicted == 1 or self.evicted % 10_000 == 0:
                    _log.warning(
                        "otel_litellm: gauge %s holds more than %d series; evicting the least "
                        "recently updated (%d evicted so far)",
                        name,
                        self.max_series,
                        self.evicted,
                    )

    def remove(self, name: str, attributes: Attributes) -> None:
        with self._lock:
            series = self._series.get(name)
            if series is not None:
                series.pop(frozenset(attributes.items()), None)

    def evicted_by_name(self) -> dict[str, int]:
        with self._lock:
            return dict(self._evicted_by_name)

    def values(self, name: str) -> list[tuple[float, Attributes]]:
        """Current (value, attributes) pairs of ``name``, dropping expired ones."""
        with self._lock:
            series = self._series.get(name)
            if not series:
                return []
            if self.ttl_seconds is not None:
                horizon = time.monotonic() - self.ttl_seconds
                while series:
                    oldest_key, (_, _, written) = next(iter(series.items()))
                    if written >= horizon:
                        break
                    del series[oldest_key]
            return [(value, attributes) for value, attributes, _ in series.values()]

    def written(self, name: str) -> dict[_Key, float]:
        """When each series of ``name`` was last set (``time.monotonic()``)."""
        with self._lock:
            return {key: entry[2] for key, entry in self._series.get(name, {}).items()}

    def callback(self, name: str) -> Callable[[CallbackOptions], Iterator[Observation]]:
        """An observable-gauge callback reporting ``name``'s series."""

        def observe(options: CallbackOptions) -> Iterator[Observation]:
            for value, attributes in self.values(name):
                yield Observation(value, dict(attributes))

        return observe
