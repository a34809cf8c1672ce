"""Prometheus text and OpenMetrics exposition, written straight from ``MetricsData``.

The OTel Prometheus reader converts every point into prometheus_client families,
and prometheus_client then formats each sample again, label set included, once per
histogram bucket.  With LiteLLM's 17 latency buckets that is most of a scrape.
Here each point's label set is formatted once and every line reuses it; the
output is the same exposition (label order aside).  Metrics this module cannot
express exactly (real units, exponential histograms) make it decline, and the
caller falls back to the reader's prometheus_client path.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from typing import Any

from opentelemetry.sdk.metrics.export import Gauge, Histogram, Metric, MetricsData, Sum

_NAME_INVALID = re.compile(r"[^a-zA-Z0-9:]+")
_LABEL_INVALID = re.compile(r"[^a-zA-Z0-9]+")
_label_names: dict[str, str] = {}


class Unsupported(Exception):
    """The data holds something only the prometheus_client path renders exactly."""


def render(data: MetricsData, openmetrics: bool = False) -> bytes:
    """The exposition of ``data``; raises :class:`Unsupported` when it cannot be exact."""
    families: dict[str, tuple[str, str, list[Metric]]] = {}
    for resource_metrics in data.resource_metrics:
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                name, kind = _family(metric)
                entry = families.setdefault(name, (kind, metric.description or "", []))
                if entry[0] != kind:
                    raise Unsupported(f"{name} is exported as both {entry[0]} and {kind}")
                entry[2].append(metric)
    lines: list[str] = []
    for name, (kind, description, metrics) in families.items():
        sample = name + "_total" if kind == "counter" else name
        header = name if openmetrics else sample
        lines.append(f"# HELP {header} {_escape_help(description)}")
        lines.append(f"# TYPE {header} {kind}")
        for metric in metrics:
            lines.extend(_samples(metric, sample, name))
    if openmetrics:
        lines.append("# EOF")
    lines.append("")
    return "\n".join(lines).encode()


def _family(metric: Metric) -> tuple[str, str]:
    unit = metric.unit or ""
    if unit not in ("", "1") and not (unit.startswith("{") and unit.endswith("}")):
        raise Unsupported(f"{metric.name} has unit {unit!r}")
    name = _NAME_INVALID.sub("_", metric.name)
    if name[:1].isdigit():
        name = "_" + name[1:]
    data = metric.data
    if isinstance(data, Sum):
        if data.is_monotonic:
            return (name[: -len("_total")] if name.endswith("_total") else name), "counter"
        return name, "gauge"
    if isinstance(data, Gauge):
        return name, "gauge"
    if isinstance(data, Histogram):
        return name, "histogram"
    raise Unsupported(f"{metric.name} is a {type(data).__name__}")


def _samples(metric: Metric, sample: str, name: str) -> Iterator[str]:
    data = metric.data
    if isinstance(data, Histogram):
        for point in data.data_points:
            labels = _labels(point.attributes)
            prefix = labels[:-1] + "," if labels else "{"
            cumulative = 0
            for bound, count in zip(point.explicit_bounds, point.bucket_counts, strict=False):
                cumulative += count
                yield f'{name}_bucket{prefix}le="{float(bound)}"}} {float(cumulative)}'
            yield f'{name}_bucket{prefix}le="+Inf"}} {float(point.count)}'
            yield f"{name}_count{labels} {float(point.count)}"
            yield f"{name}_sum{labels} {_value(point.sum)}"
    elif isinstance(data, (Sum, Gauge)):
        for number_point in data.data_points:
            yield f"{sample}{_labels(number_point.attributes)} {_value(number_point.value)}"


def _labels(attributes: Mapping[str, Any] | None) -> str:
    if not attributes:
        return ""
    parts = []
    for key, value in attributes.items():
        label = _label_names.get(key)
        if label is None:
            label = _LABEL_INVALID.sub("_", key)
            if label[:1].isdigit():
                label = "_" + label[1:]
            _label_names[key] = label
        text = value if isinstance(value, str) else json.dumps(value)
        parts.append(f'{label}="{_escape_value(text)}"')
    return "{" + ",".join(parts) + "}"


def _escape_value(text: str) -> str:
    if "\\" in text or '"' in text or "\n" in text:
        return text.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")
    return text


def _escape_help(text: str) -> str:
    return text.replace("\\", r"\\").replace("\n", r"\n")


def _value(value: float) -> str:
    number = float(value)
    if math.isinf(number):
        return "+Inf" if number > 0 else "-Inf"
    if math.isnan(number):
        return "NaN"
    return repr(number)
