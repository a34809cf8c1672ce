"""The real proxy with database-shaped identities: parity with LiteLLM and its dashboards.

Two proxies run the same workload, one with LiteLLM's ``callbacks: ["prometheus"]`` and one
with otel_litellm's callback line.  ``general_settings.custom_auth``
(tests/support/identity_auth.py) returns the ``UserAPIKeyAuth`` objects LiteLLM's
database auth builds: virtual keys of two teams, an organization, customers, budgets,
spend, rpm/tpm and per-model limits, reset times.  Traffic: successes, a stream, an
upstream error, a fallback, an unknown model and a bad key (both rejected before routing),
and a burst that admission control partly rejects.

* Parity: every family both expositions hold has the same label names and, for counts and
  gauges, the same values (``KNOWN_DIFFERENCES`` aside, see docs/compatibility.md).
* Dashboards: every PromQL expression LiteLLM's published dashboards need
  (``dashboard_expressions``, written here from the families and labels those dashboards
  query) that returns data with LiteLLM's integration returns data with ours, each
  evaluated in a real Prometheus scraping one of the proxies.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from otel_litellm.mock_upstream import MockUpstream
from otel_litellm.service_spec import SERVICE_METRICS, SERVICES
from otel_litellm.spec import METRICS, Kind
from tests.support import proxy
from tests.support.identity_auth import ALPHA_KEY, BETA_KEY
from tests.support.prometheus import Prometheus
from tests.support.proxy import running_proxy
from tests.support.scrape import fetch

pytestmark = [pytest.mark.proxy, pytest.mark.slow]

MODES = {"litellm": '["prometheus"]', "ours": '["otel_litellm.proxy.callback"]'}
BAD_KEY = "sk-not-a-key-000000000000000"

# Gauges whose value is "now minus something": compared for presence only.
TIME_DEPENDENT = ("_budget_remaining_hours_metric", "_last_run_timestamp")
# Reasoned differences (docs/compatibility.md); each must still differ, or go.
_NO_PLACEHOLDER = (
    "LiteLLM writes sys.maxsize for every key and model, even where its limiter reported "
    "the remaining value; ours writes the real remaining value and nothing without a limit"
)
KNOWN_DIFFERENCES: dict[str, str] = {
    "litellm_remaining_api_key_requests_for_model": _NO_PLACEHOLDER,
    "litellm_remaining_api_key_tokens_for_model": _NO_PLACEHOLDER,
}


def config_for(callbacks: str, api_base: str) -> Callable[[str], str]:
    def config(_unused: str) -> str:
        def model(name: str, upstream: str, extra: str = "") -> str:
            return (
                f"  - model_name: {name}\n    litellm_params: {{model: openai/{upstream}, "
                f'api_base: "{api_base}", api_key: sk-up{extra}}}\n'
            )

        return (
            "model_list:\n"
            + model("gpt-mock", "mock-ok", ", rpm: 600, tpm: 600000")
            + model("gpt-stream", "mock-ok-chunkdelay-5")
            + model("gpt-broken", "mock-error-500")
            + model("gpt-primary", "mock-error-503")
            + model("gpt-slow", "mock-ok-slow-1500")
            + f"""litellm_settings:
  callbacks: {callbacks}
  service_callback: ["prometheus_system"]
  require_auth_for_metrics_endpoint: false
  num_retries: 0
  fallbacks: [{{"gpt-primary": ["gpt-mock"]}}]
general_settings:
  custom_auth: tests.support.identity_auth.user_api_key_auth
  max_in_flight_requests_per_worker: 1
  max_queued_requests_per_worker: 0
