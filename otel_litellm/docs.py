"""docs/metrics.md, generated from the metric table (``otel-litellm metrics``)."""

from __future__ import annotations

from otel_litellm.spec import METRICS, TOKEN_USAGE, Kind, MetricSpec


def _row(spec: MetricSpec) -> str:
    buckets = (
        "LiteLLM latency"
        if spec.buckets and len(spec.buckets) == 17
        else (f"{len(spec.buckets)} bounds" if spec.buckets else "")
    )
    return (
        f"| `{spec.sample_name}` | {spec.kind.value} | `{spec.name}` ({spec.unit or '-'}) "
        f"| {', '.join(spec.labels) or '-'} | {spec.source} | {buckets} |"
    )


def metrics_markdown() -> str:
    lines = [
        "# Metrics",
        "",
        "Generated from `otel_litellm/spec.py` by `otel-litellm metrics`; do not edit by hand.",
        "",
        "Each LiteLLM family is recorded as the semantic instrument in the third column.",
        "The `litellm` naming (default) exports it under the first column's name and labels;",
        "the `semconv` naming exports the instrument as it is, with its semantic attributes.",
        "Gauges are observable: read from the last value written, at collection time.",
        "",
    ]
    for group in dict.fromkeys(spec.group for spec in METRICS):
        lines += [
            f"## {group}",
            "",
            "| sample name | type | instrument (unit) | labels | value from | buckets |",
            "|---|---|---|---|---|---|",
        ]
        lines += [_row(spec) for spec in METRICS if spec.group == group]
        lines.append("")
    lines += [
        "## semconv only",
        "",
        f"`{TOKEN_USAGE.name}` ({TOKEN_USAGE.kind.value}, {TOKEN_USAGE.unit}): "
        f"{TOKEN_USAGE.description} Attributes: {', '.join(TOKEN_USAGE.attributes)}.",
        "",
        f"{len(METRICS)} LiteLLM families: "
        f"{sum(s.kind is Kind.COUNTER for s in METRICS)} counters, "
        f"{sum(s.kind is Kind.HISTOGRAM for s in METRICS)} histograms, "
        f"{sum(s.kind is Kind.GAUGE for s in METRICS)} gauges.",
        "",
    ]
    return "\n".join(lines)
