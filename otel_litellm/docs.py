"""Files generated from the metric table: docs/metrics.md (``otel-litellm metrics``) and
otel_litellm/families.py (``otel-litellm families``)."""

from __future__ import annotations

from otel_litellm.aliases import ALIASES, CLASHING
from otel_litellm.service_spec import SERVICE_METRICS, SERVICE_NAME
from otel_litellm.spec import METRICS, TOKEN_USAGE, Kind, MetricSpec


def _row(spec: MetricSpec) -> str:
    buckets = (
        "LiteLLM latency"
        if spec.buckets and len(spec.buckets) == 17
        else (f"{len(spec.buckets)} bounds" if spec.buckets else "")
    )
    source = spec.source
    if spec.writer:
        source += f" (`{spec.writer}`)"
    elif spec.no_writer_reason:
        source += f" (not written: {spec.no_writer_reason})"
    return (
        f"| `{spec.sample_name}` | {spec.kind.value} | `{spec.name}` ({spec.unit or '-'}) "
        f"| {', '.join(spec.labels) or '-'} | {source} | {buckets} |"
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
    return "\n".join(lines + _services_section() + _aliases_section())


_HEADER = [
    "| sample name | type | instrument (unit) | labels | value from | buckets |",
    "|---|---|---|---|---|---|",
]


def _services_section() -> list[str]:
    return [
        "## services (Monitor System Health)",
        "",
        "Generated from `otel_litellm/service_spec.py`. LiteLLM's services logger, on when",
        '`litellm.service_callback` holds `"prometheus_system"` (or `services=True`,',
        "`OTEL_LITELLM_SERVICES=true`; `false` turns it off). otel_litellm wraps",
        "`ServiceLogging.async_service_success_hook` / `async_service_failure_hook`, which",
        "every service event passes through, and unwraps them on `uninstrument()`.",
        "A family's label is named after its service and holds the service",
        '(`litellm_redis_latency_bucket{redis="redis",le=…}`), recorded as',
        f"`{SERVICE_NAME}`; the `_size` gauges hold the reporter's `gauge_labels` instead.",
        "Failures count in `_failed_requests` (with `error_class` = the error's class and",
        "`function_name` = the call type) and in `_total_requests`; only successes are timed.",
        "Redis and postgres instruments also carry `db.system.name` in the semconv naming.",
        "",
        *_HEADER,
        *(_row(spec) for spec in SERVICE_METRICS),
        "",
    ]


def _aliases_section() -> list[str]:
    return [
        "## legacy aliases (opt-in)",
        "",
        "Generated from `otel_litellm/aliases.py`. Names from LiteLLM's first Prometheus",
        "integration, off by default; `legacy_aliases=True` (`OTEL_LITELLM_LEGACY_ALIASES=all`,",
        "or a comma-separated list of names) exports them with their original labels.",
        "`litellm_requests_metric` and `litellm_llm_api_failed_requests_metric` are live",
        "families: the alias narrows them to these labels. `litellm_redis_fails` counts",
        "only while the service families are recorded.",
        "",
        f"**`{CLASHING}`**: a counter here, a per-model gauge in the database gauges",
        "(seed 003). One exposition cannot hold both as one family, so the database gauge",
        f"keeps the name: with a `database_url`, `legacy_aliases=True` leaves `{CLASHING}`",
        "out (logging a warning) and naming it explicitly is a configuration error. The",
        "same tokens are the counter `litellm_total_tokens_metric`.",
        "",
        *_HEADER,
        *(_row(spec) for spec in ALIASES),
        "",
    ]


def family_constant(name: str) -> str:
    """The constant naming a family in otel_litellm/families.py."""
    return name.removeprefix("litellm.").replace(".", "_").upper()


def families_module() -> str:
    """otel_litellm/families.py: one name constant per recorded family of the table."""
    lines = [
        '"""The metric table\'s families, by name: recording code names a family only here.',
        "",
        "Generated from otel_litellm/spec.py by ``otel-litellm families``; do not edit by hand",
        "(tests/test_table_contract.py fails when this file and the table differ).  A misspelt",
        "constant fails mypy and the import; a misspelt string fails only when its line runs.",
        '"""',
        "",
        "from typing import Final",
        "",
    ]
    lines += [
        f'{family_constant(spec.name)}: Final = "{spec.name}"' for spec in (*METRICS, TOKEN_USAGE)
    ]
    return "\n".join(lines) + "\n"
