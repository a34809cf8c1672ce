"""Write grafana/dashboards/*.json from the panel tables below.

    python grafana/generate.py

The JSON files are committed (Grafana's provisioning reads them); this script
is their source, and tests/test_dashboards.py checks the two agree and runs
every expression against a real Prometheus fed by the real proxy.

Conventions for the queries (see docs/pipeline.md):

* Through the Collector every series carries job/instance, one instance per
  proxy worker.  Counters and histograms are summed across workers.
* Gauges are not summed: each worker holds its own last-seen copy of the same
  value, so they are combined with min (remaining budget, remaining requests)
  or max (limits, states, database gauges).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OUT_DIR = Path(__file__).resolve().parent / "dashboards"
DATASOURCE = {"type": "prometheus", "uid": "litellm-prometheus"}
WINDOW = "2m"
PANELS_PER_ROW = {"timeseries": 2, "stat": 4}
HEIGHT = 8

STATE_MAPPINGS = [
    {
        "type": "value",
        "options": {
            "0": {"text": "healthy", "color": "green"},
            "1": {"text": "partial outage", "color": "orange"},
            "2": {"text": "outage", "color": "red"},
        },
    }
]


@dataclass(frozen=True)
class Panel:
    title: str
    targets: tuple[tuple[str, str], ...]  # (PromQL, legend)
    unit: str = "short"
    kind: str = "timeseries"
    description: str = ""
    mappings: tuple[dict[str, Any], ...] = ()


def per_second(metric: str, by: str = "") -> str:
    grouping = f" by ({by})" if by else ""
    return f"sum{grouping} (rate({metric}[{WINDOW}]))"


def quantile(q: float, histogram: str, by: str = "") -> str:
    labels = f"le, {by}" if by else "le"
    return f"histogram_quantile({q}, sum by ({labels}) (rate({histogram}_bucket[{WINDOW}])))"


def documented_quantile(q: float) -> str:
    """The request latency quantile written the way LiteLLM's docs write it."""
    histogram = "litellm_request_total_latency_metric_bucket"
    return f"histogram_quantile({q}, sum(rate({histogram}[{WINDOW}])) by (le))"


def average(histogram: str) -> str:
    return f"{per_second(histogram + '_sum')} / {per_second(histogram + '_count')}"


def gauge(aggregation: str, metric: str, by: str) -> str:
    return f"{aggregation} by ({by}) ({metric})"


def legend(by: str) -> str:
    return " ".join("{{" + label.strip() + "}}" for label in by.split(","))


def latency_panel(title: str, histogram: str) -> Panel:
    return Panel(
        title,
        (
            (average(histogram), "avg"),
            (quantile(0.5, histogram), "p50"),
            (quantile(0.95, histogram), "p95"),
        ),
        unit="s",
    )


def by_label_panels(title: str, metric: str, unit: str, labels: tuple[str, ...]) -> list[Panel]:
    """One rate panel per grouping (team, key, user, ...) of the same counter."""
    return [
        Panel(
            f"{title} by {by.split(',')[0].strip()}", ((per_second(metric, by), legend(by)),), unit
        )
        for by in labels
    ]


KEY = "hashed_api_key, api_key_alias"
TEAM = "team, team_alias"
DEPLOYMENT = "model_group, litellm_model_name"
REQUESTS = "litellm_proxy_total_requests_metric_total"
FAILURES = "litellm_proxy_failed_requests_metric_total"
SPEND = "litellm_spend_metric_total"
ENTITY = "entity_type, entity_id, entity_alias"
DB_KEY = "key_name, key_alias, hashed_api_key"

