"""grafana/: the provisioned dashboards are consistent, and every query runs on real data.

The expressions run against Prometheus fed by the real pipeline
(tests/support/pipeline.py: LiteLLM proxies -> Collector -> Prometheus) after
the pipeline workload.  Each must parse; each must return data unless every
family it reads is listed in ALLOWED_EMPTY with the reason the workload
cannot produce it.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import time
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
import yaml

from otel_litellm.db.spec import DB_METRICS
from tests.support.collector import REPO_ROOT
from tests.support.pipeline import WORKLOAD, Stack, start_stack
from tests.support.prometheus import PrometheusQueryError

GRAFANA = REPO_ROOT / "grafana"
DASHBOARD_DIR = GRAFANA / "dashboards"
DATASOURCES = GRAFANA / "provisioning" / "datasources" / "prometheus.yml"

_NO_BUDGETS = "budgets need virtual keys, teams or users, i.e. the proxy's database"
BUDGET_GAUGES = (
    "litellm_remaining_team_budget_metric", "litellm_team_max_budget_metric",
    "litellm_team_budget_remaining_hours_metric", "litellm_remaining_api_key_budget_metric",
    "litellm_api_key_max_budget_metric", "litellm_api_key_budget_remaining_hours_metric",
    "litellm_remaining_user_budget_metric", "litellm_remaining_org_budget_metric",
    "litellm_remaining_customer_budget_metric",
)  # fmt: skip
_NO_CACHE = "deploy/litellm-config.yaml configures no response cache"
ALLOWED_EMPTY: dict[str, str] = {
    **{
        spec.litellm_name: "no database in this workload; tests/db checks these"
        for spec in DB_METRICS
    },
    **dict.fromkeys(BUDGET_GAUGES, _NO_BUDGETS),
    "litellm_provider_remaining_budget_metric": "no provider_budget_config in the proxy config",
    "litellm_remaining_api_key_requests_for_model": "the master key has no per-model limits",
    "litellm_cache_hits_metric_total": _NO_CACHE,
    "litellm_cached_tokens_metric_total": _NO_CACHE,
    "litellm_provider_cache_read_input_tokens_metric_total": "the mock reports no cached tokens",
    "litellm_provider_cache_creation_input_tokens_metric_total": "the mock reports no cache writes",
    "litellm_callback_logging_failures_metric_total": "no callback fails",
    "litellm_zero_cost_requests_total": "every model that answers has a price",
    "litellm_deployment_failed_fallbacks_total": "the one fallback (gpt-primary) succeeds",
    "litellm_deployment_cooled_down_total": "single-deployment model groups are never cooled down",
}
# LiteLLM users' own queries; they must be on a dashboard and return data.
DOCUMENTED_QUERIES = (
    "sum(rate(litellm_proxy_total_requests_metric_total[2m]))",
    "histogram_quantile(0.5, sum(rate(litellm_request_total_latency_metric_bucket[2m])) by (le))",
    "sum(rate(litellm_proxy_failed_requests_metric_total[2m])) by (exception_class)",
)
_METRIC = re.compile(r"\blitellm_[a-z0-9_]+\b")
_SAMPLE_SUFFIX = re.compile(r"_(bucket|sum|count)$")


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("grafana_generate", GRAFANA / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up while the class is built.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def dashboards() -> dict[str, dict[str, Any]]:
    return {
        path.name: json.loads(path.read_text()) for path in sorted(DASHBOARD_DIR.glob("*.json"))
    }


def targets() -> list[tuple[str, str, str]]:
    """(dashboard file, panel title, expression) of every query."""
    return [
        (name, panel["title"], target["expr"])
        for name, board in dashboards().items()
        for panel in board["panels"]
        for target in panel["targets"]
    ]


def families(expr: str) -> set[str]:
    """Names an expression reads, with and without a histogram sample suffix
    (litellm_member_count is a gauge, not a histogram's _count)."""
    names = set(_METRIC.findall(expr))
    return names | {_SAMPLE_SUFFIX.sub("", name) for name in names}


def may_be_empty(expr: str) -> bool:
    found = families(expr)
    return bool(found) and any(family in ALLOWED_EMPTY for family in found)


# -- static checks -------------------------------------------------------------


def test_committed_dashboards_are_what_the_generator_writes() -> None:
    written = load_generator().rendered()
    committed = {path.name: path.read_text() for path in DASHBOARD_DIR.glob("*.json")}
    assert committed == written, "run: python grafana/generate.py"


def test_panels_have_unique_ids_and_use_the_provisioned_datasource() -> None:
    provisioned = yaml.safe_load(DATASOURCES.read_text())["datasources"]
    (datasource,) = provisioned
    expected = {"type": datasource["type"], "uid": datasource["uid"]}
    boards = dashboards()
    assert len(boards) >= 6
    assert len({board["uid"] for board in boards.values()}) == len(boards)
    for name, board in boards.items():
        ids = [panel["id"] for panel in board["panels"]]
        assert len(ids) == len(set(ids)), name
        for panel in board["panels"]:
            assert panel["datasource"] == expected, (name, panel["title"])
            assert panel["targets"], (name, panel["title"])
            refs = [target["refId"] for target in panel["targets"]]
            assert len(refs) == len(set(refs)), (name, panel["title"])
            for target in panel["targets"]:
                assert target["datasource"] == expected, (name, panel["title"])


def test_documented_litellm_queries_are_on_a_dashboard() -> None:
    expressions = {expr for _, _, expr in targets()}
    assert set(DOCUMENTED_QUERIES) <= expressions


def test_database_gauges_are_all_on_a_dashboard() -> None:
    used = set().union(*(families(expr) for _, _, expr in targets()))
    # Refresh-health and entity counts that a dashboard does not need.
    not_shown = {"litellm_admin_count", "litellm_parallel_requests", "litellm_tpm_limit",
                 "litellm_rpm_limit", "litellm_available_models", "litellm_model_info",
                 "litellm_user_spend", "litellm_org_spend", "litellm_tag_spend",
                 "litellm_total_tokens", "litellm_max_budget", "litellm_soft_budget",
                 "litellm_cache_hits_total", "litellm_cache_misses_total"}  # fmt: skip
    missing = {spec.litellm_name for spec in DB_METRICS} - used - not_shown
    assert not missing


# -- every expression on real data ----------------------------------------------------


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = start_stack(tmp_path_factory.mktemp("dashboards"), WORKLOAD)
    yield stack
    stack.stop()


@pytest.mark.pipeline
@pytest.mark.proxy
@pytest.mark.slow
@pytest.mark.timeout(300)
def test_every_panel_query_parses_and_the_exercised_ones_return_data(stack: Stack) -> None:
    prometheus = stack.prometheus
    assert prometheus is not None
    queries = targets()
    errors = {}
    for name, title, expr in queries:
        try:
            prometheus.api("query", {"query": expr})
        except PrometheusQueryError as error:
            errors[(name, title, expr)] = str(error)
    assert not errors

    expect_data = [(name, title, expr) for name, title, expr in queries if not may_be_empty(expr)]
    empty: list[tuple[str, str, str]] = []
    deadline = time.monotonic() + 45
    while True:
        # rate() needs two scrapes of a series inside its window.
        empty = [query for query in expect_data if not prometheus.query(query[2])]
        if not empty or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert not empty, "no data for:\n" + "\n".join(map(str, empty))
    assert len(expect_data) >= 30  # the allow-list must not swallow the dashboards