"""
        )

    return config


def post(base: str, key: str, model: str, **body: object) -> int:
    messages = [{"role": "user", "content": "hi there"}]
    return proxy.post(base, {"model": model, "messages": messages, **body}, key=key)


def workload(base: str) -> list[int]:
    statuses = [post(base, ALPHA_KEY, "gpt-mock", user="cust-1") for _ in range(3)]
    statuses.append(post(base, ALPHA_KEY, "gpt-stream", user="cust-1", stream=True))
    statuses.append(post(base, ALPHA_KEY, "gpt-broken", user="cust-1"))
    statuses.append(post(base, ALPHA_KEY, "gpt-primary", user="cust-1"))
    statuses += [post(base, BETA_KEY, "gpt-mock", user="cust-2") for _ in range(2)]
    statuses.append(post(base, ALPHA_KEY, "no-such-model", user="cust-1"))
    statuses.append(post(base, BAD_KEY, "gpt-mock"))
    # One in flight per worker, none queued: two of three concurrent calls are refused.
    with ThreadPoolExecutor(3) as pool:
        burst = sorted(pool.map(lambda _: post(base, BETA_KEY, "gpt-slow"), range(3)))
    return statuses + burst


Key = tuple[str, frozenset[tuple[str, str]]]


@dataclass(frozen=True)
class Exposition:
    values: dict[Key, float]
    family_of: dict[str, tuple[str, str]]  # sample -> (family, type)

    def families(self) -> dict[str, str]:
        return dict(self.family_of.values())


def parse(text: str) -> Exposition:
    values: dict[Key, float] = {}
    family_of: dict[str, tuple[str, str]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if not sample.name.startswith("litellm_") or sample.name.endswith("_created"):
                continue
            # LiteLLM writes unknown labels as "None"; otel_litellm omits them.
            labels = {k: v for k, v in sample.labels.items() if v not in ("None", "")}
            values[(sample.name, frozenset(labels.items()))] = sample.value
            family_of[sample.name] = (family.name, family.type)
    return Exposition(values, family_of)


@dataclass
class Run:
    base: str
    statuses: list[int]
    exposition: Exposition
    prometheus: Prometheus | None = None


def _settled(base: str) -> str:
    """The scrape once LiteLLM's asynchronous logging has caught up (counters stop moving)."""
    deadline, last = time.monotonic() + 30, ""
    while True:
        time.sleep(1.5)
        text = fetch(base + "/metrics")
        counters = sorted(line for line in text.splitlines() if "_total{" in line)
        if (counters and counters == last) or time.monotonic() > deadline:
            return text
        last = counters  # type: ignore[assignment]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Run]]:
    with contextlib.ExitStack() as stack:
        # One upstream for both, so deployments (model_id hashes api_base) are the same.
        upstream = stack.enter_context(MockUpstream())
        bases = {}
        threads = []

        def start(mode: str) -> None:
            workdir = tmp_path_factory.mktemp(mode)
            config = config_for(MODES[mode], upstream.base_url)
            bases[mode] = stack.enter_context(running_proxy(workdir, config_for=config))

        for mode in MODES:  # both proxies import at once; traffic runs one after the other
            threads.append(threading.Thread(target=start, args=(mode,)))
            threads[-1].start()
        for thread in threads:
            thread.join()
        assert set(bases) == set(MODES), "a proxy did not start"
        found = {}
        for mode, base in bases.items():
            upstream.reset_stats()  # the same rate-limit headers for both
            statuses = workload(base)
            text = _settled(base)
            Path(tmp_path_factory.getbasetemp(), f"{mode}.metrics").write_text(text)
            found[mode] = Run(base, statuses, parse(text))
        for mode, run in found.items():
            workdir = tmp_path_factory.mktemp(f"prometheus-{mode}")
            run.prometheus = stack.enter_context(
                Prometheus(workdir, [run.base.removeprefix("http://")], job_name=mode)
            )
        yield found


def test_both_runs_saw_the_same_traffic(runs: dict[str, Run]) -> None:
    assert runs["litellm"].statuses == runs["ours"].statuses
    assert runs["ours"].statuses.count(200) == 8
    assert {400, 401, 500} <= set(runs["ours"].statuses)
    assert runs["ours"].statuses[-3:] == [200, 503, 503]


def compared(name: str, kind: str, labels: frozenset[tuple[str, str]]) -> bool:
    if kind == "histogram":
        return name.endswith("_count") or dict(labels).get("le") == "+Inf"
    return not (kind == "gauge" and name.endswith(TIME_DEPENDENT))


