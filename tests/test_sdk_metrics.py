"""LiteLLM SDK traffic to the local mock upstream, read back through a real /metrics scrape."""

from __future__ import annotations

import asyncio
import hashlib
import time
from typing import Any

import litellm
import pytest

import otel_litellm
from otel_litellm.mock_upstream import MockUpstream
from tests.support.scrape import fetch, names, parse, samples, value

IDENTITY = {
    "user_api_key_hash": "sk-raw-secret-key-123",
    "user_api_key_alias": "ci-key",
    "user_api_key_team_id": "team-a",
    "user_api_key_team_alias": "Team A",
    "user_api_key_user_id": "user-1",
}
PROMPT = [{"role": "user", "content": "tell me a story please"}]  # 5 words -> 5 prompt tokens


def call(upstream: MockUpstream, model: str, **extra: Any) -> Any:
    return litellm.acompletion(
        model=f"openai/{model}",
        api_base=upstream.base_url,
        api_key="sk-upstream",
        messages=PROMPT,
        metadata=dict(IDENTITY),
        num_retries=0,
        max_retries=0,
        **extra,
    )


async def call_and_settle(upstream: MockUpstream, model: str) -> None:
    await call(upstream, model)
    await asyncio.sleep(0.3)  # LiteLLM logs from a task; asyncio.run would cancel it


async def traffic(upstream: MockUpstream) -> None:
    await call(upstream, "mock-ok")
    await call(upstream, "mock-ok")
    stream = await call(
        upstream, "mock-ok-chunkdelay-20", stream=True, stream_options={"include_usage": True}
    )
    async for _ in stream:
        pass
    with pytest.raises(litellm.InternalServerError):
        await call(upstream, "mock-error-500")
    await asyncio.sleep(0.5)  # success/failure callbacks run as tasks after the call


def wait_for(url: str, name: str, minimum: float, **labels: str) -> list[Any]:
    deadline = time.monotonic() + 10
    while True:
        found = samples(url)
        if value(found, name, **labels) >= minimum or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


@pytest.fixture
def scraped(instrumented: otel_litellm.Instrumentation, upstream: MockUpstream) -> list[Any]:
    asyncio.run(traffic(upstream))
    url = instrumented.metrics_url
    assert url is not None
    return wait_for(url, "litellm_llm_api_failed_requests_metric_total", 1)


def test_counts_requests_tokens_and_failures_exactly(scraped: list[Any]) -> None:
    team = {"team": "team-a", "team_alias": "Team A", "user": "user-1", "api_key_alias": "ci-key"}
    assert (
        value(scraped, "litellm_proxy_total_requests_metric_total", status_code="200", **team) == 3
    )
    assert value(scraped, "litellm_requests_metric_total", **team) == 3
    assert value(scraped, "litellm_deployment_success_responses_total", team="team-a") == 3
    assert (
        value(scraped, "litellm_llm_api_failed_requests_metric_total", model="mock-error-500") == 1
    )
    assert value(scraped, "litellm_deployment_failure_responses_total", exception_status="500") == 1
    # Usage is deterministic in the mock: 5 prompt words, 9 reply words.
    assert value(scraped, "litellm_input_tokens_metric_total", **team) == 15
    assert value(scraped, "litellm_output_tokens_metric_total", **team) == 27
    assert value(scraped, "litellm_total_tokens_metric_total", **team) == 42


def test_histograms_use_litellm_names_and_buckets(scraped: list[Any]) -> None:
    latency = [s for s in scraped if s.name == "litellm_request_total_latency_metric_bucket"]
    bounds = {s.labels["le"] for s in latency}
    assert {"0.005", "1.0", "600.0", "+Inf"} <= bounds
    assert len(bounds) == 18
    assert value(scraped, "litellm_request_total_latency_metric_count") == 3
    # Time to first token exists for the stream only.
    assert value(scraped, "litellm_llm_api_time_to_first_token_metric_count") == 1
    ttft = value(scraped, "litellm_llm_api_time_to_first_token_metric_sum")
    total = value(scraped, "litellm_llm_api_latency_metric_sum", model="mock-ok-chunkdelay-20")
    assert 0 < ttft < total


