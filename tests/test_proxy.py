"""The real LiteLLM proxy, started with our one callback line, scraped on its own /metrics."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.support.proxy import MASTER_KEY, post, running_proxy
from tests.support.scrape import fetch, parse, value

pytestmark = [pytest.mark.proxy, pytest.mark.slow]


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_proxy(tmp_path_factory.mktemp("proxy")) as base:
        yield base


def test_proxy_serves_litellm_metrics_for_its_traffic(proxy: str) -> None:
    messages = [{"role": "user", "content": "hello proxy"}]
    statuses = [post(proxy, {"model": "gpt-mock", "messages": messages}) for _ in range(3)]
    statuses.append(post(proxy, {"model": "gpt-stream", "messages": messages, "stream": True}))
    statuses.append(post(proxy, {"model": "gpt-broken", "messages": messages}))
    statuses.append(post(proxy, {"model": "no-such-model", "messages": messages}))
    assert statuses[:4] == [200, 200, 200, 200]
    assert statuses[4] >= 500 and statuses[5] == 400

    deadline = time.monotonic() + 15
    while True:
        found = parse(fetch(proxy + "/metrics"))
        done = value(found, "litellm_proxy_total_requests_metric_total") >= 6
        if done or time.monotonic() > deadline:
            break
        time.sleep(0.3)

    ok = {"requested_model": "gpt-mock", "status_code": "200"}
    assert value(found, "litellm_proxy_total_requests_metric_total", **ok) == 3
    assert (
        value(found, "litellm_proxy_total_requests_metric_total", requested_model="gpt-stream") == 1
    )
    assert (
        value(found, "litellm_proxy_failed_requests_metric_total", requested_model="gpt-broken")
        == 1
    )
    # An unknown model name from a client is bounded to "other", never a new series per name.
    assert value(found, "litellm_proxy_failed_requests_metric_total", requested_model="other") == 1
    assert value(found, "litellm_proxy_failed_requests_metric_total", exception_status="400") == 1
    assert (
        value(found, "litellm_llm_api_time_to_first_token_metric_count", model_group="gpt-stream")
        == 1
    )
    assert value(found, "litellm_input_tokens_metric_total", requested_model="gpt-mock") == 6
    assert value(found, "litellm_deployment_state", litellm_model_name="mock-ok") == 0
    assert value(found, "litellm_deployment_state", litellm_model_name="mock-error-500") == 1
    body = fetch(proxy + "/metrics")
    assert MASTER_KEY not in body and "hello proxy" not in body
    assert "otel_scope_name" not in body and "target_info" not in body


def test_proxy_metrics_selects_by_name_and_serves_fifty_parallel_scrapes(proxy: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    messages = [{"role": "user", "content": "hello again"}]
    assert post(proxy, {"model": "gpt-mock", "messages": messages}) == 200
    family = "litellm_proxy_total_requests_metric_total"
    deadline = time.monotonic() + 15
    while (
        not (chosen := parse(fetch(f"{proxy}/metrics?name[]={family}")))
        and time.monotonic() < deadline
    ):
        time.sleep(0.3)
    assert chosen and {s.name for s in chosen} == {family}
    with ThreadPoolExecutor(max_workers=50) as pool:
        bodies = list(pool.map(lambda _: fetch(proxy + "/metrics"), range(50)))
    totals = {value(parse(body), family) for body in bodies}
    assert len(bodies) == 50 and len(totals) == 1 and totals.pop() >= 1
