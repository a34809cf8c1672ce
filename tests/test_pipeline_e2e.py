"""The whole pipeline: real LiteLLM proxies -> OTLP -> real Collector -> real Prometheus.

Two proxy replicas (one with ``--num_workers 2``, one with 1) run
deploy/litellm-config.yaml with the otel_litellm callback line and OTLP
export.  Each uvicorn worker imports the callback after fork, so each worker
is its own OTel process (its own service.instance.id -> ``instance``);
nothing uses PROMETHEUS_MULTIPROC_DIR.  PromQL sums over all workers must
equal what the workload sent: no loss, no double count, also across a
Collector outage (cumulative temporality re-sends the totals).

Labels the workload can vary: without a database the proxy has no virtual
keys or teams, so every request carries the master key's identity
(hashed_api_key="litellm_proxy_master_key", user="default_user_id", no
team).  It varies the model, the replica/worker and ``end_user`` (the
request's ``user`` field; the config enables end-user labels).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.support.collector import wait_until
from tests.support.pipeline import (
    COLLECTOR_JOB,
    EXPORT_INTERVAL_MS,
    WORKLOAD,
    Ledger,
    Send,
    Stack,
    start_stack,
)

pytestmark = [pytest.mark.pipeline, pytest.mark.proxy, pytest.mark.slow, pytest.mark.timeout(300)]

# One round of traffic during the Collector outage test; sent ROUNDS times.
ROUND = (Send("gpt-mock", "dave", 3), Send("gpt-stream", "erin", 1, stream=True))
ROUNDS = 10
OUTAGE_ROUNDS = range(2, 7)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    started = time.monotonic()
    stack = start_stack(tmp_path_factory.mktemp("pipeline"), WORKLOAD)
    print(f"stack up and workload sent in {time.monotonic() - started:.1f}s")
    yield stack
    stack.stop()


def expected_sums(ledger: Ledger) -> dict[str, float]:
    successes = ledger.requests - ledger.failures
    return {
        "sum(litellm_proxy_total_requests_metric_total)": ledger.requests,
        "sum(litellm_proxy_failed_requests_metric_total)": ledger.failures,
        "sum(litellm_requests_metric_total)": successes,
        "sum(litellm_request_total_latency_metric_count)": successes,
        "sum(litellm_llm_api_time_to_first_token_metric_count)": ledger.streams,
        "sum(litellm_deployment_successful_fallbacks_total)": ledger.fallbacks,
        "sum(litellm_input_tokens_metric_total)": ledger.input_tokens,
        "sum(litellm_output_tokens_metric_total)": ledger.output_tokens,
        "sum(litellm_total_tokens_metric_total)": ledger.input_tokens + ledger.output_tokens,
        "sum(litellm_spend_metric_total)": ledger.spend,
        **{
            f'sum(litellm_proxy_total_requests_metric_total{{end_user="{user}"}})': count
            for user, count in ledger.by_end_user.items()
        },
    }


def actual_sums(stack: Stack, queries: dict[str, float]) -> dict[str, float | None]:
    assert stack.prometheus is not None
    return {query: stack.prometheus.query_value(query) for query in queries}


def assert_sums_settle_exactly(stack: Stack) -> dict[str, float | None]:
    """Wait until every sum equals the ledger, then check it stays there."""
    expected = expected_sums(stack.ledger)
    last: list[dict[str, float | None]] = [{}]

    def settled() -> bool:
        last[0] = actual_sums(stack, expected)
        return last[0] == expected

    try:
        wait_until(settled, timeout=30, interval=0.5, what="PromQL sums equal to what was sent")
    except TimeoutError:
        differing = {q: (v, expected[q]) for q, v in last[0].items() if v != expected[q]}
        raise AssertionError(f"(actual, expected): {differing}") from None
    # Several more exports and scrapes: a double count would show up now.
    time.sleep(3 * EXPORT_INTERVAL_MS / 1000)
    assert actual_sums(stack, expected) == expected
    return last[0]


def test_sums_over_workers_equal_what_was_sent(stack: Stack) -> None:
    sums = assert_sums_settle_exactly(stack)
    assert stack.ledger.spend > 0 and stack.ledger.failures > 0 and stack.ledger.streams > 0
    print("sent vs summed:", {q: v for q, v in sums.items()})


def test_every_worker_process_is_its_own_instance(stack: Stack) -> None:
    assert stack.prometheus is not None
    per_instance = stack.prometheus.query(
        "sum by (instance) (litellm_proxy_total_requests_metric_total)"
    )
    instances = {sample["metric"].get("instance") for sample in per_instance}
    # 2 uvicorn workers of replica 0 + replica 1, each instrumented after fork.
    assert len(instances) == stack.process_count and None not in instances
    assert stack.prometheus.query_value('count(target_info{job="litellm"})') == stack.process_count
    # Nothing is attributed to the Collector itself.
    assert not stack.prometheus.query(
        f'litellm_proxy_total_requests_metric_total{{job="{COLLECTOR_JOB}"}}'
    )


def test_collector_outage_loses_and_duplicates_nothing(stack: Stack) -> None:
    prometheus = stack.prometheus
    assert prometheus is not None
    statuses: list[int] = []
    saw_alert_pending = False
    started = time.monotonic()
    for index in range(ROUNDS):
        if index == OUTAGE_ROUNDS.start:
            stack.collector.stop()
            prometheus.wait_for_value(f'up{{job="{COLLECTOR_JOB}"}}', 0, timeout=15)
        if index == OUTAGE_ROUNDS.stop:
            saw_alert_pending = bool(
                prometheus.query(
                    'ALERTS{alertname="LiteLLMMetricsPipelineDown",alertstate="pending"}'
                )
            )
            stack.collector.start()
        statuses += stack.send(ROUND, concurrency=4)
        time.sleep(0.6)
    outage = time.monotonic() - started
    assert statuses == [200] * len(statuses), "the proxy must keep serving without the Collector"
    assert saw_alert_pending, "prometheus/alerts.yml should see the Collector down"
    assert_sums_settle_exactly(stack)
    print(f"outage test: {len(statuses)} requests over {outage:.1f}s, counts exact after restart")


def test_alert_rules_load_and_stay_quiet_on_a_healthy_pipeline(stack: Stack) -> None:
    assert stack.prometheus is not None
    groups = stack.prometheus.api("rules")["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    assert rules and all(rule["health"] == "ok" for rule in rules)
    # The workload keeps gpt-broken failing (state 1, not a cooled-down 2).
    firing = stack.prometheus.query('ALERTS{alertstate="firing"}')
    assert firing == []
