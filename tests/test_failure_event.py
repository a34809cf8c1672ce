"""A failure payload read once into a ``Failure``, and what the failure hook records of it."""

from __future__ import annotations

import litellm
from litellm.proxy._types import ProxyException

from otel_litellm import attributes as attr
from otel_litellm import families
from otel_litellm.payload import PayloadReader
from otel_litellm.spec import PARTIAL_OUTAGE
from tests.support.memory import recording
from tests.support.payloads import KEY_HASH, failure_kwargs

DEPLOYMENT = {
    attr.REQUEST_MODEL: "gpt-4o-mini",
    attr.MODEL_ID: "deployment-1",
    attr.API_BASE: "http://127.0.0.1:1/v1",
    attr.PROVIDER_NAME: "openai",
}


def test_a_provider_failure_is_read_into_one_value() -> None:
    event = PayloadReader(end_user_labels=True).failure(failure_kwargs())
    assert event is not None
    assert event.base[attr.API_KEY_HASH] == KEY_HASH
    assert event.base[attr.MODEL_GROUP] == "gpt-4o"
    assert event.outage == DEPLOYMENT
    assert event.deployment == {
        **event.base,
        attr.REQUESTED_MODEL: "gpt-4o",
        attr.ERROR_TYPE: "Openai.InternalServerError",
        attr.EXCEPTION_STATUS: "500",
    }
    assert event.raised and event.zero_cost_reason is None


def test_the_failure_families_get_the_failure_attributes() -> None:
    rec = recording()
    kwargs = failure_kwargs()
    rec.callback.log_failure_event(kwargs, None, None, None)
    (failed,) = rec.points(families.LLM_API_FAILED_REQUESTS)
    assert failed.value == 1 and failed.attributes[attr.TEAM_ID] == "team-1"
    (failure,) = rec.points(families.DEPLOYMENT_FAILURES)
    assert failure.value == 1
    assert failure.attributes[attr.ERROR_TYPE] == "Openai.InternalServerError"
    assert failure.attributes[attr.EXCEPTION_STATUS] == "500"
    (requests,) = rec.points(families.DEPLOYMENT_REQUESTS)
    assert requests.value == 1 and requests.attributes[attr.MODEL_ID] == "deployment-1"
    (state,) = rec.points(families.DEPLOYMENT_STATE)
    assert state.value == PARTIAL_OUTAGE and state.attributes == DEPLOYMENT


def test_events_share_a_failure_only_where_every_raw_value_is_the_same() -> None:
    reader = PayloadReader(end_user_labels=True)
    first = reader.failure(failure_kwargs(call_id="a"))
    assert first is not None and first.shared
    assert reader.failure(failure_kwargs(call_id="b")) is first
    other_team = reader.failure(failure_kwargs(team="team-2"))
    assert other_team is not None and other_team.base[attr.TEAM_ID] == "team-2"
    limited = litellm.RateLimitError("slow down", "openai", "gpt-4o-mini")
    throttled = reader.failure(failure_kwargs(limited))
    assert throttled is not None
    assert throttled.deployment[attr.EXCEPTION_STATUS] == "429"
    assert throttled.deployment[attr.ERROR_TYPE] == "Openai.RateLimitError"


def test_repeated_failures_count_on_their_own_series() -> None:
    rec = recording()
    limited = litellm.RateLimitError("slow down", "openai", "gpt-4o-mini")
    for n in range(3):
        rec.callback.log_failure_event(failure_kwargs(call_id=f"c{n}"), None, None, None)
        rec.callback.log_failure_event(failure_kwargs(limited, call_id=f"r{n}"), None, None, None)
    assert rec.value(families.DEPLOYMENT_FAILURES, **{attr.EXCEPTION_STATUS: "500"}) == 3
    assert rec.value(families.DEPLOYMENT_FAILURES, **{attr.EXCEPTION_STATUS: "429"}) == 3
    assert rec.value(families.LLM_API_FAILED_REQUESTS) == 6


def test_an_invalid_key_is_read_as_nothing() -> None:
    rejected = ProxyException("Authentication Error, invalid api key", "auth_error", None, 401)
    assert PayloadReader().failure(failure_kwargs(rejected)) is None


def test_a_refused_credential_is_left_out_and_an_accepted_one_kept() -> None:
    reader = PayloadReader(end_user_labels=True)
    forbidden = ProxyException("not allowed", "internal", None, 403)
    refused = reader.failure(failure_kwargs(forbidden))
    assert refused is not None
    assert attr.API_KEY_HASH not in refused.base
    assert attr.API_KEY_HASH not in refused.deployment
    accepted = reader.failure(failure_kwargs())  # the same raw values otherwise
    assert accepted is not None and accepted.base[attr.API_KEY_HASH] == KEY_HASH


def test_a_request_rejected_before_routing_names_the_model_and_is_not_shared() -> None:
    kwargs = failure_kwargs(ProxyException("unknown model", "invalid_request", None, 400))
    kwargs["standard_logging_object"]["model_id"] = None
    kwargs["litellm_params"]["metadata"] = {}
    reader = PayloadReader(end_user_labels=True)
    event = reader.failure(kwargs)
    assert event is not None and event.outage is None and not event.shared
    assert reader.failure(kwargs) is not event  # the router may know the model by then
    assert event.deployment[attr.REQUESTED_MODEL] == "gpt-4o-mini"
    assert event.deployment[attr.MODEL_GROUP] == "gpt-4o"
    assert attr.API_BASE not in event.deployment and attr.MODEL_ID not in event.deployment


def test_a_proxy_failures_model_id_is_looked_up_where_the_installed_litellm_looks() -> None:
    from otel_litellm.payload import litellm_version, proxy_failure_model_id

    nested = {"metadata": {"model_info": {"id": "from-metadata"}}, "model_info": {"id": "own"}}
    assert proxy_failure_model_id(nested) == "from-metadata"
    assert proxy_failure_model_id({"model_info": {"id": "own"}}) == "own"
    # A request refused at authentication: only its logging payload names the deployment,
    # which LiteLLM reads from 1.108 on.
    logged = {"standard_logging_object": {"model_id": "logged"}}
    expected = "logged" if litellm_version() >= (1, 108) else None
    assert proxy_failure_model_id(logged) == expected
