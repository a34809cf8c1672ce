"""LiteLLM callback payloads shaped like the ones LiteLLM 1.106 passes, for direct hook calls."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
# A LiteLLM key hash (sha256 hex): passed through as it is, unlike any other key value.
KEY_HASH = "0" * 63 + "1"
V3_KEY_HASH = "0" * 63 + "3"


def success_kwargs(
    *,
    model: str = "gpt-4o-mini",
    group: str = "gpt-4o",
    team: str = "team-1",
    key_hash: str = KEY_HASH,
    prompt: int = 10,
    completion: int = 5,
    cost: float = 0.25,
    stream: bool = False,
    metadata: dict[str, Any] | None = None,
    tags: list[str] | None = None,
) -> dict[str, Any]:
    meta = {
        "user_api_key_hash": key_hash,
        "user_api_key_alias": "alias-1",
        "user_api_key_team_id": team,
        "user_api_key_team_alias": "Team One",
        "user_api_key_user_id": "user-1",
        "user_api_key_user_email": "user@example.com",
        "requester_metadata": metadata or {},
        "usage_object": {"prompt_tokens_details": {"cached_tokens": 4}},
    }
    slp = {
        "model_group": group,
        "model_id": "deployment-1",
        "api_base": "http://127.0.0.1:1/v1",
        "custom_llm_provider": "openai",
        "call_type": "acompletion",
        "response_cost": cost,
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "cache_hit": False,
        "request_tags": tags or [],
        "metadata": meta,
        "hidden_params": {
            "additional_headers": {"x_ratelimit_remaining_requests": 99},
            "litellm_overhead_time_ms": 2.0,
        },
    }
    return {
        "model": model,
        "stream": stream,
        "standard_logging_object": slp,
        "litellm_params": {"custom_llm_provider": "openai", "metadata": {}},
        "start_time": T0,
        "api_call_start_time": T0 + timedelta(milliseconds=10),
        "completion_start_time": T0 + timedelta(milliseconds=60),
        "end_time": T0 + timedelta(milliseconds=510),
    }


def failure_kwargs(
    exception: BaseException | None = None, *, team: str = "team-1", call_id: str = "call-1"
) -> dict[str, Any]:
    """The failure kwargs LiteLLM hands ``async_log_failure_event`` when a routed call's
    provider fails, in the shape ``benchmarks.capture`` records: the deployment in the
    logging payload and in ``litellm_params.metadata.model_info``, nothing counted."""
    import litellm

    kwargs = success_kwargs(team=team, prompt=0, completion=0, cost=0.0)
    slp = kwargs["standard_logging_object"]
    slp["status"] = "failure"
    slp["zero_cost_diagnostic"] = None
    kwargs["litellm_params"]["metadata"] = {
        "model_group": slp["model_group"],
        "deployment": "openai/gpt-4o-mini",
        "model_info": {"id": slp["model_id"], "db_model": False},
    }
    kwargs["exception"] = (
        litellm.InternalServerError("upstream said 500", "openai", "gpt-4o-mini")
        if exception is None
        else exception
    )
    kwargs["litellm_call_id"] = call_id
    return kwargs