PROXY = [
    Panel(
        "Requests / s",
        (
            # LiteLLM's own documented queries, verbatim.
            (f"sum(rate({REQUESTS}[{WINDOW}]))", "requests"),
            (f"sum(rate({FAILURES}[{WINDOW}]))", "failed"),
        ),
        unit="reqps",
    ),
    Panel(
        "Failed requests / s by exception class",
        ((f"sum(rate({FAILURES}[{WINDOW}])) by (exception_class)", "{{exception_class}}"),),
        unit="reqps",
    ),
    Panel(
        "Requests / s by status code",
        ((per_second(REQUESTS, "status_code"), "{{status_code}}"),),
        "reqps",
    ),
    Panel(
        "Requests / s by model",
        ((per_second(REQUESTS, "requested_model"), "{{requested_model}}"),),
        "reqps",
    ),
    Panel(
        "Error ratio",
        ((f"{per_second(FAILURES)} / {per_second(REQUESTS)}", "failed / all"),),
        unit="percentunit",
    ),
    Panel(
        "Request latency (avg, median, p95)",
        (
            (average("litellm_request_total_latency_metric"), "avg"),
            (
                documented_quantile(0.5),
                "median",
            ),
            (
                documented_quantile(0.95),
                "p95",
            ),
        ),
        unit="s",
    ),
    latency_panel("LLM API latency", "litellm_llm_api_latency_metric"),
    Panel(
        "LLM API latency p95 by model",
        ((quantile(0.95, "litellm_llm_api_latency_metric", "model"), "{{model}}"),),
        unit="s",
    ),
    latency_panel("Time to first token (streams)", "litellm_llm_api_time_to_first_token_metric"),
    latency_panel("LiteLLM overhead", "litellm_overhead_latency_metric"),
    Panel(
        "Requests / s by worker",
        ((per_second(REQUESTS, "job, instance"), "{{job}} {{instance}}"),),
        unit="reqps",
        description="One instance per proxy worker process (service.instance.id).",
    ),
    Panel(
        "Callback logging failures / s",
        (
            (
                per_second("litellm_callback_logging_failures_metric_total", "callback_name"),
                "{{callback_name}}",
            ),
        ),
        unit="short",
    ),
    Panel(
        "Exporting proxy processes",
        (('count(target_info{job="litellm"})', "processes"),),
        kind="stat",
        description="Processes whose OTLP export reaches the Collector (job = OTEL_SERVICE_NAME).",
    ),
    Panel(
        "Collector scrape up",
        (('min(up{job="litellm-collector"})', "up"),),
        kind="stat",
    ),
]

SPEND_AND_TOKENS = [
    Panel(
        "Spend in the last 24 h",
        ((f"sum(increase({SPEND}[1d]))", "USD"),),
        unit="currencyUSD",
        kind="stat",
    ),
    Panel(
        "Tokens in the last 24 h",
        (("sum(increase(litellm_total_tokens_metric_total[1d]))", "tokens"),),
        kind="stat",
    ),
    *by_label_panels("Spend / s", SPEND, "currencyUSD", (TEAM, KEY, "user", "end_user", "model")),
    Panel(
        "Tokens / s by model",
        (
            (per_second("litellm_input_tokens_metric_total", "model"), "{{model}} input"),
            (per_second("litellm_output_tokens_metric_total", "model"), "{{model}} output"),
        ),
    ),
    *by_label_panels(
        "Tokens / s", "litellm_total_tokens_metric_total", "short", (TEAM, KEY, "user", "end_user")
    ),
    Panel(
        "Zero-cost requests / s by reason",
        (
            (
                per_second("litellm_zero_cost_requests_total", "reason, model"),
                "{{reason}} {{model}}",
            ),
        ),
        unit="reqps",
    ),
]

