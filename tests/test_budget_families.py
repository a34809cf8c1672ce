"""Budget, limit and count families filled as LiteLLM fills them (issue 11), on the unit layer."""

from __future__ import annotations

import asyncio
import sys
import types
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from otel_litellm import attributes as attr
from tests.support.memory import recording
from tests.support.payloads import success_kwargs


def in_hours(hours: float) -> str:
    return (datetime.now(timezone.utc) + timedelta(hours=hours)).isoformat()


@pytest.fixture
def proxy_server() -> Iterator[types.ModuleType]:
    """A stand-in for LiteLLM's proxy_server module, as a running proxy has it."""
    module = types.ModuleType("litellm.proxy.proxy_server")
    previous = sys.modules.get(module.__name__)
    sys.modules[module.__name__] = module
    yield module
    if previous is None:
        del sys.modules[module.__name__]
    else:
        sys.modules[module.__name__] = previous


def test_team_user_org_and_key_budgets_from_auth_metadata() -> None:
    rec = recording()
    kwargs = success_kwargs(cost=1.0)
    slp_meta = kwargs["standard_logging_object"]["metadata"]
    slp_meta.update({"user_api_key_org_id": "org-1", "user_api_key_org_alias": "Org One"})
    kwargs["litellm_params"]["metadata"] = {
        "user_api_key_team_spend": 10.0,
        "user_api_key_team_max_budget": 100.0,
        "user_api_key_team_budget_reset_at": in_hours(5),
        "user_api_key_user_spend": 2.0,
        "user_api_key_user_table_max_budget": 20.0,
        "user_api_key_user_budget_reset_at": in_hours(24),
        "user_api_key_org_spend": 30.0,
        "user_api_key_org_max_budget": 300.0,
        "user_api_key_org_budget_reset_at": in_hours(48),
    }
    rec.callback.record_success(kwargs)
    assert rec.value("litellm.team.budget.remaining", **{attr.TEAM_ID: "team-1"}) == 89.0
    assert rec.value("litellm.team.budget.remaining_hours") == pytest.approx(5, abs=0.01)
    assert rec.value("litellm.user.budget.max", **{attr.USER_ID: "user-1"}) == 20.0
    assert rec.value("litellm.user.budget.remaining") == 17.0
    assert rec.value("litellm.user.budget.remaining_hours") == pytest.approx(24, abs=0.01)
    org = {attr.ORG_ID: "org-1", attr.ORG_ALIAS: "Org One"}
    assert rec.value("litellm.org.budget.remaining", **org) == 269.0
    assert rec.value("litellm.org.budget.max", **org) == 300.0
    assert rec.value("litellm.org.budget.remaining_hours", **org) == pytest.approx(48, abs=0.01)


def test_customer_budget_from_the_proxys_auth_cache(proxy_server: types.ModuleType) -> None:
    class Cache:
        def get_cache(self, key: str) -> Any:
            if key == "end_user_id:customer-1":
                return {"spend": 4.0, "litellm_budget_table": {"max_budget": 10.0}}
            return None

    proxy_server.user_api_key_cache = types.SimpleNamespace(in_memory_cache=Cache())
    rec = recording(end_user_labels=True)
    kwargs = success_kwargs(cost=0.5)
    kwargs["litellm_params"]["user_api_key_end_user_id"] = "customer-1"
    rec.callback.record_success(kwargs)
    who = {attr.END_USER_ID: "customer-1"}
    assert rec.value("litellm.end_user.budget.max", **who) == 10.0
    assert rec.value("litellm.end_user.budget.remaining", **who) == 5.5


def test_remaining_requests_and_tokens_from_router_rpm_tpm(proxy_server: types.ModuleType) -> None:
    class Router:
        async def get_remaining_model_group_usage(self, group: str) -> dict[str, int]:
            assert group == "gpt-4o"
            return {"x-ratelimit-remaining-requests": 41, "x-ratelimit-remaining-tokens": 9000}

    proxy_server.llm_router = Router()
    rec = recording()
    kwargs = success_kwargs()
    kwargs["standard_logging_object"]["hidden_params"]["additional_headers"] = {}
    asyncio.run(rec.callback.async_log_success_event(kwargs, None, None, None))
    deployment = {attr.MODEL_GROUP: "gpt-4o", attr.MODEL_ID: "deployment-1"}
    assert rec.value("litellm.deployment.remaining_requests", **deployment) == 41
    assert rec.value("litellm.deployment.remaining_tokens", **deployment) == 9000


def test_provider_headers_win_over_router_usage(proxy_server: types.ModuleType) -> None:
    class Router:
        async def get_remaining_model_group_usage(self, group: str) -> dict[str, int]:
            return {"x-ratelimit-remaining-requests": 1, "x-ratelimit-remaining-tokens": 2}

    proxy_server.llm_router = Router()
    rec = recording()
    asyncio.run(rec.callback.async_log_success_event(success_kwargs(), None, None, None))
    assert rec.value("litellm.deployment.remaining_requests") == 99  # from the header
    assert rec.value("litellm.deployment.remaining_tokens") == 2


def test_unlabelled_gauges_show_zero_from_start_and_take_counts() -> None:
    rec = recording()
    for name in ("litellm.users", "litellm.users.active", "litellm.teams",
                 "litellm.batch_cost.jobs_polled", "litellm.batch_cost.last_run"):  # fmt: skip
        (point,) = rec.points(name)
        assert point.value == 0 and point.attributes == {}
    rec.standin.set_entity_counts(12, 7, 3)
    assert rec.value("litellm.users") == 12
    assert rec.value("litellm.users.active") == 7
    assert rec.value("litellm.teams") == 3