def test_exposition_has_no_otel_scope_labels_target_info_or_unit_suffixes(
    scraped: list[Any],
) -> None:
    assert "target_info" not in names(scraped)
    assert not any(label.startswith("otel_scope") for s in scraped for label in s.labels)
    assert not any(
        s.name.endswith(("_seconds_bucket", "_USD_total"))
        for s in scraped
        if s.name.startswith("litellm_request")
    )
    assert all(s.name.startswith(("litellm_", "otel_litellm_")) for s in scraped)


def test_raw_api_key_is_hashed_never_exposed(
    instrumented: otel_litellm.Instrumentation, scraped: list[Any]
) -> None:
    assert instrumented.metrics_url is not None
    body = fetch(instrumented.metrics_url)
    assert "sk-raw-secret-key-123" not in body
    assert "tell me a story" not in body and "quick brown fox" not in body
    expected = hashlib.sha256(b"sk-raw-secret-key-123").hexdigest()
    assert value(scraped, "litellm_spend_metric_total", hashed_api_key=expected) >= 0
    assert any(s.labels.get("hashed_api_key") == expected for s in scraped)


def test_deployment_state_and_provider_rate_limit_gauges(scraped: list[Any]) -> None:
    healthy = value(scraped, "litellm_deployment_state", litellm_model_name="mock-ok")
    broken = value(scraped, "litellm_deployment_state", litellm_model_name="mock-error-500")
    assert healthy == 0
    # The SDK call has no router deployment id, so no failure state is set for it.
    assert broken == 0
    remaining = [s for s in scraped if s.name == "litellm_remaining_requests_metric"]
    assert remaining and all(0 < s.value < 10_000 for s in remaining)


def test_sync_completion_is_recorded_once(
    instrumented: otel_litellm.Instrumentation, upstream: MockUpstream
) -> None:
    litellm.completion(
        model="openai/mock-sync",
        api_base=upstream.base_url,
        api_key="sk-upstream",
        messages=PROMPT,
        metadata=dict(IDENTITY),
    )
    assert instrumented.metrics_url is not None
    found = wait_for(
        instrumented.metrics_url, "litellm_requests_metric_total", 1, model="mock-sync"
    )
    time.sleep(0.5)
    found = samples(instrumented.metrics_url)
    assert value(found, "litellm_requests_metric_total", model="mock-sync") == 1


def test_instrument_twice_returns_the_running_setup_and_uninstrument_removes_callbacks(
    upstream: MockUpstream,
) -> None:
    otel_litellm.uninstrument()
    first = otel_litellm.instrument(prometheus_port=0)
    try:
        assert otel_litellm.instrument(prometheus_port=0) is first
        assert litellm.callbacks.count(first.callback) == 1
    finally:
        otel_litellm.uninstrument()
    for registry in (
        litellm.callbacks,
        litellm.success_callback,
        litellm.failure_callback,
        litellm._async_success_callback,
        litellm._async_failure_callback,
    ):
        assert first.callback not in registry
    from litellm.router_utils import cooldown_handlers

    assert cooldown_handlers.router_cooldown_event_callback.__module__.startswith("litellm")


def test_endpoint_negotiates_openmetrics(
    instrumented: otel_litellm.Instrumentation, upstream: MockUpstream
) -> None:
    asyncio.run(call_and_settle(upstream, "mock-ok"))
    assert instrumented.metrics_url is not None
    wait_for(instrumented.metrics_url, "litellm_requests_metric_total", 1)
    text = fetch(
        instrumented.metrics_url, {"Accept": "application/openmetrics-text; version=1.0.0"}
    )
    assert text.rstrip().endswith("# EOF")
    assert parse(fetch(instrumented.metrics_url))