BUDGETS = [
    Panel(
        "Team budget left",
        (
            (
                f"{gauge('min', 'litellm_remaining_team_budget_metric', TEAM)}"
                f" / {gauge('max', 'litellm_team_max_budget_metric', TEAM)}",
                legend(TEAM),
            ),
        ),
        unit="percentunit",
    ),
    Panel(
        "Team budget remaining",
        ((gauge("min", "litellm_remaining_team_budget_metric", TEAM), legend(TEAM)),),
        "currencyUSD",
    ),
    Panel(
        "Team budget resets in",
        ((gauge("min", "litellm_team_budget_remaining_hours_metric", TEAM), legend(TEAM)),),
        "h",
    ),
    Panel(
        "Key budget left",
        (
            (
                f"{gauge('min', 'litellm_remaining_api_key_budget_metric', KEY)}"
                f" / {gauge('max', 'litellm_api_key_max_budget_metric', KEY)}",
                legend(KEY),
            ),
        ),
        unit="percentunit",
    ),
    Panel(
        "Key budget resets in",
        ((gauge("min", "litellm_api_key_budget_remaining_hours_metric", KEY), legend(KEY)),),
        "h",
    ),
    Panel(
        "User budget remaining",
        ((gauge("min", "litellm_remaining_user_budget_metric", "user"), "{{user}}"),),
        "currencyUSD",
    ),
    Panel(
        "Organization budget remaining",
        (
            (
                gauge("min", "litellm_remaining_org_budget_metric", "org_id, org_alias"),
                "{{org_alias}} {{org_id}}",
            ),
        ),
        "currencyUSD",
    ),
    Panel(
        "Customer budget remaining",
        ((gauge("min", "litellm_remaining_customer_budget_metric", "end_user"), "{{end_user}}"),),
        "currencyUSD",
    ),
    Panel(
        "Provider budget remaining",
        (
            (
                gauge("min", "litellm_provider_remaining_budget_metric", "api_provider"),
                "{{api_provider}}",
            ),
        ),
        "currencyUSD",
    ),
    Panel(
        "Budget utilisation (database)",
        ((gauge("max", "litellm_budget_utilization", ENTITY), "{{entity_type}} {{entity_alias}}"),),
        unit="percent",
    ),
    Panel(
        "Key budget spent (database)",
        (
            (
                f"{gauge('max', 'litellm_key_budget_spend', DB_KEY)}"
                f" / {gauge('max', 'litellm_key_budget', DB_KEY)}",
                "{{key_alias}} {{key_name}}",
            ),
        ),
        unit="percentunit",
    ),
    Panel(
        "Budget resets in (database)",
        ((gauge("min", "litellm_budget_reset_time", ENTITY), "{{entity_type}} {{entity_alias}}"),),
        "s",
    ),
]

DEPLOYMENTS = [
    Panel(
        "Deployment state",
        (
            (
                gauge("max", "litellm_deployment_state", "litellm_model_name, api_base"),
                "{{litellm_model_name}} {{api_base}}",
            ),
        ),
        description="Worst state any worker reports: 0 healthy, 1 partial outage, 2 outage.",
        mappings=tuple(STATE_MAPPINGS),
    ),
    Panel(
        "Cooldowns / s",
        (
            (
                per_second(
                    "litellm_deployment_cooled_down_total", "litellm_model_name, exception_status"
                ),
                "{{litellm_model_name}} {{exception_status}}",
            ),
        ),
    ),
    Panel(
        "Deployment successes / s",
        (
            (
                per_second("litellm_deployment_success_responses_total", DEPLOYMENT),
                legend(DEPLOYMENT),
            ),
        ),
        unit="reqps",
    ),
    Panel(
        "Deployment failures / s",
        (
            (
                per_second(
                    "litellm_deployment_failure_responses_total", DEPLOYMENT + ", exception_status"
                ),
                legend(DEPLOYMENT + ", exception_status"),
            ),
        ),
        unit="reqps",
    ),
    Panel(
        "Fallbacks / s",
        (
            (
                per_second(
                    "litellm_deployment_successful_fallbacks_total",
                    "requested_model, fallback_model",
                ),
                "{{requested_model}} → {{fallback_model}} ok",
            ),
            (
                per_second(
                    "litellm_deployment_failed_fallbacks_total", "requested_model, fallback_model"
                ),
                "{{requested_model}} → {{fallback_model}} failed",
            ),
        ),
        unit="reqps",
    ),
    Panel(
        "Upstream rate limit: remaining requests",
        ((gauge("min", "litellm_remaining_requests_metric", DEPLOYMENT), legend(DEPLOYMENT)),),
    ),
    Panel(
        "Upstream rate limit: remaining tokens",
        ((gauge("min", "litellm_remaining_tokens_metric", DEPLOYMENT), legend(DEPLOYMENT)),),
    ),
    Panel(
        "Configured TPM / RPM limits",
        (
            (
                gauge("max", "litellm_deployment_tpm_limit", DEPLOYMENT),
                "{{litellm_model_name}} tpm",
            ),
            (
                gauge("max", "litellm_deployment_rpm_limit", DEPLOYMENT),
                "{{litellm_model_name}} rpm",
            ),
        ),
    ),
    Panel(
        "Key rate limit: remaining requests per model",
        (
            (
                gauge("min", "litellm_remaining_api_key_requests_for_model", KEY + ", model"),
                "{{api_key_alias}} {{model}}",
            ),
        ),
    ),
    Panel(
        "Latency per output token p95",
        (
            (
                quantile(0.95, "litellm_deployment_latency_per_output_token", "model_group"),
                "{{model_group}}",
            ),
        ),
        unit="s",
    ),
]