def differences(theirs: Exposition, ours: Exposition) -> tuple[dict[str, list[str]], set[str]]:
    """Per family both hold, what differs; and those families."""
    both = set(theirs.families()) & set(ours.families())
    found: dict[str, list[str]] = {}

    def label_names(exp: Exposition, family: str) -> set[frozenset[str]]:
        return {
            frozenset(k for k, _ in labels) - {"le"}
            for name, labels in exp.values
            if exp.family_of[name][0] == family
        }

    for family in sorted(both):
        if label_names(theirs, family) != label_names(ours, family):
            found.setdefault(family, []).append(
                f"labels: LiteLLM {sorted(map(sorted, label_names(theirs, family)))}, "
                f"ours {sorted(map(sorted, label_names(ours, family)))}"
            )
    for (name, labels), value in sorted(theirs.values.items(), key=str):
        family, kind = theirs.family_of[name]
        if family not in both or not compared(name, kind, labels):
            continue
        mine = ours.values.get((name, labels))
        if mine is None or not math.isclose(value, mine, rel_tol=1e-9, abs_tol=1e-9):
            found.setdefault(family, []).append(
                f"{name}{dict(labels)}: LiteLLM {value}, ours {mine}"
            )
    for (name, labels), value in sorted(ours.values.items(), key=str):
        family, kind = ours.family_of[name]
        if family in both and compared(name, kind, labels) and (name, labels) not in theirs.values:
            found.setdefault(family, []).append(f"{name}{dict(labels)}: only ours, {value}")
    return found, both


def test_every_family_both_expose_matches_litellms(runs: dict[str, Run]) -> None:
    found, both = differences(runs["litellm"].exposition, runs["ours"].exposition)
    unexpected = {f: lines for f, lines in found.items() if f not in KNOWN_DIFFERENCES}
    print(f"\n{len(both)} families in both, {len(both) - len(found)} equal")
    assert not unexpected, "\n".join(line for lines in unexpected.values() for line in lines)
    assert not set(KNOWN_DIFFERENCES) - set(found), "no longer differs: drop it"
    assert len(both) >= 30


REQUEST_COUNTS = (
    "litellm_proxy_total_requests_metric_total",
    "litellm_proxy_failed_requests_metric_total",
    "litellm_llm_api_failed_requests_metric_total",
    "litellm_deployment_total_requests_total",
    "litellm_deployment_failure_responses_total",
)


def test_requests_rejected_before_routing_count_once(runs: dict[str, Run]) -> None:
    """The unknown model (400) and the bad key (401): counted as often as LiteLLM does."""

    def rejected(mode: str, name: str) -> float:
        found = 0.0
        for (sample, labels), value in runs[mode].exposition.values.items():
            values = dict(labels)
            if sample == name and (
                {values.get("exception_status"), values.get("status_code")} & {"400", "401"}
                or "no-such-model" in values.values()
            ):
                found += value
        return found

    assert rejected("litellm", "litellm_proxy_failed_requests_metric_total") == 2
    for name in REQUEST_COUNTS:
        assert rejected("ours", name) == rejected("litellm", name), name


def test_the_proxys_other_families_reach_our_scrape(runs: dict[str, Run]) -> None:
    """Families LiteLLM registers outside its logger, with LiteLLM's values."""
    theirs, ours = runs["litellm"].exposition.values, runs["ours"].exposition.values
    for key in (
        ("litellm_in_flight_requests", frozenset()),
        ("litellm_admission_admitted_requests", frozenset()),
        ("litellm_admission_queued_requests", frozenset()),
        ("litellm_admission_rejected_requests_total", frozenset({("reason", "queue_full")})),
    ):
        assert key in theirs and ours.get(key) == theirs[key], key
    assert (
        ours[("litellm_admission_rejected_requests_total", frozenset({("reason", "queue_full")}))]
        == 2
    )


# -- LiteLLM's published dashboards ---------------------------------------------------------

