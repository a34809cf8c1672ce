"""From LiteLLM callback payloads to semantic attributes and numbers.

Everything here treats its input as untrusted: any field may be missing, None
or of the wrong type.  Attribute values are always short strings; numbers are
finite floats or None.  A raw API key never leaves this module.
"""

from __future__ import annotations

import hashlib
import math
import re
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any, NamedTuple

from otel_litellm import attributes as attr
from otel_litellm import families
from otel_litellm.deployment_auth import deployment_refused

MAX_VALUE_LENGTH = 256


def litellm_version() -> tuple[int, ...]:
    """The installed LiteLLM's version, as numbers (``(0,)`` when unknown)."""
    from importlib import metadata

    try:
        release = metadata.version("litellm")
    except metadata.PackageNotFoundError:
        return (0,)
    parts = re.findall(r"\d+", release.split("+")[0])[:3]
    return tuple(int(part) for part in parts) or (0,)


# LiteLLM behaviour that changed between versions, decided once from the installed one.
# 1.109 labels a (fallback) success on litellm_proxy_total_requests_metric with the group
# the client asked for; 1.106 with the group that answered.
ORIGINAL_GROUP_ON_PROXY_REQUESTS = litellm_version() >= (1, 109)
# A proxy failure's model_id: metadata.model_info, else the request's own model_info
# (1.106+), else, from 1.108, its logging payload.
PROXY_FAILURE_MODEL_ID_FROM_PAYLOAD = litellm_version() >= (1, 108)
# LiteLLM's mark on a request the proxy turned down before routing (an unknown key, say):
# it names the group's deployment, but none was picked, so none is in outage.
REJECTED_BEFORE_ROUTING = "proxy_rejected_before_routing"
# 1.110's exception for a request that never reached a deployment, whatever it names.
NOT_ROUTED_ERRORS = frozenset({"MalformedRequestFieldError"})
Attributes = dict[str, str]


_NOTHING: Mapping[str, Any] = MappingProxyType({})


def mapping(value: object) -> Mapping[str, Any]:
    if type(value) is dict:  # LiteLLM's payloads are plain dicts: skip the ABC check
        return value
    if value is None:  # the usual absent field: the ABC check is slow on a miss too
        return _NOTHING
    return value if isinstance(value, Mapping) else _NOTHING


def text(value: object) -> str | None:
    """A label-safe string, or None for missing and non-scalar values."""
    if type(value) is str:
        cleaned = value
    elif value is None:
        return None
    elif isinstance(value, str):
        cleaned = str.__str__(value)
    elif isinstance(value, (bool, int, float)):
        try:
            cleaned = str(value)
        except ValueError:  # an int with more digits than Python will print
            return None
    else:
        return None
    if not cleaned:
        return None
    if len(cleaned) > MAX_VALUE_LENGTH:
        cleaned = cleaned[:MAX_VALUE_LENGTH]
    if cleaned.isascii():
        return cleaned
    # Invalid UTF-8 arrives as lone surrogates; they would break exporters.
    return cleaned.encode("utf-8", "replace").decode("utf-8")


def number(value: object) -> float | None:
    """A finite float, or None for anything else (bools, NaN, inf, strings, 10**400)."""
    if type(value) is float:  # the common cases first: this runs ~30 times a request
        return value if math.isfinite(value) else None
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        result = float(value)
    except OverflowError:  # an int too large for a float
        return None
    return result if math.isfinite(result) else None


def seconds_between(start: object, end: object) -> float | None:
    if isinstance(start, datetime) and isinstance(end, datetime):
        try:
            return (end - start).total_seconds()
        except TypeError:  # naive vs aware datetimes
            return None
    start_n, end_n = number(start), number(end)
    if start_n is not None and end_n is not None:
        return end_n - start_n
    return None


# LiteLLM's key hash (sha256 hex), its JWT form, and names LiteLLM puts in the
# key field that are not credentials; anything else is hashed before use.
_KEY_HASH = re.compile(r"(hashed-jwt-)?[0-9a-f]{64}")
_NOT_CREDENTIALS = frozenset({"litellm_proxy_master_key", "failed-to-connect-to-db"})


