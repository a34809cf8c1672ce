"""A LiteLLM Router against the mock upstream: cooldowns, limits, budgets, token details."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import litellm
import pytest
from litellm import Router
from litellm.types.router import AllowedFailsPolicy

import otel_litellm
from otel_litellm.mock_upstream import MockUpstream
from tests.support.scrape import samples, value

ROUTER_KEY_HASH = "b" * 64  # a LiteLLM key hash, passed through
IDENTITY = {
    "user_api_key_hash": ROUTER_KEY_HASH,
    "user_api_key_alias": "router-key",
    "user_api_key_team_id": "team-r",
    "user_api_key_team_alias": "Router Team",
    "user_api_key_user_id": "user-r",
    "user_api_key_spend": 4.0,
    "user_api_key_max_budget": 10.0,
    "user_api_key_team_spend": 1.0,
    "user_api_key_team_max_budget": 50.0,
}


@pytest.fixture(scope="module")
def scraped(upstream: MockUpstream) -> Iterator[list[Any]]:
    otel_litellm.uninstrument()
    handle = otel_litellm.instrument(prometheus_port=0)

    def deployment(group: str, model: str, **extra: Any) -> dict[str, Any]:
        params = {"model": f"openai/{model}", "api_base": upstream.base_url, "api_key": "sk-up"}
        return {"model_name": group, "litellm_params": {**params, **extra}}

    router = Router(
        model_list=[
            deployment("g-ok", "mock-ok-cached-reasoning", tpm=1000, rpm=60),
            deployment("g-down", "mock-error-500"),
        ],
        num_retries=0,
        # LiteLLM 1.110 no longer cools down a lone deployment on a router-wide
        # allowed_fails; a policy naming the error does it on every version.
        allowed_fails_policy=AllowedFailsPolicy(InternalServerErrorAllowedFails=0),
        cooldown_time=30,
    )
    messages = [{"role": "user", "content": "one two three four"}]

    async def traffic() -> None:
        for _ in range(2):
            await router.acompletion("g-ok", messages, metadata=dict(IDENTITY))
        with pytest.raises(litellm.InternalServerError):
            await router.acompletion("g-down", messages, metadata=dict(IDENTITY))
        with pytest.raises(Exception, match="cooldown"):  # the deployment is now cooled down
            await router.acompletion("g-down", messages, metadata=dict(IDENTITY))
        await asyncio.sleep(1.0)

    try:
        asyncio.run(traffic())
        yield samples(handle.metrics_url)
    finally:
        otel_litellm.uninstrument()


def test_provider_token_details(scraped: list[Any]) -> None:
    # "cached": half the prompt from the provider cache; "reasoning": 2 reasoning tokens.
    assert value(scraped, "litellm_input_cached_tokens_metric_total", team="team-r") >= 2
    assert value(scraped, "litellm_output_reasoning_tokens_metric_total", team="team-r") >= 2


def test_deployment_limits_state_and_cooldown(scraped: list[Any]) -> None:
    assert value(scraped, "litellm_deployment_tpm_limit", model_group="g-ok") == 1000
    assert value(scraped, "litellm_deployment_rpm_limit", model_group="g-ok") == 60
    # LiteLLM labels cooldowns with the deployment's group name.
    assert value(scraped, "litellm_deployment_cooled_down_total", litellm_model_name="g-down") >= 1
    assert value(scraped, "litellm_deployment_state", litellm_model_name="g-down") == 2


def test_budgets_from_request_metadata(scraped: list[Any]) -> None:
    key = {"hashed_api_key": ROUTER_KEY_HASH, "api_key_alias": "router-key"}
    assert value(scraped, "litellm_api_key_max_budget_metric", **key) == 10
    remaining = value(scraped, "litellm_remaining_api_key_budget_metric", **key)
    assert 0 < remaining <= 6
    assert value(scraped, "litellm_team_max_budget_metric", team="team-r") == 50
