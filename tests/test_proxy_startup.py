"""The proxy's start-up with otel_litellm: never stopped by us, config order irrelevant."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.proxy import free_port, post, proxy_config, started_proxy
from tests.support.scrape import fetch, parse, value

pytestmark = [pytest.mark.proxy, pytest.mark.slow]


def test_a_fixed_metrics_port_with_two_workers_never_stops_the_proxy(tmp_path: Path) -> None:
    """Only one worker can bind OTEL_LITELLM_PROMETHEUS_PORT; the other still starts and serves."""
    port = free_port()
    env = {"OTEL_LITELLM_PROMETHEUS_PORT": str(port)}
    with started_proxy(tmp_path, env, num_workers=2) as proxy:
        statuses = [post(proxy.base, {"model": "gpt-mock", "messages": _HELLO}) for _ in range(6)]
        assert statuses == [200] * 6
        assert len(proxy.workers()) == 2
        log = proxy.log.read_text()
        assert "Application startup failed" not in log
        assert "serves no /metrics" in log
        scraped = parse(fetch(f"http://127.0.0.1:{port}/metrics"))
        assert value(scraped, "litellm_proxy_total_requests_metric_total") >= 1


def _labels_after_callbacks(api_base: str) -> str:
    """README's order: ``callbacks`` first, LiteLLM's custom label settings after it."""
    return proxy_config(api_base) + (
        '  custom_prometheus_metadata_labels: ["metadata.tenant"]\n'
        '  custom_prometheus_tags: ["env:prod"]\n'
    )


def test_custom_labels_after_the_callbacks_line_are_honoured(tmp_path: Path) -> None:
    with started_proxy(tmp_path, config=_labels_after_callbacks) as proxy:
        body = {
            "model": "gpt-mock",
            "messages": _HELLO,
            "metadata": {"tenant": "acme", "tags": ["env:prod"]},
        }
        assert post(proxy.base, body) == 200
        scraped = parse(fetch(proxy.base + "/metrics"))
    requests = value(
        scraped,
        "litellm_proxy_total_requests_metric_total",
        metadata_tenant="acme",
        tag_env_prod="true",
    )
    assert requests == 1


_HELLO = [{"role": "user", "content": "hello"}]