def hashed_key(value: object) -> str | None:
    """A ``hashed_api_key`` value that can never be a credential.

    A LiteLLM key hash passes through; every other string (``sk-`` keys, Google
    ``AIza`` keys, Azure hex keys, ``Bearer ...``, passwords) is SHA-256 hashed the
    way LiteLLM hashes ``sk-`` keys, after dropping a ``Bearer`` prefix and spaces.
    """
    if not isinstance(value, str):
        value = text(value)  # a number is no less a secret than a string
        if value is None:
            return None
    if not value:
        return None
    if _KEY_HASH.fullmatch(value) or value in _NOT_CREDENTIALS:
        return value
    key = value.strip()
    if key[:7].lower() == "bearer ":
        key = key[7:].strip()
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


# LiteLLM's rule for "the request's key is invalid": a 401, or an auth message its
# proxy raises before turning the error into a ProxyException.  LiteLLM records no
# request, deployment or spend metric for such a request; neither do we.
_INVALID_KEY_MESSAGES = (
    "virtual key expected",
    "expected to start with 'sk-'",
    "authentication error",
    "invalid api key",
    "api key not valid",
)
# Wider, for the key label only: every way the proxy refuses a credential.  An invalid
# virtual key without a database is a 400 ``no_db_connection``, not a 401.
_INVALID_KEY_STATUSES = frozenset({"401"})
_AUTH_STATUSES = frozenset({*_INVALID_KEY_STATUSES, "403"})
_AUTH_ERROR_TYPES = frozenset({"auth_error", "expired_key", "no_db_connection"})
_REFUSED_MESSAGES = ("no api key passed in", "invalid proxy server token")  # and the invalid ones


# How the proxy treated a request's credential: accepted; refused (so no key label); or
# invalid, LiteLLM's rule, which records nothing of the request.
ACCEPTED, REFUSED, INVALID = 0, 1, 2


def _refusal(exception: object, status: str | None) -> int:
    """LiteLLM's invalid-key rule and the wider refused-credential rule in one pass
    (every invalid key is also refused); ``status`` is ``exception_status(exception)``."""
    if exception is None:
        return ACCEPTED
    if status in _INVALID_KEY_STATUSES:
        return INVALID
    refused = status in _AUTH_STATUSES
    try:
        refused = getattr(exception, "type", None) in _AUTH_ERROR_TYPES or refused
        message = str(exception)[:500].lower()
    except Exception:  # an exception object that cannot describe itself
        return REFUSED if refused else ACCEPTED
    for pattern in _INVALID_KEY_MESSAGES:
        if pattern in message:
            return INVALID
    if refused:
        return REFUSED
    for pattern in _REFUSED_MESSAGES:
        if pattern in message:
            return REFUSED
    return ACCEPTED


def refusal(exception: object) -> int:
    """``ACCEPTED``, ``REFUSED`` or ``INVALID``: how the proxy treated the credential."""
    try:
        status = exception_status(exception)
    except Exception:
        return ACCEPTED
    return _refusal(exception, status)


def auth_failure(exception: object) -> bool:
    """Whether ``exception`` rejected the request's credential (so no key label)."""
    return refusal(exception) != ACCEPTED


def put(target: Attributes, key: str, value: object) -> None:
    cleaned = text(value)
    if cleaned is not None:
        target[key] = cleaned


def exception_class(exception: object) -> str | None:
    """LiteLLM's exception_class label: ``Provider.ClassName`` where a provider is known."""
    if not isinstance(exception, BaseException):
        return text(exception) if isinstance(exception, str) else None
    pinned = getattr(exception, "prometheus_exception_class_name", None)
    if isinstance(pinned, str) and pinned:
        return pinned
    name = type(exception).__name__
    if name == "BudgetExceededError":
        return name
    provider = getattr(exception, "llm_provider", None)
    if isinstance(provider, str) and provider:
        return f"{provider[0].upper()}{provider[1:]}.{name}"
    return name


_STATUSES = tuple(map(str, range(1000)))  # an HTTP status's label, made once


def exception_status(exception: object) -> str | None:
    status = getattr(exception, "status_code", None)
    if type(status) is int and 0 <= status < 1000:  # an HTTP status, as it nearly always is
        return _STATUSES[status]
    if status is None:
        status = getattr(exception, "code", None)
    return text(status)


