"""LiteLLM's direct pushes to a PrometheusLogger reach otel_litellm while it is instrumented."""

from __future__ import annotations

from typing import Any

import pytest
from litellm.integrations.prometheus import PrometheusLogger
from litellm.proxy._types import LiteLLM_TeamTable, Member
from litellm.proxy.utils import ProxyLogging

import otel_litellm
from tests.support.scrape import samples, value


def test_management_and_batch_pushes_are_recorded(instrumented: Any) -> None:
    logger = PrometheusLogger.get_instance()
    assert logger is not None
    team = LiteLLM_TeamTable(
        team_id="team-7", team_alias="Seven",
        members_with_roles=[Member(role="user", user_id="a"), Member(role="admin", user_id="b")],
    )  # fmt: skip
    logger.set_team_members_metric(team)
    logger.record_managed_batch_created("gpt-4o", "openai", "u1", "u1@example.com", "alias")
    logger.record_managed_batch_duration(120.5, "gpt-4o", "openai")
    logger.record_managed_file_deleted("success")
    logger.record_check_batch_cost_run(3, [("gpt-4o", "openai"), ("gpt-4o", "openai")])
    logger.record_check_batch_cost_error("timeout")
    logger.track_provider_remaining_budget("openai", 30.0, 100.0)
    logger.set_spend_capture_rate(api_provider="openai", capture_rate=0.97)
    found = samples(instrumented.metrics_url)
    assert value(found, "litellm_team_members_metric", team="team-7", team_alias="Seven") == 2
    assert value(found, "litellm_managed_batch_created_total", model="gpt-4o") == 1
    assert value(found, "litellm_managed_batch_duration_seconds_count", api_provider="openai") == 1
    assert value(found, "litellm_managed_file_deleted_total", result="success") == 1
    assert value(found, "litellm_check_batch_cost_jobs_polled") == 3
    assert value(found, "litellm_check_batch_cost_jobs_processed_total", model="gpt-4o") == 2
    assert value(found, "litellm_check_batch_cost_errors_total", error_type="timeout") == 1
    assert value(found, "litellm_check_batch_cost_last_run_timestamp") > 1.7e9
    assert value(found, "litellm_provider_remaining_budget_metric", api_provider="openai") == 70
    assert value(found, "litellm_spend_capture_rate", api_provider="openai") == 0.97


def test_guardrail_runs_are_recorded(instrumented: Any) -> None:
    ProxyLogging._emit_guardrail_metrics("pii", 0.2, "success", None, "pre_call")
    ProxyLogging._emit_guardrail_metrics("pii", 0.4, "error", "ValueError", "pre_call")
    found = samples(instrumented.metrics_url)
    assert value(found, "litellm_guardrail_requests_total", guardrail_name="pii") == 2
    assert value(found, "litellm_guardrail_errors_total", error_type="ValueError") == 1
    assert value(found, "litellm_guardrail_latency_seconds_count", error_type="none") == 1
    assert value(found, "litellm_guardrail_latency_seconds_sum", guardrail_name="pii") == (
        pytest.approx(0.6)
    )


def test_router_budget_lookup_and_removal_on_uninstrument(instrumented: Any) -> None:
    from litellm.router_strategy import budget_limiter

    assert budget_limiter.get_prometheus_logger_from_callbacks() is not None
    otel_litellm.uninstrument()
    assert PrometheusLogger.get_instance() is None
    assert budget_limiter.get_prometheus_logger_from_callbacks() is None
    assert ProxyLogging._emit_guardrail_metrics.__module__.startswith("litellm")
