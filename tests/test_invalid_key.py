"""Failures of requests whose key is invalid, and requests rejected before routing.

LiteLLM's logger records nothing of a request it judges to carry an invalid key (a 401,
or one of its auth error messages); other refusals (a 403) are counted, without the key.
A request rejected before a deployment was picked is labelled with the model the client
named (``requested_model``) and no deployment or model group.
"""

from __future__ import annotations

from typing import Any

import pytest

from otel_litellm import attributes as attr
from tests.support.memory import recording
from tests.support.payloads import KEY_HASH, failure_kwargs, success_kwargs

FAILURE_FAMILIES = (
    "litellm.llm_api.failed_requests",
    "litellm.deployment.failures",
    "litellm.deployment.requests",
    "litellm.deployment.state",
)


class StatusError(Exception):
    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


def failure(exception: Exception, **changes: Any) -> dict[str, Any]:
    kwargs = success_kwargs()
    kwargs["exception"] = exception
    kwargs["litellm_call_id"] = f"call-{id(exception)}"
    kwargs["standard_logging_object"].update(changes)
    return kwargs


@pytest.mark.parametrize(
    "exception",
    [
        StatusError("Invalid proxy server token passed", 401),
        AssertionError("Virtual Key expected. Received=sk-bad, expected to start with 'sk-'"),
    ],
)
def test_an_invalid_key_records_no_failure(exception: Exception) -> None:
    rec = recording()
    rec.callback.log_failure_event(failure(exception), None, None, None)
    assert {p.name for p in rec.collect()} & set(FAILURE_FAMILIES) == set()


def test_a_forbidden_request_is_counted_without_its_key() -> None:
    rec = recording()
    rec.callback.log_failure_event(failure(StatusError("not allowed", 403)), None, None, None)
    for name in FAILURE_FAMILIES:
        points = rec.points(name)
        assert points, name
        assert all(attr.API_KEY_HASH not in p.attributes for p in points), name


def test_rejected_before_routing_names_the_requested_model_only() -> None:
    rec = recording()
    kwargs = failure(StatusError("no such model", 400), model_id=None, model_group=None)
    kwargs["model"] = "no-such-model"
    rec.callback.log_failure_event(kwargs, None, None, None)
    [point] = rec.points("litellm.deployment.failures")
    # No proxy Router here: as in LiteLLM, the name passes through (the proxy bounds it).
    assert point.attributes[attr.REQUESTED_MODEL] == "no-such-model"
    for key in (attr.MODEL_GROUP, attr.MODEL_ID, attr.REQUEST_MODEL, attr.PROVIDER_NAME):
        assert key not in point.attributes
    assert not rec.points("litellm.deployment.state")


def provider_401(**changes: Any) -> dict[str, Any]:
    """The failure of a routed call whose provider refused the deployment's key."""
    import litellm

    kwargs = failure_kwargs(
        litellm.AuthenticationError("bad upstream key", "openai", "gpt-4o-mini")
    )
    kwargs.update(changes)
    return kwargs


def test_a_provider_refusing_the_deployments_key_is_a_deployment_failure() -> None:
    rec = recording()
    rec.callback.log_failure_event(provider_401(), None, None, None)
    for name in FAILURE_FAMILIES:
        assert rec.points(name), name
    [point] = rec.points("litellm.deployment.failures")
    assert point.attributes[attr.API_KEY_HASH] == KEY_HASH  # the client's key was good


@pytest.mark.parametrize(
    "changes",
    [
        {"api_call_start_time": None},  # raised before the provider was called
        {"litellm_no_upstream_llm_call": True},  # LiteLLM 1.110: a proxy-only failure
        {"litellm_params": {"proxy_server_request": {"body": {"api_key": "sk-caller"}}}},
        {"litellm_params": {"proxy_server_request": {"caller_credential_fields": ("headers",)}}},
        {"litellm_params": {"proxy_server_request": {"body": {"extra_body": {"token": "t"}}}}},
    ],
    ids=["no-call", "proxy-only", "caller-key", "caller-headers", "caller-token"],
)
def test_a_401_on_the_callers_credential_records_nothing(changes: dict[str, Any]) -> None:
    rec = recording()
    rec.callback.log_failure_event(provider_401(**changes), None, None, None)
    assert {p.name for p in rec.collect()} & set(FAILURE_FAMILIES) == set()


def test_a_request_rejected_before_routing_puts_no_deployment_in_outage() -> None:
    """The proxy names the group's deployment on a request it turned down before routing
    (``proxy_rejected_before_routing``): none was picked, as LiteLLM labels it."""
    rec = recording()
    kwargs = failure_kwargs(StatusError("no db connection", 400))
    kwargs["litellm_params"]["proxy_rejected_before_routing"] = True
    rec.callback.log_failure_event(kwargs, None, None, None)
    assert not rec.points("litellm.deployment.state")
    [point] = rec.points("litellm.deployment.failures")
    for key in (attr.MODEL_ID, attr.API_BASE, attr.REQUEST_MODEL, attr.PROVIDER_NAME):
        assert key not in point.attributes, key
    assert point.attributes[attr.REQUESTED_MODEL] == "gpt-4o-mini"
    # The same failure, routed: the deployment is named and in partial outage.
    routed = failure_kwargs(StatusError("no db connection", 400), call_id="call-2")
    rec.callback.log_failure_event(routed, None, None, None)
    assert rec.points("litellm.deployment.state")


def test_odd_request_shapes_keep_the_deployment_failure() -> None:
    rec = recording()
    odd = {"proxy_server_request": {"caller_credential_fields": ([1], None), "body": "{"}}
    rec.callback.log_failure_event(provider_401(litellm_params=odd), None, None, None)
    assert rec.points("litellm.deployment.failures")
    assert not rec.points("otel_litellm.callback_errors")