HITS = per_second("litellm_cache_hits_metric_total")

CACHE = [
    Panel(
        "Cache hits and misses / s",
        (
            (per_second("litellm_cache_hits_metric_total"), "hits"),
            (per_second("litellm_cache_misses_metric_total"), "misses"),
        ),
        unit="reqps",
    ),
    Panel(
        "Cache hit ratio",
        (
            (
                f"{HITS} / ({HITS} + {per_second('litellm_cache_misses_metric_total')})",
                "hit ratio",
            ),
        ),
        unit="percentunit",
    ),
    Panel(
        "Tokens served from cache / s",
        ((per_second("litellm_cached_tokens_metric_total", "model"), "{{model}}"),),
    ),
    Panel(
        "Provider prompt cache tokens / s",
        (
            (
                per_second("litellm_provider_cache_read_input_tokens_metric_total", "model"),
                "{{model}} read",
            ),
            (
                per_second("litellm_provider_cache_creation_input_tokens_metric_total", "model"),
                "{{model}} created",
            ),
        ),
    ),
]

DATABASE = [
    Panel(
        "Spend by model (spend window)",
        ((gauge("max", "litellm_total_spend", "model"), "{{model}}"),),
        "currencyUSD",
    ),
    Panel(
        "Spend by team (spend window)",
        (
            (
                "sum by (team_id, team_alias)"
                " (max by (team_id, team_alias, model) (litellm_team_spend))",
                "{{team_alias}} {{team_id}}",
            ),
        ),
        unit="currencyUSD",
    ),
    Panel(
        "Spend by key (spend window)",
        ((gauge("max", "litellm_key_spend", DB_KEY), "{{key_alias}} {{key_name}}"),),
        "currencyUSD",
    ),
    Panel(
        "Tokens by model (spend window)",
        (
            (gauge("max", "litellm_prompt_tokens", "model"), "{{model}} prompt"),
            (gauge("max", "litellm_completion_tokens", "model"), "{{model}} completion"),
        ),
    ),
    Panel(
        "Requests by status (request window)",
        (("sum by (status) (max by (model, status) (litellm_requests_total))", "{{status}}"),),
    ),
    Panel(
        "Request duration quantiles (request window)",
        (
            (
                gauge("max", "litellm_request_duration_seconds", "model, quantile"),
                "{{model}} q{{quantile}}",
            ),
        ),
        unit="s",
    ),
    Panel(
        "Errors by type (error window)",
        (
            (
                "sum by (error_type) (max by (model, error_type) (litellm_errors_total))",
                "{{error_type}}",
            ),
        ),
    ),
    Panel(
        "Failures per minute by model",
        ((gauge("max", "litellm_error_rate", "model"), "{{model}}"),),
    ),
    Panel(
        "Current TPM by entity",
        (
            (
                gauge("max", "litellm_current_tpm", "entity_type, entity_alias"),
                "{{entity_type}} {{entity_alias}}",
            ),
        ),
    ),
    Panel(
        "Current RPM by entity",
        (
            (
                gauge("max", "litellm_current_rpm", "entity_type, entity_alias"),
                "{{entity_type}} {{entity_alias}}",
            ),
        ),
    ),
    Panel(
        "Key expires in",
        ((gauge("min", "litellm_key_expiry", DB_KEY), "{{key_alias}} {{key_name}}"),),
        "s",
    ),
    Panel(
        "Active and expired keys",
        (
            (
                gauge("max", "litellm_active_keys", ENTITY),
                "{{entity_type}} {{entity_alias}} active",
            ),
            (
                gauge("max", "litellm_expired_keys", ENTITY),
                "{{entity_type}} {{entity_alias}} expired",
            ),
        ),
    ),
    Panel(
        "Blocked entities",
        (
            (
                "sum by (entity_type) (max by (entity_type, entity_id) (litellm_blocked_status))",
                "{{entity_type}}",
            ),
        ),
    ),
    Panel(
        "Team members",
        ((gauge("max", "litellm_member_count", "team_id, team_alias"), "{{team_alias}}"),),
    ),
    Panel(
        "Refresh success by query",
        ((gauge("min", "litellm_db_refresh_success", "query"), "{{query}}"),),
    ),
    Panel(
        "Refresh duration by query",
        ((gauge("max", "litellm_db_refresh_duration_seconds", "query"), "{{query}}"),),
        "s",
    ),
    Panel(
        "Seconds since the oldest successful refresh",
        (("time() - min(litellm_db_refresh_last_success_timestamp_seconds)", "age"),),
        unit="s",
        kind="stat",
    ),
]