def proxy_failure_model_id(request_data: Mapping[str, Any]) -> object:
    """The deployment a failed proxy request reached, where the installed LiteLLM looks."""
    deployment = mapping(mapping(request_data.get("metadata")).get("model_info"))
    found = deployment.get("id") or mapping(request_data.get("model_info")).get("id")
    if found or not PROXY_FAILURE_MODEL_ID_FROM_PAYLOAD:
        return found
    return mapping(request_data.get("standard_logging_object")).get("model_id")


def failure_provider(request_data: Mapping[str, Any], exception: object) -> str | None:
    """The provider of a request the proxy failed, where LiteLLM finds one: the resolved
    deployment's, the partial logging payload's, or a provider's rate-limit error."""
    for source in ("litellm_params", "standard_logging_object"):
        provider = text(mapping(request_data.get(source)).get("custom_llm_provider"))
        if provider:
            return provider
    from litellm.exceptions import RateLimitError

    if isinstance(exception, RateLimitError):
        provider = text(getattr(exception, "llm_provider", None))
        if provider != "litellm_proxy":  # LiteLLM's own limiter, not a provider
            return provider
    return None


# The request metadata fields an attribute set is built from, in _build's order.
_IDENTITY_FIELDS = (
    "user_api_key_hash", "user_api_key_alias", "user_api_key_team_id",
    "user_api_key_team_alias", "user_api_key_user_id", "user_api_key_user_email",
    "user_api_key_org_id", "user_api_key_org_alias", "user_api_key_project_id",
    "user_api_key_project_alias", "user_api_key_request_route", "requester_ip_address",
    "user_agent",
)  # fmt: skip
_ATTRIBUTE_SETS = 4096  # cleaned attribute sets kept for reuse
# The attributes of litellm_deployment_state.
DEPLOYMENT_STATE_KEYS = (attr.REQUEST_MODEL, attr.MODEL_ID, attr.API_BASE, attr.PROVIDER_NAME)


class Success(NamedTuple):
    """One LiteLLM success event, read once: every field the success families need.

    A named tuple, not a frozen dataclass: as immutable, and built in a quarter of the
    time (a frozen dataclass sets each of its fields through ``object.__setattr__``).

    Attribute sets are built once per request and shared by every family (each
    family keeps only its own keys).  Numbers the families count are kept as sent
    (``cost``, ``*_tokens``) so the recorder can count a malformed one as dropped;
    everything else is already parsed, and a field that cannot be read is None.
    """

    base: Attributes  # identity, model and deployment of the call
    deployment: Attributes  # base, with the provider LiteLLM resolved for the call
    proxy: Attributes  # base, as litellm_proxy_total_requests_metric labels it
    cost: object
    total_tokens: object
    prompt_tokens: object
    completion_tokens: object
    usage_amounts: tuple[tuple[str, float], ...]  # (family, positive amount) of the usage
    metadata: Mapping[str, Any]  # litellm_params.metadata: budgets, limits, queue time
    headers: Mapping[str, Any]  # the provider's rate-limit headers
    model_group: str | None
    stream: bool
    ttft: float | None  # api call start -> first chunk (streams)
    api_duration: float | None  # api call start -> end
    total_duration: float | None  # start -> end, plus time queued before LiteLLM
    queue_time: float | None
    generation: float | None  # start -> first chunk (streams) or end
    tpm: float | None  # the deployment's configured limits
    rpm: float | None
    overhead_ms: float | None
    guardrail_seconds: float
    cache_hit: object
    zero_cost_reason: str | None
    mcp_call: Mapping[str, Any]


class Failure(NamedTuple):
    """One LiteLLM failure event, read once: every field the failure families need.

    A named tuple, as ``Success`` is.  Events with the same raw values share one
    ``Failure`` (see ``PayloadReader.failure``): its attribute sets are never modified.
    """

    base: Mapping[str, str]  # identity, model and deployment; no key on a refused credential
    deployment: Mapping[str, str]  # base as the deployment families label it, with the error
    outage: Mapping[str, str] | None  # the deployment now in partial outage; None if none picked
    zero_cost_reason: str | None
    raised: bool  # an exception came with the event: the deployment failure is counted
    shared: bool = False  # this very value is returned for each event with its raw values


