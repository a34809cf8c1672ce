"""Malformed payloads never raise into LiteLLM, and good fields of a payload still count."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import otel_litellm
from tests.support.payloads import success_kwargs
from tests.support.scrape import samples, value

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=300),
    st.binary(max_size=50).map(lambda b: b.decode("utf-8", "surrogateescape")),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=30), inner, max_size=6)
    ),
    max_leaves=12,
)
FIELDS = ("model", "stream", "standard_logging_object", "litellm_params", "start_time",
          "end_time", "api_call_start_time", "completion_start_time", "exception")  # fmt: skip
SLP_FIELDS = ("model_group", "response_cost", "prompt_tokens", "completion_tokens",
              "total_tokens", "cache_hit", "metadata", "hidden_params", "request_tags",
              "custom_llm_provider", "guardrail_information")  # fmt: skip
payloads = st.one_of(
    st.dictionaries(st.sampled_from(FIELDS), values),
    st.fixed_dictionaries(
        {"standard_logging_object": st.dictionaries(st.sampled_from(SLP_FIELDS), values)}
    ),
    values,
)


@pytest.fixture(scope="module")
def handle() -> Iterator[Any]:
    otel_litellm.uninstrument()
    started = otel_litellm.instrument(prometheus_port=0)
    yield started
    otel_litellm.uninstrument()


@settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck))
@given(kwargs=payloads, other=values)
def test_no_hook_raises_on_any_payload(handle: Any, kwargs: Any, other: Any) -> None:
    callback = handle.callback
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(callback.async_log_success_event(kwargs, other, other, other))
        loop.run_until_complete(callback.async_log_failure_event(kwargs, other, other, other))
        loop.run_until_complete(callback.async_post_call_failure_hook(kwargs, other, other))
        loop.run_until_complete(callback.log_success_fallback_event(other, kwargs, other))
        loop.run_until_complete(callback.log_failure_fallback_event(other, kwargs, other))
    finally:
        loop.close()
    callback.log_success_event(kwargs, other, other, other)
    callback.log_failure_event(kwargs, other, other, other)
    callback.increment_callback_logging_failure(other)
    callback.record_cooldown(other, other, other, other, other)


def test_bad_numbers_are_dropped_and_good_fields_still_recorded(handle: Any) -> None:
    kwargs = success_kwargs(team="team-bad", prompt=7)
    slp = kwargs["standard_logging_object"]
    slp["response_cost"] = math.nan
    slp["completion_tokens"] = -3
    slp["total_tokens"] = "many"
    handle.callback.record_success(kwargs)
    found = samples(handle.metrics_url)
    assert value(found, "litellm_input_tokens_metric_total", team="team-bad") == 7
    assert value(found, "litellm_proxy_total_requests_metric_total", team="team-bad") == 1
    assert value(found, "litellm_spend_metric_total", team="team-bad") == 0
    assert value(found, "otel_litellm_dropped_points_total") >= 3
    scraped = "".join(f"{s.name}{s.labels}{s.value}" for s in found)
    assert "nan" not in scraped.lower().replace("nan'", "")


def test_oversized_and_invalid_utf8_labels_are_bounded(handle: Any) -> None:
    kwargs = success_kwargs(team="t" * 10_000 + "\udcff")
    handle.callback.record_success(kwargs)
    teams = [s.labels.get("team", "") for s in samples(handle.metrics_url)]
    assert max(len(team) for team in teams) <= 256