_RATE = "[2m]"
# Literal queries of dashboard_v2 and dashboard_1.
_PANELS = (
    f"sum(rate(litellm_proxy_total_requests_metric_total{_RATE}))",
    f"sum(rate(litellm_proxy_failed_requests_metric_total{_RATE})) by (exception_class)",
    f"sum(rate(litellm_request_total_latency_metric_sum{_RATE}))"
    f"/sum(rate(litellm_request_total_latency_metric_count{_RATE}))",
    "histogram_quantile(0.5, "
    f"sum(rate(litellm_request_total_latency_metric_bucket{_RATE})) by (le))",
    "topk(5, sort(litellm_remaining_requests))",
    "topk(5, sort(litellm_remaining_tokens))",
    f"sum(rate(litellm_proxy_total_requests_metric_total{_RATE})) by (api_key_alias)",
    f"sum(rate(litellm_proxy_total_requests_metric_total{_RATE})) by (team_alias)",
    "histogram_quantile(0.99, "
    f'sum(rate(litellm_self_latency_bucket{{self="self"}}{_RATE})) by (le))',
    "sum(increase(litellm_spend_metric_total[30d])) by (hashed_api_key)",
    "sum by (model) (increase(litellm_requests_metric_total[5m]))",
    "sum(increase(litellm_llm_api_failed_requests_metric_total[1h]))",
    "sum(increase(litellm_spend_metric_total[30d])) by (model)",
    "sum(increase(litellm_total_tokens_total[5m])) by (model)",
    "time() - (litellm_check_batch_cost_last_run_timestamp > 0)",
)
# dashboard_all_metrics groups each family by these labels (default: by model for
# per-request counters, nothing for the rest).
_GROUP_BY: dict[str, str] = {
    "litellm_proxy_total_requests_metric": "status_code",
    "litellm_proxy_failed_requests_metric": "exception_class",
    "litellm_deployment_state": "litellm_model_name, api_base",
    "litellm_deployment_rpm_limit": "litellm_model_name, api_base",
    "litellm_deployment_tpm_limit": "litellm_model_name, api_base",
    "litellm_deployment_total_requests": "requested_model",
    "litellm_deployment_success_responses": "requested_model",
    "litellm_deployment_failure_responses": "litellm_model_name, exception_class",
    "litellm_deployment_cooled_down": "litellm_model_name, exception_status",
    "litellm_deployment_successful_fallbacks": "requested_model, fallback_model",
    "litellm_deployment_failed_fallbacks": "requested_model, fallback_model",
    "litellm_remaining_requests_metric": "model_group, api_provider",
    "litellm_remaining_tokens_metric": "model_group, api_provider",
    "litellm_remaining_api_key_requests_for_model": "api_key_alias, model",
    "litellm_remaining_api_key_tokens_for_model": "api_key_alias, model",
    "litellm_api_key_rate_limit_allowed_metric": "api_key_alias, rate_limit_type",
    "litellm_api_key_rate_limit_used_metric": "api_key_alias, rate_limit_type",
    "litellm_team_rate_limit_allowed_metric": "team_alias, rate_limit_type",
    "litellm_team_rate_limit_used_metric": "team_alias, rate_limit_type",
    "litellm_provider_remaining_budget_metric": "api_provider",
    "litellm_guardrail_requests": "guardrail_name, status",
    "litellm_guardrail_errors": "guardrail_name, error_type",
    "litellm_mcp_tool_calls": "mcp_server_name, mcp_tool_name",
    "litellm_mcp_tool_call_spend_metric": "mcp_server_name, mcp_tool_name",
    "litellm_managed_file_deleted": "result",
    "litellm_managed_file_size_bytes": "purpose, model",
    "litellm_check_batch_cost_jobs_processed": "model, api_provider",
    "litellm_check_batch_cost_errors": "error_type",
    "litellm_callback_logging_failures_metric": "callback_name",
    "litellm_zero_cost_requests": "requested_model, reason",
    "litellm_redis_circuit_breaker_state": "state",
    "litellm_redis_circuit_breaker_transitions": "state",
    "litellm_redis_circuit_breaker_failures": "failure_class",
    "litellm_spend_log_cleanup_runs": "outcome",
    "litellm_spend_log_cleanup_rows_deleted": "table",
    "litellm_spend_log_cleanup_batch_failures": "table",
    "litellm_spend_log_cleanup_rows_remaining": "table",
    "litellm_admission_rejected_requests": "reason",
}
_BUDGETS = {"team": "team_alias", "api_key": "api_key_alias", "key": "api_key_alias",
            "user": "user", "org": "org_alias", "customer": "end_user"}  # fmt: skip
_BY_MODEL = ("_tokens_metric", "_spend_metric", "requests_metric", "cache_", "images_", "video_",
             "llm_api_failed", "managed_batch_created", "managed_file_created")  # fmt: skip
