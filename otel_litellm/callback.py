"""The LiteLLM callback: turns LiteLLM's events into recordings.

Every hook is guarded: an exception inside otel_litellm is logged (rate
limited), counted in ``otel_litellm.callback_errors`` and swallowed, so LiteLLM's
request path never sees it.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import threading
import time
from collections.abc import Callable, Coroutine, Mapping
from datetime import datetime, timezone
from typing import Any, TypeVar

from litellm.integrations.custom_logger import CustomLogger

from otel_litellm import attributes as attr
from otel_litellm import families
from otel_litellm.instruments import Instruments
from otel_litellm.payload import (
    DEPLOYMENT_STATE_KEYS,
    Failure,
    PayloadReader,
    Success,
    auth_failure,
    bounded_model,
    end_user_budget,
    exception_class,
    exception_status,
    failure_provider,
    hashed_key,
    mapping,
    number,
    proxy_failure_model_id,
    proxy_router,
    put,
)
from otel_litellm.spec import HEALTHY, PARTIAL_OUTAGE

_log = logging.getLogger("otel_litellm")
_F = TypeVar("_F", bound=Callable[..., Any])

# The budget state LiteLLM's auth attaches to each request's metadata, per entity:
# spend key, max budget keys (first present wins), reset key, identity, and the
# (max, remaining, remaining hours) gauges.
_KEY_BUDGET = (families.API_KEY_BUDGET_MAX, families.API_KEY_BUDGET_REMAINING,
               families.API_KEY_BUDGET_REMAINING_HOURS)  # fmt: skip
_TEAM_BUDGET = (families.TEAM_BUDGET_MAX, families.TEAM_BUDGET_REMAINING,
                families.TEAM_BUDGET_REMAINING_HOURS)  # fmt: skip
_USER_BUDGET = (families.USER_BUDGET_MAX, families.USER_BUDGET_REMAINING,
                families.USER_BUDGET_REMAINING_HOURS)  # fmt: skip
_ORG_BUDGET = (families.ORG_BUDGET_MAX, families.ORG_BUDGET_REMAINING,
               families.ORG_BUDGET_REMAINING_HOURS)  # fmt: skip
_END_USER_BUDGET = (families.END_USER_BUDGET_MAX, families.END_USER_BUDGET_REMAINING,
                    families.END_USER_BUDGET_REMAINING_HOURS)  # fmt: skip
_BUDGETS = (
    ("user_api_key_spend", ("user_api_key_max_budget",), "user_api_key_budget_reset_at",
     (attr.API_KEY_HASH, attr.API_KEY_ALIAS), _KEY_BUDGET),
    ("user_api_key_team_spend",
     ("user_api_key_team_max_budget", "user_api_key_team_table_max_budget"),
     "user_api_key_team_budget_reset_at", (attr.TEAM_ID, attr.TEAM_ALIAS), _TEAM_BUDGET),
    ("user_api_key_user_spend",
     ("user_api_key_user_max_budget", "user_api_key_user_table_max_budget"),
     "user_api_key_user_budget_reset_at", (attr.USER_ID,), _USER_BUDGET),
    ("user_api_key_org_spend", ("user_api_key_org_max_budget",), "user_api_key_org_budget_reset_at",
     (attr.ORG_ID, attr.ORG_ALIAS), _ORG_BUDGET),
)  # fmt: skip
# The key's per-model limits: (kind, gauge).
_KEY_MODEL_REMAINING = (
    ("requests", families.API_KEY_MODEL_REMAINING_REQUESTS),
    ("tokens", families.API_KEY_MODEL_REMAINING_TOKENS),
)
# LiteLLM's v3 limiter headers: (header scope, allowed gauge, used gauge, identity).
_V3_SCOPES = (
    ("api_key", families.API_KEY_RATE_LIMIT_ALLOWED, families.API_KEY_RATE_LIMIT_USED,
     (attr.API_KEY_HASH, attr.API_KEY_ALIAS)),
    ("team", families.TEAM_RATE_LIMIT_ALLOWED, families.TEAM_RATE_LIMIT_USED,
     (attr.TEAM_ID, attr.TEAM_ALIAS)),
    ("model_per_project", families.PROJECT_MODEL_RATE_LIMIT_ALLOWED,
     families.PROJECT_MODEL_RATE_LIMIT_USED,
     (attr.PROJECT_ID, attr.PROJECT_ALIAS, attr.MODEL_GROUP)),
)  # fmt: skip
# (limit header, remaining header, allowed gauge, used gauge, rate_limit_type, identity)
_V3_LIMITS = tuple(
    (
        f"x-ratelimit-{scope}-limit-{kind}",
        f"x-ratelimit-{scope}-remaining-{kind}",
        allowed,
        used,
        kind,
        identity,
    )
    for scope, allowed, used, identity in _V3_SCOPES
    for kind in ("requests", "tokens")
)
# (gauge, header) of the provider's remaining requests and tokens.
_REMAINING_HEADERS = (
    (families.DEPLOYMENT_REMAINING_REQUESTS, "x_ratelimit_remaining_requests"),
    (families.DEPLOYMENT_REMAINING_TOKENS, "x_ratelimit_remaining_tokens"),
)
_DEPLOYMENT_KEYS = (
    attr.MODEL_GROUP,
    attr.REQUEST_MODEL,
    attr.MODEL_ID,
    attr.API_BASE,
    attr.PROVIDER_NAME,
)


def _guarded(method: _F) -> _F:
    """Run a hook, never letting an exception escape into LiteLLM."""

    if inspect.iscoroutinefunction(method):

        @functools.wraps(method)
        async def guarded_async(self: MetricsCallback, *args: Any, **kwargs: Any) -> Any:
            try:
                return await method(self, *args, **kwargs)
            except Exception as error:
                self._report_error(method.__name__, error)
                return None

        return guarded_async  # type: ignore[return-value]

    @functools.wraps(method)
    def guarded(self: MetricsCallback, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except Exception as error:
            self._report_error(method.__name__, error)
            return None

    return guarded  # type: ignore[return-value]


def _guarded_awaitable(method: Callable[..., None]) -> Callable[..., Coroutine[Any, Any, None]]:
    """A hook LiteLLM awaits whose work is synchronous, guarded as :func:`_guarded` does:
    one coroutine per call instead of two (a failure's whole recording costs a few µs)."""

    @functools.wraps(method)
    async def guarded_awaitable(self: MetricsCallback, *args: Any, **kwargs: Any) -> None:
        try:
            method(self, *args, **kwargs)
        except Exception as error:
            self._report_error(method.__name__, error)

    return guarded_awaitable


def _pick(source: Mapping[str, str], keys: tuple[str, ...]) -> dict[str, str]:
    return {key: source[key] for key in keys if key in source}


class MetricsCallback(CustomLogger):  # type: ignore[misc]
    """A LiteLLM ``CustomLogger`` that records otel_litellm's instruments."""

    def __init__(self, instruments: Instruments, reader: PayloadReader) -> None:
        super().__init__()
        self.instruments = instruments
        self.reader = reader
        # One log budget per kind of message, so a flood of dropped values never
        # hides a hook failure: kind -> [last logged (monotonic), suppressed since].
        self._log_budgets: dict[str, list[float]] = {}
        # Attempts seen, in two generations: the current one and the one before it.
        self._failures_seen: dict[tuple[object, ...], None] = {}
        self._failures_before: dict[tuple[object, ...], None] = {}
        self._failures_lock = threading.Lock()
        # id of a shared Failure -> (the Failure, its bound recordings)
        self._failure_recordings: dict[int, tuple[Failure, Callable[[], None]]] = {}

    # -- LiteLLM hooks -----------------------------------------------------

    @_guarded
    async def async_log_success_event(
        self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        event = self.record_success(kwargs)
        router = proxy_router()  # LiteLLM asks only the proxy's Router
        if event is not None and event.model_group and router is not None:
            await self.record_router_remaining(event, router)

    @_guarded
    def log_success_event(
        self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        self.record_success(kwargs)  # LiteLLM calls the sync hooks for sync calls only

    @_guarded_awaitable
    def async_log_failure_event(
        self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        self.record_failure(kwargs)

    @_guarded
    def log_failure_event(
        self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        self.record_failure(kwargs)

    @_guarded_awaitable
    def async_post_call_failure_hook(
        self,
        request_data: Any,
        original_exception: Any,
        user_api_key_dict: Any,
        traceback_str: Any = None,
    ) -> None:
        self.record_proxy_failure(mapping(request_data), original_exception, user_api_key_dict)

    @_guarded_awaitable
    def log_success_fallback_event(
        self, original_model_group: Any, kwargs: Any, original_exception: Any
    ) -> None:
        self.record_fallback(
            families.FALLBACK_SUCCESSES, original_model_group, kwargs, original_exception
        )

    @_guarded_awaitable
    def log_failure_fallback_event(
        self, original_model_group: Any, kwargs: Any, original_exception: Any
    ) -> None:
        self.record_fallback(
            families.FALLBACK_FAILURES, original_model_group, kwargs, original_exception
        )

    @_guarded
    def increment_callback_logging_failure(self, callback_name: Any) -> None:
        # LiteLLM calls this on the first callback that has it when another callback fails.
        attributes: dict[str, str] = {}
        put(attributes, attr.CALLBACK_NAME, callback_name)
        self.instruments.record(families.CALLBACK_LOGGING_FAILURES, 1, attributes)

    # -- recording ---------------------------------------------------------

    def record_success(self, kwargs: Mapping[str, Any]) -> Success | None:
        """Record a success event; returns the event as read (None if unreadable)."""
        event = self.reader.success(mapping(kwargs))  # anything but a dict records nothing
        if event is None:
            self._drop("success event without standard_logging_object")
            return None
        inst, base = self.instruments, event.base
        inst.record(families.PROXY_REQUESTS, 1, event.proxy)
        inst.record(families.REQUESTS, 1, base)
        self._add(families.SPEND, event.cost, base)
        self._add(families.USAGE_TOTAL_TOKENS, event.total_tokens or 0, base)
        self._add(families.USAGE_INPUT_TOKENS, event.prompt_tokens or 0, base)
        self._add(families.USAGE_OUTPUT_TOKENS, event.completion_tokens or 0, base)
        # Each piece maps its own fields: an odd one loses that piece, not the event.
        for piece in (
            self._record_token_details,
            self._record_latency,
            self._record_deployment_success,
            self._record_cache,
            self._record_zero_cost,
            self._record_mcp,
            self._record_budgets,
            self._record_rate_limits,
        ):
            try:
                piece(event)
            except Exception as error:
                self._report_error(f"record_success{piece.__name__}", error)
        return event

    def record_failure(self, kwargs: Mapping[str, Any]) -> Failure | None:
        """Record a failure event; returns the event as read (None if LiteLLM records nothing)."""
        kwargs = mapping(kwargs)  # LiteLLM passes a dict; anything else records nothing
        event = self.reader.failure(kwargs)
        if event is None or not self._first_report(kwargs):
            return None  # an invalid key (LiteLLM records nothing), or a second report
        # A shared event's recordings are bound once (its attribute sets never change).
        prepared = self._failure_recordings.get(id(event)) if event.shared else None
        if prepared is None or prepared[0] is not event:
            prepared = (event, self._failure_recordings_of(event))
            if event.shared:
                if len(self._failure_recordings) >= 4096:
                    self._failure_recordings.clear()
                self._failure_recordings[id(event)] = prepared
        prepared[1]()
        return event

    def _failure_recordings_of(self, event: Failure) -> Callable[[], None]:
        """What a failure records, bound to its attribute sets."""
        base, deployment = event.base, event.deployment
        recordings: list[tuple[str, float, Mapping[str, str]]] = [
            (families.LLM_API_FAILED_REQUESTS, 1, base)
        ]
        if event.zero_cost_reason:
            zero_cost = {**base, attr.REASON: event.zero_cost_reason}
            recordings.append((families.ZERO_COST_REQUESTS, 1, zero_cost))
        if event.outage is not None:
            recordings.append((families.DEPLOYMENT_STATE, PARTIAL_OUTAGE, event.outage))
        if event.raised:
            recordings.append((families.DEPLOYMENT_FAILURES, 1, deployment))
        recordings.append((families.DEPLOYMENT_REQUESTS, 1, deployment))
        return self.instruments.bind_all(recordings)

    def record_proxy_failure(
        self, request_data: Mapping[str, Any], exception: Any, auth: Any
    ) -> None:
        status = exception_status(exception) or "None"
        meta = mapping(request_data.get("metadata"))
        attributes: dict[str, str] = {}
        put(
            attributes,
            attr.END_USER_ID,
            getattr(auth, "end_user_id", None) if self.reader.end_user_enabled() else None,
        )
        put(attributes, attr.USER_ID, getattr(auth, "user_id", None))
        if self.reader.user_email_enabled():
            put(attributes, attr.USER_EMAIL, getattr(auth, "user_email", None))
        if not auth_failure(exception):
            put(attributes, attr.API_KEY_HASH, hashed_key(getattr(auth, "api_key", None)))
        put(attributes, attr.API_KEY_ALIAS, getattr(auth, "key_alias", None))
        put(attributes, attr.TEAM_ID, getattr(auth, "team_id", None))
        put(attributes, attr.TEAM_ALIAS, getattr(auth, "team_alias", None))
        put(attributes, attr.ORG_ID, getattr(auth, "org_id", None))
        put(attributes, attr.ORG_ALIAS, getattr(auth, "organization_alias", None))
        put(attributes, attr.MODEL_GROUP, bounded_model(request_data.get("model")))
        put(attributes, attr.ROUTE, getattr(auth, "request_route", None))
        put(attributes, attr.CLIENT_ADDRESS, meta.get("requester_ip_address"))
        put(attributes, attr.USER_AGENT, meta.get("user_agent"))
        put(attributes, attr.MODEL_ID, proxy_failure_model_id(request_data))
        put(attributes, attr.PROVIDER_NAME, failure_provider(request_data, exception))
        put(attributes, attr.EXCEPTION_STATUS, status)
        put(attributes, attr.ERROR_TYPE, exception_class(exception))
        put(attributes, attr.STATUS_CODE, status)
        self.reader.add_custom(attributes, {"metadata": meta, "request_tags": meta.get("tags")})
        self.instruments.record(families.PROXY_FAILED_REQUESTS, 1, attributes)
        self.instruments.record(families.PROXY_REQUESTS, 1, attributes)

    def record_fallback(
        self, name: str, original_model_group: Any, kwargs: Any, exception: Any
    ) -> None:
        kwargs = mapping(kwargs)
        meta = mapping(kwargs.get("metadata")) or mapping(kwargs.get("litellm_metadata"))
        attributes: dict[str, str] = {}
        put(
            attributes,
            attr.MODEL_GROUP,
            bounded_model(original_model_group, router_originated=True),
        )
        put(attributes, attr.FALLBACK_MODEL, kwargs.get("model"))
        put(
            attributes,
            attr.API_KEY_HASH,
            hashed_key(meta.get("user_api_key_hash") or meta.get("user_api_key")),
        )
        put(attributes, attr.API_KEY_ALIAS, meta.get("user_api_key_alias"))
        put(attributes, attr.TEAM_ID, meta.get("user_api_key_team_id"))
        put(attributes, attr.TEAM_ALIAS, meta.get("user_api_key_team_alias"))
        put(attributes, attr.EXCEPTION_STATUS, getattr(exception, "status_code", None))
        put(attributes, attr.ERROR_TYPE, exception_class(exception))
        self.instruments.record(name, 1, attributes)

    # -- pieces of a success: each maps fields of the event to instruments -----

    def _record_token_details(self, event: Success) -> None:
        base = event.base
        for name, amount in event.usage_amounts:
            self.instruments.record(name, amount, base)
        if self.instruments.enabled(families.GEN_AI_CLIENT_TOKEN_USAGE):
            for kind, value in (
                ("input", event.prompt_tokens),
                ("output", event.completion_tokens),
            ):
                tokens = number(value)
                if tokens is not None and tokens >= 0:
                    self.instruments.record(
                        families.GEN_AI_CLIENT_TOKEN_USAGE, tokens, {**base, attr.TOKEN_TYPE: kind}
                    )

    def _record_latency(self, event: Success) -> None:
        base = event.base
        if event.stream:
            self._observe(families.GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK, event.ttft, base)
        self._observe(families.GEN_AI_CLIENT_OPERATION_DURATION, event.api_duration, base)
        self._observe(families.GEN_AI_SERVER_REQUEST_DURATION, event.total_duration, base)
        if event.queue_time is not None:
            self.instruments.record(families.REQUEST_QUEUE_TIME, event.queue_time, base)

    def _record_deployment_success(self, event: Success) -> None:
        inst, deployment = self.instruments, event.deployment
        if event.tpm is not None or event.rpm is not None:
            limits = _pick(deployment, _DEPLOYMENT_KEYS)
            if event.tpm is not None:
                inst.set(families.DEPLOYMENT_TPM_LIMIT, event.tpm, limits)
            if event.rpm is not None:
                inst.set(families.DEPLOYMENT_RPM_LIMIT, event.rpm, limits)
        for name, field in _REMAINING_HEADERS:
            value = self._header(name, event.headers.get(field))
            if value is not None:
                inst.set(name, value, deployment)
        overhead_ms = event.overhead_ms
        if overhead_ms:
            inst.record(families.OVERHEAD_DURATION, overhead_ms / 1000, deployment)
        if overhead_ms or event.guardrail_seconds:
            inst.record(
                families.OVERHEAD_WITH_GUARDRAILS_DURATION,
                (overhead_ms or 0) / 1000 + event.guardrail_seconds,
                deployment,
            )
        inst.set(families.DEPLOYMENT_STATE, HEALTHY, _pick(deployment, DEPLOYMENT_STATE_KEYS))
        inst.record(families.DEPLOYMENT_SUCCESSES, 1, deployment)
        inst.record(families.DEPLOYMENT_REQUESTS, 1, deployment)
        output_tokens = number(event.completion_tokens)
        if output_tokens and output_tokens > 0 and event.generation is not None:
            inst.record(
                families.DEPLOYMENT_LATENCY_PER_OUTPUT_TOKEN,
                event.generation / output_tokens,
                deployment,
            )

    def _record_cache(self, event: Success) -> None:
        if event.cache_hit is True:
            self.instruments.record(families.CACHE_HITS, 1, event.base)
            self._add(families.CACHE_TOKENS, event.total_tokens or 0, event.base)
        elif event.cache_hit is False:
            self.instruments.record(families.CACHE_MISSES, 1, event.base)

    def _record_zero_cost(self, event: Success) -> None:
        self._count_zero_cost(event.zero_cost_reason, event.base)

    def _count_zero_cost(self, reason: str | None, base: Mapping[str, str]) -> None:
        if reason:
            self.instruments.record(families.ZERO_COST_REQUESTS, 1, {**base, attr.REASON: reason})

    def _record_mcp(self, event: Success) -> None:
        call = event.mcp_call
        if not call:
            return
        attributes = dict(event.base)
        put(attributes, attr.TOOL_NAME, call.get("name"))
        put(attributes, attr.MCP_SERVER, call.get("mcp_server_name"))
        self.instruments.record(families.MCP_TOOL_CALLS, 1, attributes)
        cost = number(event.cost)
        if cost is not None and cost > 0:
            self.instruments.record(families.MCP_TOOL_CALL_SPEND, cost, attributes)

    def _record_budgets(self, event: Success) -> None:
        base, meta = event.base, event.metadata
        cost = number(event.cost) or 0.0
        for spend_key, max_keys, reset_key, identity, gauges in _BUDGETS:
            if reset_key not in meta and not any(k in meta for k in max_keys):
                continue  # no budget and no reset time: nothing to show (most keys)
            labels = _pick(base, identity)
            if identity[0] not in labels:
                continue
            max_budget = next(
                (n for n in (number(meta.get(k)) for k in max_keys) if n is not None), None
            )
            spend = number(meta.get(spend_key))
            self._set_budget(gauges, max_budget, spend, cost, meta.get(reset_key), labels)
        end_user = base.get(attr.END_USER_ID)
        if end_user is not None:
            spend, max_budget = end_user_budget(end_user)
            if max_budget is None:
                max_budget = number(meta.get("user_api_end_user_max_budget"))
            labels = {attr.END_USER_ID: end_user}
            self._set_budget(_END_USER_BUDGET, max_budget, spend, cost, None, labels)

    def _set_budget(
        self,
        gauges: tuple[str, str, str],
        max_budget: float | None,
        spend: float | None,
        cost: float,
        reset_at: object,
        labels: Mapping[str, str],
    ) -> None:
        inst = self.instruments
        max_name, remaining_name, hours_name = gauges
        if max_budget is not None:  # no budget: no series (LiteLLM writes +Inf)
            inst.set(max_name, max_budget, labels)
            inst.set(remaining_name, max_budget - (spend or 0.0) - cost, labels)
        hours = _hours_until(reset_at)
        if hours is not None:
            inst.set(hours_name, hours, labels)

    async def record_router_remaining(self, event: Success, router: Any) -> None:
        """Remaining requests/tokens from the proxy Router's rpm/tpm usage, when the
        provider sent no rate-limit headers (Bedrock, Vertex, text completion...)."""
        missing = [
            (name, field)
            for name, field in _REMAINING_HEADERS
            if event.headers.get(field) is None and self.instruments.enabled(name)
        ]
        if not missing:
            return
        usage = mapping(
            await asyncio.wait_for(
                router.get_remaining_model_group_usage(event.model_group), timeout=2.0
            )
        )
        for name, field in missing:
            value = self._header(name, usage.get(field.replace("_", "-")))
            if value is not None:
                self.instruments.set(name, value, event.deployment)

    def _record_rate_limits(self, event: Success) -> None:
        inst, base, headers, meta = self.instruments, event.base, event.headers, event.metadata
        group = base.get(attr.MODEL_GROUP)
        key_model = _pick(base, (attr.API_KEY_HASH, attr.API_KEY_ALIAS, attr.MODEL_ID))
        if group is not None and attr.API_KEY_HASH in key_model:
            key_model[attr.REQUEST_MODEL] = group
            for kind, gauge in _KEY_MODEL_REMAINING:
                remaining = self._header(
                    gauge,
                    meta.get(f"litellm-key-remaining-{kind}-{group}")
                    if meta.get(f"litellm-key-remaining-{kind}-{group}") is not None
                    else headers.get(f"x-ratelimit-model_per_key-remaining-{kind}"),
                )
                if remaining is not None:
                    inst.set(gauge, remaining, key_model)
        for limit_header, left_header, allowed, used, kind, identity in _V3_LIMITS:
            if limit_header not in headers:  # LiteLLM's v3 limiter is off, or not this scope
                continue
            limit = self._header(allowed, headers.get(limit_header))
            left = self._header(used, headers.get(left_header))
            if limit is None or left is None:
                continue
            labels = _pick(base, identity)
            if labels:
                labels[attr.RATE_LIMIT_TYPE] = kind
                inst.set(allowed, limit, labels)
                inst.set(used, limit - left, labels)

    # -- helpers -------------------------------------------------------------

    def _first_report(self, kwargs: Mapping[str, Any]) -> bool:
        """False for the second report of one failure.

        LiteLLM's proxy hands a request it rejects before routing (unknown model,
        malformed body, bad or missing key) to both failure handlers, the sync one
        in a thread, with the same ``model_call_details`` dict.  LiteLLM's own
        logger overrides only the async hook and so counts it once; so do we,
        keyed by the attempt: its ``litellm_call_id`` and start time (a Router retry
        keeps the call id but starts later), and the dict itself.
        """
        call_id = kwargs.get("litellm_call_id")
        if not isinstance(call_id, str):
            return True
        start = kwargs.get("start_time")
        key = (id(kwargs), call_id, start if isinstance(start, (datetime, float, str)) else None)
        with self._failures_lock:
            if key in self._failures_seen or key in self._failures_before:
                return False
            self._failures_seen[key] = None
            if len(self._failures_seen) >= 4096:  # forget the older half at once, not one by one
                self._failures_before, self._failures_seen = self._failures_seen, {}
        return True

    def _add(self, name: str, value: object, attributes: Mapping[str, str]) -> None:
        amount = number(value)
        if amount is None or amount < 0:
            self._drop(f"{name}: not a finite non-negative number: {value!r:.40}")
            return
        self.instruments.record(name, amount, attributes)

    def _header(self, name: str, value: object) -> float | None:
        """A header's number; a present but unusable one is counted as dropped."""
        if value is None:
            return None
        amount = number(_int_header(value))
        if amount is None:
            self._drop(f"{name}: not a finite number: {value!r:.40}")
        return amount

    def _add_positive(self, name: str, value: object, attributes: Mapping[str, str]) -> None:
        if value is None:  # most usage details, on most requests
            return
        amount = number(value)
        if amount is not None and amount > 0:
            self.instruments.record(name, amount, attributes)

    def _observe(self, name: str, value: float | None, attributes: Mapping[str, str]) -> None:
        if value is None:
            return
        if value < 0:
            self._drop(f"{name}: negative duration {value}")
            return
        self.instruments.record(name, value, attributes)

    def _drop(self, reason: str) -> None:
        self.instruments.dropped_points.add(1)
        self._log_limited("dropped", logging.INFO, "otel_litellm: dropped a value: %s", reason)

    def _report_error(self, hook: str, error: Exception) -> None:
        try:
            self.instruments.callback_errors.add(1, {"litellm.callback.hook": hook})
            self._log_limited(
                "hook",
                logging.WARNING,
                "otel_litellm: %s failed and was skipped: %s: %s",
                hook,
                type(error).__name__,
                str(error)[:200],
            )
        except Exception:
            pass

    def _log_limited(self, kind: str, level: int, message: str, *args: object) -> None:
        """Log each kind at most once a minute, saying how many were suppressed meanwhile."""
        now = time.monotonic()
        budget = self._log_budgets.setdefault(kind, [float("-inf"), 0])
        if now - budget[0] < 60:
            budget[1] += 1
            return
        if budget[1]:
            message += f" ({int(budget[1])} similar messages suppressed)"
        budget[0], budget[1] = now, 0
        _log.log(level, message, *args)


def _int_header(value: object) -> object:
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return None
    return value


def _hours_until(value: object) -> float | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return (value - datetime.now(timezone.utc)).total_seconds() / 3600