DASHBOARDS: dict[str, tuple[str, list[Panel]]] = {
    "litellm-proxy": ("LiteLLM proxy", PROXY),
    "litellm-spend": ("LiteLLM spend and tokens", SPEND_AND_TOKENS),
    "litellm-budgets": ("LiteLLM budgets", BUDGETS),
    "litellm-deployments": ("LiteLLM deployments", DEPLOYMENTS),
    "litellm-cache": ("LiteLLM cache", CACHE),
    "litellm-database": ("LiteLLM database", DATABASE),
}


def panel_json(panel: Panel, panel_id: int, x: int, y: int) -> dict[str, Any]:
    width = 24 // PANELS_PER_ROW[panel.kind]
    return {
        "id": panel_id,
        "type": panel.kind,
        "title": panel.title,
        "description": panel.description,
        "datasource": DATASOURCE,
        "gridPos": {"x": x, "y": y, "w": width, "h": HEIGHT},
        "fieldConfig": {
            "defaults": {"unit": panel.unit, "mappings": list(panel.mappings)},
            "overrides": [],
        },
        "options": {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True}},
        "targets": [
            {
                "refId": chr(ord("A") + index),
                "datasource": DATASOURCE,
                "expr": expr,
                "legendFormat": text,
            }
            for index, (expr, text) in enumerate(panel.targets)
        ],
    }


def dashboard_json(uid: str, title: str, panels: list[Panel]) -> dict[str, Any]:
    laid_out = []
    x = y = 0
    for panel_id, panel in enumerate(panels, start=1):
        width = 24 // PANELS_PER_ROW[panel.kind]
        if x + width > 24:
            x, y = 0, y + HEIGHT
        laid_out.append(panel_json(panel, panel_id, x, y))
        x += width
    return {
        "uid": uid,
        "title": title,
        "tags": ["litellm", "otel_litellm"],
        "editable": False,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-1h", "to": "now"},
        "timezone": "browser",
        "annotations": {"list": []},
        "templating": {"list": []},
        "panels": laid_out,
    }


def rendered() -> dict[str, str]:
    """File name -> JSON text of every dashboard."""
    return {
        f"{uid}.json": json.dumps(dashboard_json(uid, title, panels), indent=2, ensure_ascii=False)
        + "\n"
        for uid, (title, panels) in DASHBOARDS.items()
    }


def main() -> int:
    OUT_DIR.mkdir(exist_ok=True)
    for name, text in rendered().items():
        (OUT_DIR / name).write_text(text, encoding="utf-8")
        print(OUT_DIR / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
