"""Prometheus text and OpenMetrics exposition, written straight from ``MetricsData``.

The OTel Prometheus reader converts every point into prometheus_client families,
and prometheus_client then formats each sample again, label set included, once per
histogram bucket.  With LiteLLM's 17 latency buckets that is most of a scrape.
Here each point's label set is formatted once and every line reuses it; the
output is the same exposition (label order aside).  Metrics this module cannot
express exactly (real units, exponential histograms) make it decline, and the
caller falls back to the reader's prometheus_client path.

Both paths share :func:`family_name` and :func:`clean_value`, so they agree on
which family a metric lands in and on what a label value may contain.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection, Iterator, Mapping
from typing import Any

# The exporter's own naming rules, so both rendering paths name a family alike.
from opentelemetry.exporter.prometheus._mapping import map_unit, sanitize_full_name
from opentelemetry.sdk.metrics.export import Gauge, Histogram, Metric, MetricsData, Sum

_LABEL_INVALID = re.compile(r"[^a-zA-Z0-9_]+")  # LiteLLM's own names keep their "__"
_label_names: dict[str, str] = {}
# Characters a line-oriented reader takes as a line break (str.splitlines, editors,
# log shippers) or a terminal acts on; the formats have no escape for them.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
REPLACEMENT = "\N{REPLACEMENT CHARACTER}"


class Unsupported(Exception):
    """The data holds something only the prometheus_client path renders exactly."""


def render(
    data: MetricsData, openmetrics: bool = False, names: Collection[str] | None = None
) -> bytes:
    """The exposition of ``data``; raises :class:`Unsupported` when it cannot be exact.

    ``names`` (a scrape's ``name[]``) keeps the families named, whole, and the samples
    named (``x_bucket``, ``x_total``), as prometheus_client's ``restricted_registry``.
    """
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
        whole = names is None or name in names
        if not whole and not any(wanted.startswith(name) for wanted in names or ()):
            continue
        sample = name + "_total" if kind == "counter" else name
        body = [line for metric in metrics for line in _samples(metric, sample, name)]
        if not whole:
            body = [line for line in body if _sample_name(line) in (names or ())]
            if not body:
                continue
        header = name if openmetrics else sample
        lines.append(f"# HELP {header} {_escape_help(description)}")
        lines.append(f"# TYPE {header} {kind}")
        lines.extend(body)
    if openmetrics:
        lines.append("# EOF")
    lines.append("")
    return "\n".join(lines).encode()


def family_name(metric: Metric) -> str:
    """The Prometheus family ``metric`` renders as (the OTel exporter's rule: a counter
    loses ``_total``, a unit adds its suffix)."""
    name = str(sanitize_full_name(metric.name))
    data = metric.data
    if isinstance(data, Sum) and data.is_monotonic and name.endswith("_total"):
        name = name[: -len("_total")]
    unit = str(map_unit(metric.unit or ""))
    if unit and not name.endswith("_" + unit):
        name += "_" + unit
    return name


def _family(metric: Metric) -> tuple[str, str]:
    if map_unit(metric.unit or ""):
        raise Unsupported(f"{metric.name} has unit {metric.unit!r}")
    name = family_name(metric)
    data = metric.data
    if isinstance(data, Sum):
        return name, "counter" if data.is_monotonic else "gauge"
    if isinstance(data, Gauge):
        return name, "gauge"
    if isinstance(data, Histogram):
        return name, "histogram"
    raise Unsupported(f"{metric.name} is a {type(data).__name__}")


def _sample_name(line: str) -> str:
    end = line.find("{")
    return line[:end] if end >= 0 else line[: line.find(" ")]


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


def clean_value(text: str) -> str:
    """``text`` with line breaks other than LF and control characters replaced (U+FFFD)."""
    if text.isprintable():  # the common case, checked in C
        return text
    return _UNSAFE.sub(REPLACEMENT, text)


def _escape_value(text: str) -> str:
    text = clean_value(text)
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