class PayloadReader:
    """Reads LiteLLM's payloads into attribute sets and values, under the user's settings."""

    def __init__(
        self,
        *,
        end_user_labels: bool | None = None,
        user_email_labels: bool = True,
        custom_metadata_labels: Sequence[str] = (),
        custom_tags: Sequence[str] = (),
    ) -> None:
        self._end_user_labels = end_user_labels
        # litellm_proxy_total_requests_metric's requested_model on a (fallback) success:
        # the group the client asked for (metadata.original_model_group) from 1.109.
        self.original_group_on_proxy_requests = ORIGINAL_GROUP_ON_PROXY_REQUESTS
        self._user_email_labels = user_email_labels
        self._attribute_sets: dict[tuple[Any, ...], Attributes] = {}
        self._failures: dict[tuple[Any, ...], Failure] = {}
        # "metadata.foo.bar" -> (("foo", "bar"), semantic key)
        self._metadata_paths = [
            (
                tuple(_metadata_path(label).split(".")),
                attr.attribute_for_label(custom_label_name(label)),
            )
            for label in dict.fromkeys(custom_metadata_labels)
        ]
        self._custom = bool(custom_metadata_labels or custom_tags)
        self._tags = [
            (tag, attr.attribute_for_label(custom_tag_label(tag)))
            for tag in dict.fromkeys(custom_tags)
        ]

    def user_email_enabled(self) -> bool:
        return self._user_email_labels

    def end_user_enabled(self) -> bool:
        if self._end_user_labels is not None:
            return self._end_user_labels
        # LiteLLM's own switches: end-user labels are opt-in there (and off in a process
        # that has not imported LiteLLM, so nothing imports it here).
        litellm = sys.modules.get("litellm")
        if getattr(litellm, "disable_end_user_cost_tracking", False):
            return False
        return bool(getattr(litellm, "enable_end_user_cost_tracking_prometheus_only", False))

    def success(self, kwargs: Mapping[str, Any]) -> Success | None:
        """The success event in ``kwargs``; None without a standard logging payload."""
        slp = kwargs.get("standard_logging_object")
        if not isinstance(slp, Mapping):
            return None
        params = mapping(kwargs.get("litellm_params"))
        meta = mapping(params.get("metadata"))
        base = self.request(kwargs, slp)
        deployment = dict(base)
        put(deployment, attr.PROVIDER_NAME, params.get("custom_llm_provider"))
        put(deployment, attr.REQUESTED_MODEL, base.get(attr.MODEL_GROUP))
        proxy = {**base, attr.STATUS_CODE: "200"}
        if self.original_group_on_proxy_requests:
            put(proxy, attr.MODEL_GROUP, meta.get("original_model_group"))
        stream = kwargs.get("stream") is True
        start, end = kwargs.get("start_time"), kwargs.get("end_time")
        api_start = kwargs.get("api_call_start_time")
        first = kwargs.get("completion_start_time") if stream else None
        ttft = seconds_between(api_start, first) if stream else None
        queue = number(meta.get("queue_time_seconds"))
        queue = queue if queue is not None and queue >= 0 else None
        total = seconds_between(start, end)
        hidden = mapping(slp.get("hidden_params"))
        model_info = mapping(meta.get("model_info"))
        slp_meta = mapping(slp.get("metadata"))
        return Success(
            base=base,
            deployment=deployment,
            proxy=proxy,
            cost=slp.get("response_cost"),
            total_tokens=slp.get("total_tokens"),
            prompt_tokens=slp.get("prompt_tokens"),
            completion_tokens=slp.get("completion_tokens"),
            usage_amounts=usage_amounts(mapping(slp_meta.get("usage_object"))),
            metadata=meta,
            headers=mapping(hidden.get("additional_headers")),
            model_group=text(slp.get("model_group")),
            stream=stream,
            ttft=ttft,
            api_duration=seconds_between(api_start, end),
            total_duration=total + queue if total is not None and queue is not None else total,
            queue_time=queue,
            generation=seconds_between(start, first if first is not None else end),
            tpm=number(model_info.get("tpm")) or number(params.get("tpm")),
            rpm=number(model_info.get("rpm")) or number(params.get("rpm")),
            overhead_ms=number(hidden.get("litellm_overhead_time_ms")),
            guardrail_seconds=_additive_guardrail_seconds(slp.get("guardrail_information")),
            cache_hit=slp.get("cache_hit"),
            zero_cost_reason=text(mapping(slp.get("zero_cost_diagnostic")).get("reason")),
            mcp_call=mapping(slp_meta.get("mcp_tool_call_metadata")),
        )

    def failure(self, kwargs: Mapping[str, Any]) -> Failure | None:
        """The failure event in ``kwargs``; None when LiteLLM records nothing of it
        (the request's key is invalid; not when the provider refused the deployment's).

        An exception whose own attributes raise is not described: that raises here.
        Events with the same raw values share one ``Failure`` (bounded, as attribute
        sets are), except those rejected before a deployment was picked, whose model
        labels depend on the proxy's router at the time.
        """
        exception = kwargs.get("exception")
        status = exception_status(exception)
        credential = _refusal(exception, status)
        if credential != ACCEPTED and deployment_refused(exception, kwargs):
            credential = ACCEPTED  # the provider refused the deployment's key, not the client's
        if credential == INVALID:
            return None
        slp = mapping(kwargs.get("standard_logging_object"))
        params = mapping(kwargs.get("litellm_params"))
        # No failure family carries the service tier: not read, and not part of the set.
        raw = self._raw(kwargs, slp, params, tier=False)
        error = None if exception is None else (exception_class(exception), status)
        diagnostic = slp.get("zero_cost_diagnostic")  # None on nearly every failure
        reason = None if diagnostic is None else mapping(diagnostic).get("reason")
        routed = (
            not params.get(REJECTED_BEFORE_ROUTING)
            and type(exception).__name__ not in NOT_ROUTED_ERRORS  # LiteLLM subclasses neither
        )
        read = (raw, slp, params, credential, error, reason, routed)
        if self._custom:
            return self._read_failure(*read)
        meta = mapping(params.get("metadata"))
        key = (raw, credential, params.get("custom_llm_provider"),
               mapping(meta.get("model_info")).get("id"), error, reason, routed)  # fmt: skip
        try:
            event = self._failures.get(key)
        except TypeError:  # an unhashable value: read it, keep nothing
            return self._read_failure(*read)
        if event is None:
            event = self._read_failure(*read)
            if event.outage is not None:
                if len(self._failures) >= _ATTRIBUTE_SETS:
                    self._failures.clear()
                event = self._failures[key] = event._replace(shared=True)
        return event

    def _read_failure(
        self,
        raw: tuple[Any, ...],
        slp: Mapping[str, Any],
        params: Mapping[str, Any],
        credential: int,
        error: tuple[str | None, str | None] | None,
        reason: object,
        routed: bool,
    ) -> Failure:
        base = self._attributes(raw, slp)
        if credential == REFUSED and attr.API_KEY_HASH in base:
            base = dict(base)
            del base[attr.API_KEY_HASH]  # the refused credential, in any form
        deployment = dict(base)
        meta = mapping(params.get("metadata"))
        if attr.MODEL_ID not in base:
            put(deployment, attr.MODEL_ID, mapping(meta.get("model_info")).get("id"))
        put(deployment, attr.PROVIDER_NAME, params.get("custom_llm_provider"))
        outage: Attributes | None = None
        if routed and attr.MODEL_ID in deployment:
            outage = {k: deployment[k] for k in DEPLOYMENT_STATE_KEYS if k in deployment}
            put(
                deployment,
                attr.REQUESTED_MODEL,
                deployment.get(attr.MODEL_GROUP) or deployment.get(attr.REQUEST_MODEL),
            )
        else:  # rejected before a deployment was picked: no deployment labels
            group = slp.get("model_group") or meta.get("model_group")
            named = deployment.pop(attr.REQUEST_MODEL, None) or group
            for key in (attr.MODEL_GROUP, attr.MODEL_ID, attr.API_BASE, attr.PROVIDER_NAME):
                deployment.pop(key, None)
            # The client's strings, bounded as LiteLLM bounds them.
            put(deployment, attr.MODEL_GROUP, bounded_model(group, router_originated=True))
            put(deployment, attr.REQUESTED_MODEL, bounded_model(named, router_originated=True))
        if error is not None:
            put(deployment, attr.ERROR_TYPE, error[0])
            put(deployment, attr.EXCEPTION_STATUS, error[1])
        return Failure(
            base=base,
            deployment=deployment,
            outage=outage,
            zero_cost_reason=text(reason),
            raised=error is not None,
        )

    def request(self, kwargs: Mapping[str, Any], slp: Mapping[str, Any]) -> Attributes:
        """Identity, model and deployment attributes of one LLM call (a fresh dict)."""
        raw = self._raw(kwargs, slp, mapping(kwargs.get("litellm_params")))
        return self._build(raw, slp) if self._custom else dict(self._attributes(raw, slp))

    def _raw(
        self,
        kwargs: Mapping[str, Any],
        slp: Mapping[str, Any],
        params: Mapping[str, Any],
        *,
        tier: bool = True,
    ) -> tuple[Any, ...]:
        """The raw values an attribute set is built from, in ``_build``'s order."""
        meta = mapping(slp.get("metadata"))
        end_user = (
            params.get("user_api_key_end_user_id") or meta.get("user_api_key_end_user_id")
            if self.end_user_enabled()
            else None
        )
        return (
            end_user,
            kwargs.get("model"),
            slp.get("model_group"),
            slp.get("model_id"),
            slp.get("api_base"),
            slp.get("custom_llm_provider"),
            slp.get("call_type"),
            service_tier(slp, meta) if tier else None,
            *map(meta.get, _IDENTITY_FIELDS),
        )

    def _attributes(self, raw: tuple[Any, ...], slp: Mapping[str, Any]) -> Attributes:
        """The cleaned set for ``raw``: shared, never to be modified.

        The same key, team and deployment send the same raw values request after
        request, so the cleaned set is kept per tuple of raw values (bounded); with
        custom labels configured it is built each time.
        """
        if self._custom:
            return self._build(raw, slp)
        try:
            cached = self._attribute_sets.get(raw)
        except TypeError:  # an unhashable value: build it, keep nothing
            return self._build(raw, slp)
        if cached is None:
            if len(self._attribute_sets) >= _ATTRIBUTE_SETS:
                self._attribute_sets.clear()
            cached = self._attribute_sets[raw] = self._build(raw, slp)
        return cached

    def _build(self, raw: tuple[Any, ...], slp: Mapping[str, Any]) -> Attributes:
        (end_user, model, group, model_id, api_base, provider, call_type, tier,
         key, alias, team, team_alias, user, email, org, org_alias, project,
         project_alias, route, client, agent) = raw  # fmt: skip
        out: Attributes = {}
        put(out, attr.API_KEY_HASH, hashed_key(key))
        put(out, attr.API_KEY_ALIAS, alias)
        put(out, attr.TEAM_ID, team)
        put(out, attr.TEAM_ALIAS, team_alias)
        put(out, attr.USER_ID, user)
        if self._user_email_labels:
            put(out, attr.USER_EMAIL, email)
        put(out, attr.ORG_ID, org)
        put(out, attr.ORG_ALIAS, org_alias)
        put(out, attr.PROJECT_ID, project)
        put(out, attr.PROJECT_ALIAS, project_alias)
        put(out, attr.END_USER_ID, end_user)
        put(out, attr.REQUEST_MODEL, model)
        put(out, attr.MODEL_GROUP, group)
        put(out, attr.MODEL_ID, model_id)
        put(out, attr.API_BASE, api_base)
        put(out, attr.PROVIDER_NAME, provider)
        put(out, attr.OPERATION_NAME, _operation(call_type))
        put(out, attr.SERVICE_TIER, tier)
        put(out, attr.ROUTE, route)
        put(out, attr.CLIENT_ADDRESS, client)
        put(out, attr.USER_AGENT, agent)
        self.add_custom(out, slp)
        return out

    def add_custom(self, out: Attributes, slp: Mapping[str, Any]) -> None:
        if self._metadata_paths:
            merged = custom_metadata(slp)
            for path, key in self._metadata_paths:
                value: Any = merged
                for part in path:
                    value = mapping(value).get(part)
                if isinstance(value, str):  # LiteLLM only labels string values
                    put(out, key, value)
        if self._tags:
            tags = slp.get("request_tags")
            # Only strings can match a configured tag; a list or dict in the tags is ignored.
            present = {t for t in tags if isinstance(t, str)} if isinstance(tags, list) else set()
            for tag, key in self._tags:
                out[key] = "true" if _tag_matches(tag, present) else "false"


