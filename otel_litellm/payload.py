"""From LiteLLM callback payloads to semantic attributes and numbers.

Everything here treats its input as untrusted: any field may be missing, None
or of the wrong type.  Attribute values are always short strings; numbers are
finite floats or None.  A raw API key never leaves this module.
"""

from __future__ import annotations

import hashlib
import math
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from otel_litellm import attributes as attr

MAX_VALUE_LENGTH = 256
Attributes = dict[str, str]


def mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def text(value: object) -> str | None:
    """A label-safe string, or None for missing and non-scalar values."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        cleaned = value
    elif isinstance(value, (bool, int, float)):
        cleaned = str(value)
    else:
        return None
    if len(cleaned) > MAX_VALUE_LENGTH:
        cleaned = cleaned[:MAX_VALUE_LENGTH]
    # Invalid UTF-8 arrives as lone surrogates; they would break exporters.
    return cleaned.encode("utf-8", "replace").decode("utf-8")


def number(value: object) -> float | None:
    """A finite float, or None for anything else (bools, NaN, inf, strings)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    result = float(value)
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


def hashed_key(value: object) -> str | None:
    """LiteLLM's key hash; a raw ``sk-`` key is hashed the way LiteLLM hashes keys."""
    key = text(value)
    if key is not None and key.startswith("sk-"):
        return hashlib.sha256(key.encode()).hexdigest()
    return key


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


def exception_status(exception: object) -> str | None:
    status = getattr(exception, "status_code", None)
    if status is None:
        status = getattr(exception, "code", None)
    return text(status)


class PayloadReader:
    """Reads the attribute sets LiteLLM's payloads carry, under the user's settings."""

    def __init__(
        self,
        *,
        end_user_labels: bool | None = None,
        user_email_labels: bool = True,
        custom_metadata_labels: Sequence[str] = (),
        custom_tags: Sequence[str] = (),
    ) -> None:
        self._end_user_labels = end_user_labels
        self._user_email_labels = user_email_labels
        # "metadata.foo.bar" -> (("foo", "bar"), semantic key)
        self._metadata_paths = [
            (tuple(label.split(".")[1:]), attr.attribute_for_label(custom_label_name(label)))
            for label in custom_metadata_labels
        ]
        self._tags = [(tag, attr.attribute_for_label(custom_tag_label(tag))) for tag in custom_tags]

    def user_email_enabled(self) -> bool:
        return self._user_email_labels

    def end_user_enabled(self) -> bool:
        if self._end_user_labels is not None:
            return self._end_user_labels
        import litellm

        # LiteLLM's own switches: end-user labels are opt-in there.
        if getattr(litellm, "disable_end_user_cost_tracking", False):
            return False
        return bool(getattr(litellm, "enable_end_user_cost_tracking_prometheus_only", False))

    def request(self, kwargs: Mapping[str, Any], slp: Mapping[str, Any]) -> Attributes:
        """Identity, model and deployment attributes of one LLM call."""
        meta = mapping(slp.get("metadata"))
        params = mapping(kwargs.get("litellm_params"))
        out: Attributes = {}
        put(out, attr.API_KEY_HASH, hashed_key(meta.get("user_api_key_hash")))
        put(out, attr.API_KEY_ALIAS, meta.get("user_api_key_alias"))
        put(out, attr.TEAM_ID, meta.get("user_api_key_team_id"))
        put(out, attr.TEAM_ALIAS, meta.get("user_api_key_team_alias"))
        put(out, attr.USER_ID, meta.get("user_api_key_user_id"))
        if self._user_email_labels:
            put(out, attr.USER_EMAIL, meta.get("user_api_key_user_email"))
        put(out, attr.ORG_ID, meta.get("user_api_key_org_id"))
        put(out, attr.ORG_ALIAS, meta.get("user_api_key_org_alias"))
        put(out, attr.PROJECT_ID, meta.get("user_api_key_project_id"))
        put(out, attr.PROJECT_ALIAS, meta.get("user_api_key_project_alias"))
        if self.end_user_enabled():
            end_user = params.get("user_api_key_end_user_id") or meta.get(
                "user_api_key_end_user_id"
            )
            put(out, attr.END_USER_ID, end_user)
        put(out, attr.REQUEST_MODEL, kwargs.get("model"))
        put(out, attr.MODEL_GROUP, slp.get("model_group"))
        put(out, attr.MODEL_ID, slp.get("model_id"))
        put(out, attr.API_BASE, slp.get("api_base"))
        put(out, attr.PROVIDER_NAME, slp.get("custom_llm_provider"))
        put(out, attr.OPERATION_NAME, _operation(slp.get("call_type")))
        put(out, attr.SERVICE_TIER, service_tier(slp))
        put(out, attr.ROUTE, meta.get("user_api_key_request_route"))
        put(out, attr.CLIENT_ADDRESS, meta.get("requester_ip_address"))
        put(out, attr.USER_AGENT, meta.get("user_agent"))
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
            present = set(tags) if isinstance(tags, list) else set()
            for tag, key in self._tags:
                out[key] = "true" if _tag_matches(tag, present) else "false"


def custom_label_name(metadata_path: str) -> str:
    """LiteLLM's label for a ``metadata.foo.bar`` custom label: ``metadata_foo_bar``."""
    return _sanitize(metadata_path.replace(".", "_"))


def custom_tag_label(tag: str) -> str:
    return _sanitize("tag_" + tag)


def _sanitize(name: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in name)
    return cleaned if not cleaned[:1].isdigit() else "_" + cleaned


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


def service_tier(slp: Mapping[str, Any]) -> str | None:
    served = mapping(slp.get("response")).get("service_tier")
    if served is None:
        served = mapping(mapping(slp.get("metadata")).get("usage_object")).get("service_tier")
    if isinstance(served, str) and served:
        return served
    requested = mapping(slp.get("model_parameters")).get("service_tier")
    return requested if requested in _SERVICE_TIERS else None


def usage_details(slp: Mapping[str, Any]) -> Mapping[str, Any]:
    return mapping(mapping(slp.get("metadata")).get("usage_object"))


def ratelimit_headers(slp: Mapping[str, Any]) -> Mapping[str, Any]:
    return mapping(mapping(slp.get("hidden_params")).get("additional_headers"))


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
    # Only a running proxy has a router to ask; never import the proxy on a request path.
    proxy_server = sys.modules.get("litellm.proxy.proxy_server")
    llm_router = getattr(proxy_server, "llm_router", None)
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