_NOT_CHARTED = ("litellm_project_model_rate_limit", "litellm_spend_capture_rate")
# Families registered outside PrometheusLogger that the dashboard charts (kind, name).
_OTHER_FAMILIES = (
    (Kind.GAUGE, "litellm_in_flight_requests"),
    (Kind.GAUGE, "litellm_admission_admitted_requests"),
    (Kind.GAUGE, "litellm_admission_queued_requests"),
    (Kind.COUNTER, "litellm_admission_rejected_requests"),
    (Kind.COUNTER, "litellm_spend_log_cleanup_runs"),
    (Kind.COUNTER, "litellm_spend_log_cleanup_rows_deleted"),
    (Kind.COUNTER, "litellm_spend_log_cleanup_batch_failures"),
    (Kind.GAUGE, "litellm_spend_log_cleanup_rows_remaining"),
    (Kind.HISTOGRAM, "litellm_spend_log_cleanup_batch_duration_seconds"),
)
_CHARTED_SERVICES = ("auth", "batch_write_to_db", "postgres", "proxy_pre_call", "redis",
                     "redis_daily_org_spend_update_queue", "redis_daily_tag_spend_update_queue",
                     "redis_daily_team_spend_update_queue", "redis_window_spend_update_queue",
                     "reset_budget_job", "router", "self")  # fmt: skip


def _group(family: str) -> str:
    if family in _GROUP_BY:
        return _GROUP_BY[family]
    for entity, label in _BUDGETS.items():
        if family.startswith(f"litellm_{entity}_") or family.startswith(
            f"litellm_remaining_{entity}_"
        ):
            return label
    if family == "litellm_team_members_metric":
        return "team_alias"
    return "model" if any(part in family for part in _BY_MODEL) else ""


def _expressions_for(kind: Kind, family: str) -> list[str]:
    by = _group(family)
    if kind is Kind.COUNTER:
        if (
            family.endswith("_failed_requests")
            and family.removeprefix("litellm_").removesuffix("_failed_requests") in SERVICES
        ):
            by = "error_class"
        return [f"sum(rate({family}_total{_RATE})) by ({by})"]
    if kind is Kind.HISTOGRAM:
        return [
            f"histogram_quantile({q}, sum(rate({family}_bucket{_RATE})) by (le))"
            for q in ("0.5", "0.95", "0.99")
        ]
    if family.endswith("_size"):
        return [f"max({family})"]
    return [f"max by ({by}) ({family})" if by else family]


def dashboard_expressions() -> list[str]:
    """PromQL of LiteLLM's published dashboards: their literal panels, and one query per
    family in the patterns of "LiteLLM All Prometheus Metrics"."""
    charted = [(spec.kind, spec.litellm_name) for spec in METRICS]
    charted += [
        (spec.kind, spec.litellm_name)
        for spec in SERVICE_METRICS
        if any(spec.litellm_name.startswith(f"litellm_{s}_") for s in _CHARTED_SERVICES)
        or spec.group == "redis_circuit_breaker"
    ]
    charted += list(_OTHER_FAMILIES)
    found = list(_PANELS)
    for kind, family in charted:
        if family.startswith(_NOT_CHARTED):
            continue
        found.extend(e for e in _expressions_for(kind, family) if e not in found)
    return found


def _with_data(prometheus: Prometheus, expressions: list[str]) -> set[str]:
    return {expr for expr in expressions if prometheus.query(expr)}


def test_published_dashboard_expressions_have_data_with_ours(runs: dict[str, Run]) -> None:
    expressions = dashboard_expressions()
    servers = {mode: run.prometheus for mode, run in runs.items()}
    for server in servers.values():
        assert server is not None
        # rate() needs two scrapes inside its window.
        server.wait_for("count_over_time(up[2m]) >= 3", bool, timeout=30)
    theirs = _with_data(servers["litellm"], expressions)  # type: ignore[arg-type]
    ours = _with_data(servers["ours"], expressions)  # type: ignore[arg-type]
    print(
        f"\n{len(expressions)} expressions; with data: LiteLLM {len(theirs)}, ours {len(ours)}, "
        f"ours of LiteLLM's {len(theirs & ours)}"
    )
    assert len(theirs) >= 40  # the workload exercises the dashboards
    missing = sorted(theirs - ours)
    assert not missing, "no data with otel_litellm:\n" + "\n".join(missing)