def _metadata_path(label: str) -> str:
    # As LiteLLM reads it: "metadata.a.b" and "a.b" both name metadata["a"]["b"].
    return label[len("metadata.") :] if label.startswith("metadata.") else label


def custom_label_name(metadata_path: str) -> str:
    """LiteLLM's label for a ``metadata.foo.bar`` custom label: ``metadata_foo_bar``."""
    return sanitize_label_name(metadata_path)


def custom_tag_label(tag: str) -> str:
    """LiteLLM's label for a custom tag: ``User-Agent: curl/*`` -> ``tag_User_Agent__curl__``."""
    return sanitize_label_name("tag_" + tag)


_INVALID_LABEL_CHARACTER = re.compile(r"[^a-zA-Z0-9_]")


def sanitize_label_name(name: str) -> str:
    """LiteLLM's ``sanitize_prometheus_label_name``: every character outside
    ``[a-zA-Z0-9_]`` (non-ASCII letters included) becomes ``_``; a leading digit gets ``_``."""
    cleaned = _INVALID_LABEL_CHARACTER.sub("_", name)
    if cleaned[:1].isdigit():
        cleaned = "_" + cleaned
    return cleaned or "_"


def check_custom_labels(metadata_labels: Sequence[str], tags: Sequence[str]) -> None:
    """Refuse custom labels whose exposition names collide, naming both inputs.

    Two configured names that become one label (``本番``/``開発`` -> ``tag___``,
    ``env:prod``/``env: prod``) would put a label twice on one sample, and Prometheus
    then rejects the whole scrape; this is checked when settings are built instead.
    Names are compared as LiteLLM writes them and as the OpenTelemetry Prometheus
    exporter writes them (it folds each run of ``_`` and other characters into one
    ``_``), so they stay distinct on every export path.
    """
    seen: dict[str, str] = {}
    given = [(str(label), custom_label_name(str(label))) for label in metadata_labels]
    given += [(f"tag {tag!s}", custom_tag_label(str(tag))) for tag in tags]
    for source, label in given:
        for form in {label, _FOLDED.sub("_", label)}:
            first = seen.setdefault(form, source)
            if first != source:
                raise ValueError(
                    f"custom labels {first!r} and {source!r} both become the Prometheus "
                    f"label {form!r}; rename one of them (every character outside "
                    "[a-zA-Z0-9] becomes '_', as in LiteLLM's own label names)"
                )


