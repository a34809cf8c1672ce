"""Malformed payloads never raise into LiteLLM, and good fields of a payload still count.

10,000 generated payloads in all (4,000 + 3,000 + 3,000) go through every hook
LiteLLM calls, the coroutine hooks on one shared event loop.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import otel_litellm
from tests.support.payloads import success_kwargs
from tests.support.scrape import samples, value


class Hostile(Exception):
    """An exception whose every attribute and string form raises."""

    def __getattribute__(self, name: str) -> Any:
        if name in ("__class__", "__traceback__", "__dict__"):
            return object.__getattribute__(self, name)
        raise RuntimeError(f"no {name}")

    def __str__(self) -> str:
        raise RuntimeError("unprintable")


def odd_exception(status: Any, provider: Any, message: Any) -> BaseException:
    error = Exception(message)
    error.status_code = status  # type: ignore[attr-defined]
    error.llm_provider = provider  # type: ignore[attr-defined]
    return error


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=300),
    st.binary(max_size=50).map(lambda b: b.decode("utf-8", "surrogateescape")),
    st.integers(min_value=1_000, max_value=100_000).map(lambda n: "\u00e9" * n),
)
exceptions = st.one_of(
    st.builds(odd_exception, scalars, scalars, scalars),
    st.sampled_from([KeyboardInterrupt(), SystemExit(3), ValueError(), Exception]),
)
values = st.recursive(
    st.one_of(scalars, exceptions),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=30), inner, max_size=6),
        st.dictionaries(st.text(max_size=12), inner, max_size=4).map(
            lambda fields: SimpleNamespace(**{k: v for k, v in fields.items() if k.isidentifier()})
        ),
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
BASE = settings(deadline=None, suppress_health_check=list(HealthCheck), database=None)


@pytest.fixture(scope="module")
def handle() -> Iterator[Any]:
    otel_litellm.uninstrument()
    started = otel_litellm.instrument(prometheus_port=0)
    report = started.callback._report_error
    started.caught = []

    def record(hook: str, error: Exception) -> None:
        started.caught.append((hook, repr(error)[:200]))
        report(hook, error)

    started.callback._report_error = record
    yield started
    otel_litellm.uninstrument()


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    shared = asyncio.new_event_loop()
    yield shared
    shared.close()


def callback_errors(handle: Any) -> float:
    return value(samples(handle.metrics_url), "otel_litellm_callback_errors_total")


@settings(BASE, max_examples=4_000)
@given(kwargs=payloads, other=values)
def test_success_hooks_survive_any_payload(
    handle: Any, loop: asyncio.AbstractEventLoop, kwargs: Any, other: Any
) -> None:
    callback = handle.callback
    assert (
        loop.run_until_complete(callback.async_log_success_event(kwargs, other, other, other))
        is None
    )
    assert callback.log_success_event(kwargs, other, other, other) is None


@settings(BASE, max_examples=3_000)
@given(kwargs=payloads, other=values, exception=exceptions)
def test_failure_hooks_survive_any_payload(
    handle: Any, loop: asyncio.AbstractEventLoop, kwargs: Any, other: Any, exception: Any
) -> None:
    callback = handle.callback
    if isinstance(kwargs, dict):
        kwargs = {**kwargs, "exception": exception}
    assert (
        loop.run_until_complete(callback.async_log_failure_event(kwargs, other, other, other))
        is None
    )
    assert callback.log_failure_event(kwargs, other, other, other) is None
    assert (
        loop.run_until_complete(callback.async_post_call_failure_hook(kwargs, exception, other))
        is None
    )


@settings(BASE, max_examples=3_000)
@given(kwargs=payloads, other=values, exception=exceptions)
def test_fallback_cooldown_and_logging_failure_hooks_survive_any_payload(
    handle: Any, loop: asyncio.AbstractEventLoop, kwargs: Any, other: Any, exception: Any
) -> None:
    callback = handle.callback
    assert (
        loop.run_until_complete(callback.log_success_fallback_event(other, kwargs, exception))
        is None
    )
    assert (
        loop.run_until_complete(callback.log_failure_fallback_event(other, kwargs, exception))
        is None
    )
    assert callback.increment_callback_logging_failure(other) is None
    stand_in = handle.stand_in
    assert (
        stand_in.set_deployment_complete_outage(
            litellm_model_name=other, model_id=other, api_base=other, api_provider=other
        )
        is None
    )
    assert stand_in.increment_deployment_cooled_down(
        litellm_model_name=other, model_id=other, api_base=other, api_provider=other,
        exception_status=other,
    ) is None  # fmt: skip


def test_generated_payloads_needed_no_safety_net(handle: Any) -> None:
    """Bad values are dropped by validation; the catch-all guard never had to step in."""
    assert handle.caught == []


def test_an_exception_that_breaks_everything_is_caught_counted_and_logged(
    handle: Any, loop: asyncio.AbstractEventLoop, caplog: pytest.LogCaptureFixture
) -> None:
    before = callback_errors(handle)
    hostile = Hostile()
    kwargs = {**success_kwargs(), "exception": hostile}
    callback = handle.callback
    callback._last_error_log = 0.0  # let the rate limiter log once now
    with caplog.at_level("WARNING", logger="otel_litellm"):
        assert (
            loop.run_until_complete(callback.async_post_call_failure_hook({}, hostile, None))
            is None
        )
        assert callback.log_failure_event(kwargs, None, None, None) is None
        assert (
            loop.run_until_complete(callback.log_failure_fallback_event("m", {}, hostile)) is None
        )
    assert callback_errors(handle) - before == len(handle.caught) == 3
    assert len([r for r in caplog.records if "failed and was skipped" in r.message]) == 1
    handle.caught.clear()


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
    # No sample's value is NaN.  (A label may read "nan": the generated payloads above
    # send float model names, which are labels like any other string.)
    assert not [s for s in found if math.isnan(s.value)]


def test_oversized_and_invalid_utf8_labels_are_bounded(handle: Any) -> None:
    kwargs = success_kwargs(team="t" * 10_000 + "\udcff")
    handle.callback.record_success(kwargs)
    teams = [s.labels.get("team", "") for s in samples(handle.metrics_url)]
    assert max(len(team) for team in teams) <= 256
