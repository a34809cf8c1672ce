"""Issue 14's hostile payloads, in the shapes they were found, on the in-memory unit layer."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from datetime import timedelta
from typing import Any

import pytest
from litellm.proxy._types import ProxyException, UserAPIKeyAuth
from litellm.types.integrations.prometheus import sanitize_prometheus_label_name

from otel_litellm import attributes as attr
from otel_litellm.payload import check_custom_labels, custom_tag_label, hashed_key
from tests.support.memory import recording
from tests.support.payloads import KEY_HASH, success_kwargs

CREDENTIALS = (
    "AIzaSyA-google-style-key-0123456789abc",
    "0123456789abcdef0123456789abcdef",  # an Azure key: 32 hex characters
    "Bearer sk-bearer-secret-1",
    " sk-leading-space-secret",
    "correct horse battery staple",
    "sk-plain-secret-2",
)


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def bad_key_failure(key: str, call_id: str) -> dict[str, Any]:
    """The failure kwargs the proxy hands both failure hooks for an unknown virtual key."""
    kwargs = success_kwargs(key_hash=key)
    kwargs["standard_logging_object"]["model_id"] = None
    kwargs["exception"] = ProxyException("No connected db.", "no_db_connection", None, 400)
    kwargs["litellm_call_id"] = call_id
    return kwargs


# -- 14.2 credentials --------------------------------------------------------------


@pytest.mark.parametrize("credential", CREDENTIALS)
def test_every_key_value_that_is_not_a_litellm_hash_is_hashed(credential: str) -> None:
    written = hashed_key(credential)
    assert written is not None and len(written) == 64 and credential.strip() not in written
    assert hashed_key(KEY_HASH) == KEY_HASH  # LiteLLM's own hash passes through
    # The same hash LiteLLM gives an sk- key, so a scrape matches LiteLLM's.
    assert hashed_key("sk-plain-secret-2") == hashlib.sha256(b"sk-plain-secret-2").hexdigest()


@pytest.mark.parametrize("credential", CREDENTIALS)
def test_a_key_in_success_metadata_never_appears_raw(credential: str) -> None:
    rec = recording()
    rec.callback.record_success(success_kwargs(key_hash=credential))
    written = {str(p.attributes.get(attr.API_KEY_HASH)) for p in rec.collect()}
    assert written == {hashed_key(credential)} | {"None"}
    assert not any(credential.strip() in value for value in written)


def test_307_refused_keys_make_no_key_series_and_one_failure_series() -> None:
    rec = recording()

    async def traffic() -> None:
        for n in range(307):
            kwargs = bad_key_failure(f"AIzaSy-wrong-{n}", f"call-{n}")
            await rec.callback.async_log_failure_event(kwargs, None, None, None)
            auth = UserAPIKeyAuth(api_key=f"sk-wrong-{n}")
            await rec.callback.async_post_call_failure_hook(
                {"model": "gpt-4o"}, kwargs["exception"], auth
            )

    run(traffic())
    for name in (
        "litellm.llm_api.failed_requests",
        "litellm.deployment.failures",
        "litellm.deployment.requests",
        "litellm.proxy.failed_requests",
        "litellm.proxy.requests",
    ):
        points = rec.points(name)
        assert len(points) == 1, name
        assert points[0].value == 307
        assert attr.API_KEY_HASH not in points[0].attributes, name


@pytest.mark.parametrize("status", [401, 403])
def test_401_and_403_carry_no_key(status: int) -> None:
    rec = recording()
    error = ProxyException("Authentication Error", "auth_error", None, status)
    run(rec.callback.async_post_call_failure_hook({}, error, UserAPIKeyAuth(api_key="sk-x-1")))
    (point,) = rec.points("litellm.proxy.failed_requests")
    assert attr.API_KEY_HASH not in point.attributes
    assert point.attributes[attr.EXCEPTION_STATUS] == str(status)


def test_an_upstream_failure_keeps_the_authenticated_key_hash() -> None:
    rec = recording()
    error = ProxyException("upstream said no", "internal_server_error", None, 500)
    auth = UserAPIKeyAuth(api_key="sk-good-key-1")
    run(rec.callback.async_post_call_failure_hook({}, error, auth))
    (point,) = rec.points("litellm.proxy.failed_requests")
    assert point.attributes[attr.API_KEY_HASH] == hashlib.sha256(b"sk-good-key-1").hexdigest()


def test_a_raw_key_in_fallback_metadata_is_hashed() -> None:
    rec = recording()
    kwargs = {"model": "gpt-4o-mini", "metadata": {"user_api_key": "AIzaSy-fallback-key"}}
    run(rec.callback.log_success_fallback_event("gpt-4o", kwargs, Exception("x")))
    (point,) = rec.points("litellm.fallback.successes")
    assert point.attributes[attr.API_KEY_HASH] == hashed_key("AIzaSy-fallback-key")


def test_the_stand_in_writes_no_key_value() -> None:
    rec = recording()
    rec.standin.record_managed_file_created("m", "openai", "u", "e@x", "alias")
    assert all(attr.API_KEY_HASH not in p.attributes for p in rec.collect())


# -- 14.3 custom label names -------------------------------------------------------


@pytest.mark.parametrize(
    "tag", ["User-Agent: curl/*", "本番", "env: prod", "9lives", "a.b-c", "", "tag with ü"]
)
def test_tag_label_names_are_litellms(tag: str) -> None:
    assert custom_tag_label(tag) == sanitize_prometheus_label_name(f"tag_{tag}")
    assert custom_tag_label("User-Agent: curl/*") == "tag_User_Agent__curl__"


@pytest.mark.parametrize(
    ("metadata", "tags", "first", "second"),
    [
        ((), ("本番", "開発"), "本番", "開発"),
        ((), ("env:prod", "env: prod"), "env:prod", "env: prod"),
        (("metadata.部署", "metadata.案件"), (), "metadata.部署", "metadata.案件"),
    ],
)
def test_colliding_custom_labels_are_refused_naming_both(
    metadata: tuple[str, ...], tags: tuple[str, ...], first: str, second: str
) -> None:
    with pytest.raises(ValueError) as refused:
        check_custom_labels(metadata, tags)
    assert first in str(refused.value) and second in str(refused.value)


def test_distinct_custom_labels_are_accepted() -> None:
    check_custom_labels(["metadata.team_name", "metadata.env"], ["prod", "User-Agent: curl/*"])


# -- 14.5 rejected before routing: both failure hooks, one count ---------------------


def test_both_failure_hooks_for_one_rejection_count_once() -> None:
    rec = recording()
    kwargs = bad_key_failure("litellm_proxy_master_key", "call-unknown-model")
    run(rec.callback.async_log_failure_event(kwargs, None, None, None))
    rec.callback.log_failure_event(kwargs, None, None, None)  # LiteLLM's thread, same dict
    for name in (
        "litellm.llm_api.failed_requests",
        "litellm.deployment.failures",
        "litellm.deployment.requests",
    ):
        assert rec.value(name) == 1, name


def test_each_retry_of_one_call_still_counts() -> None:
    rec = recording()
    for attempt in range(3):  # a Router retry: same call id, its own start time and dict
        kwargs = bad_key_failure(KEY_HASH, "call-retried")
        kwargs["start_time"] = kwargs["start_time"] + timedelta(seconds=attempt)
        rec.callback.log_failure_event(kwargs, None, None, None)
        del kwargs  # the next attempt's dict may reuse this one's memory address
    assert rec.value("litellm.llm_api.failed_requests") == 3


# -- 14.10 odd but valid input keeps the good fields ---------------------------------


@pytest.mark.parametrize(
    "odd",
    [
        {"tags": ["prod", ["nested"], {"k": "v"}]},
        {"prompt_tokens": 10**400},
        {"header": "9" * 400},
    ],
    ids=["tags-with-list-and-dict", "prompt-tokens-10e400", "400-digit-header"],
)
def test_an_odd_field_is_dropped_and_the_rest_recorded(odd: dict[str, Any]) -> None:
    rec = recording(custom_tags=["prod"])
    kwargs = success_kwargs(tags=odd.get("tags"))
    slp = kwargs["standard_logging_object"]
    if "prompt_tokens" in odd:
        slp["prompt_tokens"] = odd["prompt_tokens"]
    if "header" in odd:
        slp["hidden_params"]["additional_headers"]["x-ratelimit-remaining-requests"] = odd["header"]
        slp["hidden_params"]["additional_headers"]["x_ratelimit_remaining_requests"] = odd["header"]
    rec.callback.record_success(kwargs)
    assert rec.value("otel_litellm.callback_errors") == 0
    assert rec.value("litellm.proxy.requests") == 1
    assert rec.value("litellm.spend") == 0.25
    assert rec.value("litellm.usage.output_tokens") == 5
    assert rec.value("litellm.deployment.successes") == 1
    if "tags" in odd:
        (point,) = rec.points("litellm.requests")
        assert point.attributes[attr.TAG_PREFIX + "prod"] == "true"
    else:
        assert rec.value("otel_litellm.dropped_points") == 1


# -- 14.11 gauges under their own label set; self-metric names; log budgets --------


def test_1000_end_users_on_one_deployment_make_one_remaining_series() -> None:
    rec = recording(gauge_series=100)
    for n in range(1_000):
        kwargs = success_kwargs()
        kwargs["litellm_params"]["user_api_key_end_user_id"] = f"end-user-{n}"
        rec.callback.record_success(kwargs)
    assert len(rec.points("litellm.deployment.remaining_requests")) == 1
    assert rec.instruments.store.evicted == 0
    assert rec.points("otel_litellm.evicted_series") == []


def test_evictions_are_counted_per_family() -> None:
    rec = recording(gauge_series=2)
    for n in range(5):
        rec.standin.track_provider_remaining_budget(f"provider-{n}", 1.0, 10.0)
    (point,) = rec.points("otel_litellm.evicted_series")
    assert point.value == 3
    assert point.attributes == {"metric": "litellm_provider_remaining_budget_metric"}


def test_a_flood_of_dropped_values_does_not_hide_a_hook_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rec = recording()
    caplog.set_level(logging.INFO, logger="otel_litellm")
    for _ in range(50):
        rec.callback.record_success(success_kwargs(cost=-1.0))
    run(rec.callback.async_log_success_event(object(), None, None, None))  # not recorded: fine
    rec.callback._report_error("async_log_success_event", RuntimeError("boom"))
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    infos = [r for r in caplog.records if r.levelno == logging.INFO]
    assert len(infos) == 1 and len(warnings) == 1
    assert "boom" in warnings[0].getMessage()


# -- requested_model of a fallback success, per LiteLLM version ------------------------


@pytest.mark.parametrize(("original", "expected"), [(True, "gpt-4o"), (False, "gpt-4o-mini-fb")])
def test_fallback_success_requested_model_follows_litellm_version(
    original: bool, expected: str
) -> None:
    rec = recording()
    rec.callback.reader.original_group_on_proxy_requests = original
    kwargs = success_kwargs(group="gpt-4o-mini-fb")
    kwargs["litellm_params"]["metadata"] = {"original_model_group": "gpt-4o"}
    rec.callback.record_success(kwargs)
    (point,) = rec.points("litellm.proxy.requests")
    assert point.attributes[attr.MODEL_GROUP] == expected
    (deployment,) = rec.points("litellm.deployment.successes")
    assert deployment.attributes[attr.MODEL_GROUP] == "gpt-4o-mini-fb"


def test_the_installed_litellm_decides_the_fallback_rule() -> None:
    from otel_litellm.payload import ORIGINAL_GROUP_ON_PROXY_REQUESTS, litellm_version

    assert (litellm_version() >= (1, 109)) == ORIGINAL_GROUP_ON_PROXY_REQUESTS
    assert recording().callback.reader.original_group_on_proxy_requests is (
        ORIGINAL_GROUP_ON_PROXY_REQUESTS
    )