_FOLDED = re.compile(r"[^a-zA-Z0-9]+")


def _tag_matches(pattern: str, tags: set[Any]) -> bool:
    if pattern in tags:
        return True
    if "*" in pattern:
        import fnmatch

        return any(isinstance(tag, str) and fnmatch.fnmatchcase(tag, pattern) for tag in tags)
    return False


def custom_metadata(slp: Mapping[str, Any]) -> dict[str, Any]:
    meta = mapping(slp.get("metadata"))
    merged: dict[str, Any] = {
        key: value for key, value in meta.items() if isinstance(value, (str, int, float))
    }
    for source in ("requester_metadata", "user_api_key_auth_metadata", "spend_logs_metadata"):
        merged.update(mapping(meta.get(source)))
    return merged


_OPERATIONS = {
    "completion": "chat",
    "acompletion": "chat",
    "text_completion": "text_completion",
    "atext_completion": "text_completion",
    "embedding": "embeddings",
    "aembedding": "embeddings",
    "responses": "chat",
    "aresponses": "chat",
    "image_generation": "generate_content",
    "aimage_generation": "generate_content",
}


def _operation(call_type: object) -> str | None:
    return _OPERATIONS.get(call_type) if isinstance(call_type, str) else None


_SERVICE_TIERS = frozenset({"auto", "default", "flex", "priority", "scale", "standard"})


