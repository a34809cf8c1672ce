"""Success-payload paths LiteLLM fills only on the proxy or with some providers."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.payloads import V3_KEY_HASH, success_kwargs
from tests.support.scrape import samples, value


def test_v3_limiter_headers_give_allowed_and_used(instrumented: Any) -> None:
    kwargs = success_kwargs(team="team-v3", key_hash=V3_KEY_HASH)
    kwargs["standard_logging_object"]["hidden_params"]["additional_headers"].update({
        "x-ratelimit-api_key-limit-requests": "100",
        "x-ratelimit-api_key-remaining-requests": "60",
        "x-ratelimit-team-limit-tokens": 5000,
        "x-ratelimit-team-remaining-tokens": 4200,
    })  # fmt: skip
    instrumented.callback.record_success(kwargs)
    found = samples(instrumented.metrics_url)
    key = {"hashed_api_key": V3_KEY_HASH, "rate_limit_type": "requests"}
    assert value(found, "litellm_api_key_rate_limit_allowed_metric", **key) == 100
    assert value(found, "litellm_api_key_rate_limit_used_metric", **key) == 40
    team = {"team": "team-v3", "rate_limit_type": "tokens"}
    assert value(found, "litellm_team_rate_limit_used_metric", **team) == 800


def test_cache_hit_mcp_zero_cost_and_queue_time(instrumented: Any) -> None:
    kwargs = success_kwargs(team="team-p", prompt=3, completion=4, cost=0.5)
    slp = kwargs["standard_logging_object"]
    slp["cache_hit"] = True
    slp["zero_cost_diagnostic"] = {"reason": "missing_pricing_key"}
    slp["metadata"]["mcp_tool_call_metadata"] = {"name": "search", "mcp_server_name": "docs"}
    kwargs["litellm_params"]["metadata"] = {
        "queue_time_seconds": 0.02,
        "litellm-key-remaining-requests-gpt-4o": 7,
    }
    instrumented.callback.record_success(kwargs)
    found = samples(instrumented.metrics_url)
    assert value(found, "litellm_cache_hits_metric_total", team="team-p") == 1
    assert value(found, "litellm_cached_tokens_metric_total", team="team-p") == 7
    assert value(found, "litellm_zero_cost_requests_total", reason="missing_pricing_key") == 1
    tool = {"mcp_tool_name": "search", "mcp_server_name": "docs"}
    assert value(found, "litellm_mcp_tool_calls_total", **tool) == 1
    assert value(found, "litellm_mcp_tool_call_spend_metric_total", **tool) == 0.5
    assert value(found, "litellm_request_queue_time_seconds_count", team="team-p") == 1
    # End-to-end latency includes the time spent queued before LiteLLM saw the request.
    total = value(found, "litellm_request_total_latency_metric_sum", team="team-p")
    assert total == pytest.approx(0.51 + 0.02)
    assert value(found, "litellm_remaining_api_key_requests_for_model", model="gpt-4o") == 7
