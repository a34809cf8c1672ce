"""Query rows -> OTel observations, and the immutable snapshot the gauges read."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from decimal import Decimal
from types import MappingProxyType

from opentelemetry.metrics import Observation

from otel_litellm.db.query import Query
from otel_litellm.db.spec import BY_NAME
from otel_litellm.spec import BY_NAME as TABLE  # families the database also feeds (counts)

_log = logging.getLogger(__name__)

Row = Mapping[str, object]
Snapshot = Mapping[str, tuple[Observation, ...]]
EMPTY: Snapshot = MappingProxyType({})


def observe(query: Query, rows: Iterable[Row]) -> dict[str, list[Observation]]:
    """The observations ``rows`` make for each gauge ``query`` feeds; NULL values make none."""
    found: dict[str, dict[frozenset[tuple[str, str]], Observation]] = {m: {} for m in query.metrics}
    for row in rows:
        for metric, column in query.outputs:
            value = row[column]
            if value is None:
                continue
            spec = BY_NAME.get(metric) or TABLE[metric]
            attributes = {key: _label(row[label]) for label, key in spec.label_map}
            identity = frozenset(attributes.items())
            series = found[metric]
            if identity in series:
                # Two rows for one series would make the gauge report whichever came last.
                _log.warning(
                    "otel_litellm.db: query %s returned %s twice for %s",
                    query.name,
                    metric,
                    attributes,
                )
            series[identity] = Observation(_number(value), attributes)
    return {metric: list(series.values()) for metric, series in found.items()}


def merge(parts: Iterable[Mapping[str, list[Observation]]]) -> Snapshot:
    """One read-only snapshot from per-query observations."""
    merged: dict[str, list[Observation]] = {}
    for part in parts:
        for metric, observations in part.items():
            merged.setdefault(metric, []).extend(observations)
    return MappingProxyType({metric: tuple(obs) for metric, obs in merged.items()})


def _label(value: object) -> str:
    # NULL aliases and ids become "", which Prometheus treats as an absent label.
    return "" if value is None else str(value)


def _number(value: object) -> float:
    if isinstance(value, (int, float, Decimal)):
        return float(value)
    raise TypeError(f"expected a number, got {type(value).__name__}: {value!r}")