def service_tier(slp: Mapping[str, Any], meta: Mapping[str, Any] | None = None) -> str | None:
    """The tier that served the call, else the one asked for; ``meta`` is the payload's
    metadata where the caller has it already."""
    served = mapping(slp.get("response")).get("service_tier")
    if served is None:
        meta = mapping(slp.get("metadata")) if meta is None else meta
        served = mapping(meta.get("usage_object")).get("service_tier")
    if isinstance(served, str) and served:
        return served
    requested = mapping(slp.get("model_parameters")).get("service_tier")
    return requested if requested in _SERVICE_TIERS else None


# Usage details counted when positive: family, then where in LiteLLM's usage object
# (section, field), the first positive one counting.  "" is the usage object itself.
_USAGE_AMOUNTS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (families.USAGE_INPUT_CACHED_TOKENS, (("prompt", "cached_tokens"),)),
    (families.USAGE_INPUT_CACHE_CREATION_TOKENS,
     (("prompt", "cache_write_tokens"), ("prompt", "cache_creation_tokens"))),
    (families.USAGE_INPUT_AUDIO_TOKENS, (("prompt", "audio_tokens"),)),
    (families.USAGE_OUTPUT_REASONING_TOKENS, (("completion", "reasoning_tokens"),)),
    (families.USAGE_OUTPUT_AUDIO_TOKENS, (("completion", "audio_tokens"),)),
    (families.USAGE_VIDEO_DURATION, (("", "duration_seconds"),)),
    (families.USAGE_IMAGES_GENERATED, (("", "output_image_count"),)),
    (families.PROVIDER_CACHE_READ_INPUT_TOKENS,
     (("", "cache_read_input_tokens"), ("prompt", "cached_tokens"))),
    (families.PROVIDER_CACHE_CREATION_INPUT_TOKENS,
     (("", "cache_creation_input_tokens"), ("prompt", "cache_write_tokens"),
      ("prompt", "cache_creation_tokens"))),
)  # fmt: skip


