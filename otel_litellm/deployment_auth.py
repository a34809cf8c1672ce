"""Whether a failure is the provider refusing the deployment's own credential.

LiteLLM's logger records no request or deployment metric for a failure that looks like
an invalid key (a 401, or one of its auth messages).  From 1.110 it keeps those raised
while calling the provider with the deployment's own credential: that is a broken
deployment (a revoked or rotated provider key), not a client with a bad key.  1.106
drops them, so a deployment failing every call with a 401 never shows as failing; we
keep them on every version (docs/compatibility.md).

The rule, as LiteLLM 1.110 decides it: an OpenAI-style API error, on a call that
reached the provider (or whose Azure Entra token was refused on the way), made with no
credential or endpoint of the caller's.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _fields(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else _EMPTY


# Body fields through which a caller calls the provider with a credential of their own,
# or at an endpoint of their own (LiteLLM 1.110's lists).
CALLER_CREDENTIAL_FIELDS = frozenset({
    "aws_access_key_id", "aws_secret_access_key", "aws_session_token",
    "aws_web_identity_token", "azure_ad_token", "azure_password", "azure_scope",
    "azure_username", "client_id", "client_secret", "gigachat_access_token",
    "litellm_credential_name", "oci_fingerprint", "oci_key", "oci_key_file", "oci_tenancy",
    "oci_user", "tenant_id", "token", "user_config", "vertex_ai_credentials",
    "vertex_credentials", "watsonx_credentials", "wx_credentials", "zen_api_key",
    "aws_bedrock_runtime_endpoint", "aws_sts_endpoint", "deployment_url", "s3_endpoint_url",
    "sagemaker_base_url",
})  # fmt: skip
# The request fields LiteLLM 1.110 lists under proxy_server_request.caller_credential_fields
# when they change how the provider authenticates the call.
CALLER_TRANSPORT_FIELDS = frozenset(
    {"api_key", "extra_headers", "headers", "organization", "provider_specific_header"}
)
# Before 1.110 that list is not logged: a key or organization in the body stands for it.
CALLER_BODY_TRANSPORT_FIELDS = frozenset({"api_key", "organization"})

NO_UPSTREAM_CALL = "litellm_no_upstream_llm_call"  # 1.110's mark on a proxy-only failure
COPILOT_USER_SESSION = "github_copilot_user_session"
CALLER_REFUSED = "CallerCredentialAuthenticationError"  # the caller's own stored credential
ENTRA_REFUSED = "EntraRejectionError"  # Azure refused the deployment's Entra token
CHAIN_DEPTH = 16  # exception links followed, as LiteLLM bounds it


def _named(exception: BaseException, name: str) -> bool:
    return any(cls.__name__ == name for cls in type(exception).__mro__)


def _api_error(exception: object) -> bool:
    openai = sys.modules.get("openai")  # not imported: no error of its kind can exist
    return openai is not None and isinstance(exception, openai.APIError)


def _request_failure(link: BaseException) -> bool:
    httpx = sys.modules.get("httpx")
    return _api_error(link) or (httpx is not None and isinstance(link, httpx.HTTPError))


def _attempt(error: BaseException) -> Iterator[BaseException]:
    """``error`` and its causes up to the one that ended an earlier attempt."""
    yield error
    link = error.__cause__ or error.__context__
    for _ in range(CHAIN_DEPTH - 1):
        if link is None:
            return
        ends_attempt = _request_failure(link) or type(link) is type(error)
        if ends_attempt and not _named(link, ENTRA_REFUSED):
            return
        yield link
        link = link.__cause__ or link.__context__


def _caller_credential(kwargs: Mapping[str, Any]) -> bool:
    params = _fields(kwargs.get("litellm_params"))
    request = _fields(params.get("proxy_server_request"))
    body = _fields(request.get("body"))
    sent = {*body, *_fields(body.get("extra_body"))}
    listed = request.get("caller_credential_fields")
    transport = (
        any(type(field) is str and field in CALLER_TRANSPORT_FIELDS for field in listed)
        if isinstance(listed, tuple)
        else not CALLER_BODY_TRANSPORT_FIELDS.isdisjoint(body)
    )
    meta = _fields(_fields(kwargs.get("standard_logging_object")).get("metadata"))
    return (
        transport
        or not CALLER_CREDENTIAL_FIELDS.isdisjoint(sent)
        or bool(params.get("token_exchange_endpoint"))
        or meta.get("used_client_oauth_token") is True
        or params.get(COPILOT_USER_SESSION) is not None
    )


def deployment_refused(exception: object, kwargs: Mapping[str, Any]) -> bool:
    """Whether ``exception`` came from the provider refusing the deployment's credential
    (LiteLLM 1.110's rule); False for anything it cannot read."""
    if not isinstance(exception, BaseException) or not _api_error(exception):
        return False
    if _named(exception, CALLER_REFUSED):
        return False
    if kwargs.get(NO_UPSTREAM_CALL):
        return False
    if kwargs.get("api_call_start_time") is None and not any(
        _named(link, ENTRA_REFUSED) for link in _attempt(exception)
    ):
        return False
    return not _caller_credential(kwargs)