def usage_amounts(usage: Mapping[str, Any]) -> tuple[tuple[str, float], ...]:
    """(family, amount) for each usage detail ``usage`` holds a positive number for."""
    if not usage:
        return ()
    sections = {
        "": usage,
        "prompt": mapping(usage.get("prompt_tokens_details")),
        "completion": mapping(usage.get("completion_tokens_details")),
    }
    found = []
    for family, places in _USAGE_AMOUNTS:
        for section, field in places:
            value = sections[section].get(field)
            if value is not None:
                amount = number(value)
                if amount is not None and amount > 0:
                    found.append((family, amount))
                    break
    return tuple(found)


def _additive_guardrail_seconds(information: object) -> float:
    """Seconds of pre- and post-call guardrails (the ones that add to a request's latency)."""
    if information is None:
        return 0.0
    entries = information if isinstance(information, list) else [information]
    total = 0.0
    for entry in entries:
        entry = mapping(entry)
        modes = entry.get("guardrail_mode")
        modes = modes if isinstance(modes, list) else [modes]
        if modes and all(mode in ("pre_call", "post_call") for mode in modes):
            total += number(entry.get("duration")) or 0.0
    return total


def proxy_router() -> Any:
    """The running proxy's Router, or None; never imports the proxy on a request path."""
    return getattr(sys.modules.get("litellm.proxy.proxy_server"), "llm_router", None)


def end_user_budget(end_user_id: str) -> tuple[float | None, float | None]:
    """(spend, max budget) of a customer, from the proxy's in-memory auth cache.

    Where LiteLLM's logger reads them; no lookup beyond process memory, so a
    request never waits on Redis or the database for a metric.
    """
    proxy_server = sys.modules.get("litellm.proxy.proxy_server")
    cache = getattr(getattr(proxy_server, "user_api_key_cache", None), "in_memory_cache", None)
    if cache is None:
        return None, None
    try:
        customer = cache.get_cache(key=f"end_user_id:{end_user_id}")
    except Exception:
        return None, None
    if customer is None:
        return None, None
    if not isinstance(customer, Mapping):
        customer = getattr(customer, "__dict__", {})
    table = customer.get("litellm_budget_table")
    if table is not None and not isinstance(table, Mapping):
        table = getattr(table, "__dict__", {})
    return number(customer.get("spend")), number(mapping(table).get("max_budget"))


UNRECOGNIZED_MODEL = "other"


def bounded_model(requested: object, router_originated: bool = False) -> str | None:
    """A client-supplied model name, or ``other`` unless the proxy's router knows it.

    Clients can send any string as ``model``; labelling failures with it would
    let them mint unbounded series.
    """
    if requested is None or requested == "":
        return None
    if not isinstance(requested, str):
        return UNRECOGNIZED_MODEL
    llm_router = proxy_router()
    if llm_router is None:
        return text(requested) if router_originated else UNRECOGNIZED_MODEL
    try:
        if llm_router.is_recognized_model(requested) or (
            llm_router.pattern_router.route(requested) is not None
        ):
            return text(requested)
    except Exception:
        pass
    return UNRECOGNIZED_MODEL
