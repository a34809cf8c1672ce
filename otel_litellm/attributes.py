"""Semantic attribute keys, and the LiteLLM label each one becomes.

Instruments are recorded with semantic keys (OTel GenAI conventions where they
exist, ``litellm.*`` otherwise).  The ``litellm`` naming renames them to the
label names LiteLLM's Prometheus integration uses, at export time, because an
OTel View can filter attribute keys but cannot rename them.
"""

from __future__ import annotations

from typing import Final

from opentelemetry.semconv._incubating.attributes import gen_ai_attributes as gen_ai

# -- request identity (from LiteLLM's auth metadata) -------------------------
API_KEY_HASH: Final = "litellm.api_key.hash"
API_KEY_ALIAS: Final = "litellm.api_key.alias"
TEAM_ID: Final = "litellm.team.id"
TEAM_ALIAS: Final = "litellm.team.alias"
USER_ID: Final = "user.id"
USER_EMAIL: Final = "user.email"
END_USER_ID: Final = "litellm.end_user.id"
ORG_ID: Final = "litellm.org.id"
ORG_ALIAS: Final = "litellm.org.alias"
PROJECT_ID: Final = "litellm.project.id"
PROJECT_ALIAS: Final = "litellm.project.alias"

# -- model and deployment ----------------------------------------------------
OPERATION_NAME: Final = gen_ai.GEN_AI_OPERATION_NAME
REQUEST_MODEL: Final = gen_ai.GEN_AI_REQUEST_MODEL  # the model LiteLLM asked the provider for
PROVIDER_NAME: Final = gen_ai.GEN_AI_PROVIDER_NAME
MODEL_GROUP: Final = "litellm.model_group"  # the model the client asked LiteLLM for
# On the deployment families: the model group, or (rejected before routing, no group)
# the model the client named, bounded.
REQUESTED_MODEL: Final = "litellm.requested_model"
MODEL_ID: Final = "litellm.model_id"
API_BASE: Final = "litellm.api_base"
SERVICE_TIER: Final = "litellm.service_tier"
TOKEN_TYPE: Final = gen_ai.GEN_AI_TOKEN_TYPE

# -- the HTTP request to the proxy -------------------------------------------
STATUS_CODE: Final = "http.response.status_code"
ROUTE: Final = "http.route"
CLIENT_ADDRESS: Final = "client.address"
USER_AGENT: Final = "user_agent.original"
STREAM: Final = "litellm.stream"

# -- failures ----------------------------------------------------------------
ERROR_TYPE: Final = "error.type"
EXCEPTION_STATUS: Final = "litellm.exception.status"
RATE_LIMIT_CATEGORY: Final = "litellm.rate_limit.category"

# -- routing, limits, features ---------------------------------------------
FALLBACK_MODEL: Final = "litellm.fallback.model"
RATE_LIMIT_TYPE: Final = "litellm.rate_limit.type"
GUARDRAIL_NAME: Final = "litellm.guardrail.name"
GUARDRAIL_STATUS: Final = "litellm.guardrail.status"
GUARDRAIL_HOOK: Final = "litellm.guardrail.hook_type"
TOOL_NAME: Final = gen_ai.GEN_AI_TOOL_NAME
MCP_SERVER: Final = "litellm.mcp.server.name"
CALLBACK_NAME: Final = "litellm.callback.name"
REASON: Final = "litellm.reason"
RESULT: Final = "litellm.result"
FILE_PURPOSE: Final = "litellm.file.purpose"
FILE_TYPE: Final = "litellm.file.type"
INPUT_SEQUENCE_LENGTH: Final = "litellm.input_sequence_length"

# -- the database gauges (otel_litellm.db) -------------------------------------
API_KEY_NAME: Final = "litellm.api_key.name"  # LiteLLM's masked key, sk-...abcd
USER_ALIAS: Final = "litellm.user.alias"
ENTITY_TYPE: Final = "litellm.entity.type"
ENTITY_ID: Final = "litellm.entity.id"
ENTITY_ALIAS: Final = "litellm.entity.alias"
BASE_MODEL: Final = "litellm.base_model"
MODEL_MODE: Final = "litellm.model.mode"
REQUEST_TAG: Final = "litellm.request.tag"
DB_QUERY: Final = "litellm.db.query"
DB_REFRESHER: Final = "litellm.db.refresher"
QUANTILE: Final = "litellm.quantile"

# Custom labels configured by the user live under these prefixes; the label
# name is derived the way LiteLLM derives it (``metadata.foo`` -> ``metadata_foo``).
METADATA_PREFIX: Final = "litellm.metadata."
TAG_PREFIX: Final = "litellm.tag."

# LiteLLM label name -> semantic attribute key.  Several labels may read the
# same attribute: LiteLLM reports one value under two names in some families
# (``model_group``/``requested_model``, ``model``/``litellm_model_name``).
LABEL_TO_ATTRIBUTE: Final[dict[str, str]] = {
    "hashed_api_key": API_KEY_HASH,
    "api_key_alias": API_KEY_ALIAS,
    "team": TEAM_ID,
    "team_alias": TEAM_ALIAS,
    "user": USER_ID,
    "user_email": USER_EMAIL,
    "end_user": END_USER_ID,
    "org_id": ORG_ID,
    "org_alias": ORG_ALIAS,
    "project_id": PROJECT_ID,
    "project_alias": PROJECT_ALIAS,
    "model": REQUEST_MODEL,
    "litellm_model_name": REQUEST_MODEL,
    "model_group": MODEL_GROUP,
    "requested_model": MODEL_GROUP,
    "model_id": MODEL_ID,
    "api_base": API_BASE,
    "api_provider": PROVIDER_NAME,
    "service_tier": SERVICE_TIER,
    "status_code": STATUS_CODE,
    "route": ROUTE,
    "client_ip": CLIENT_ADDRESS,
    "user_agent": USER_AGENT,
    "stream": STREAM,
    "exception_class": ERROR_TYPE,
    "exception_status": EXCEPTION_STATUS,
    "rate_limit_category": RATE_LIMIT_CATEGORY,
    "fallback_model": FALLBACK_MODEL,
    "rate_limit_type": RATE_LIMIT_TYPE,
    "guardrail_name": GUARDRAIL_NAME,
    "status": GUARDRAIL_STATUS,
    "hook_type": GUARDRAIL_HOOK,
    "error_type": ERROR_TYPE,
    "mcp_tool_name": TOOL_NAME,
    "mcp_server_name": MCP_SERVER,
    "callback_name": CALLBACK_NAME,
    "reason": REASON,
    "result": RESULT,
    "purpose": FILE_PURPOSE,
    "file_type": FILE_TYPE,
    "input_sequence_length": INPUT_SEQUENCE_LENGTH,
    # the database gauges: one spelling per label across request and database families
    "team_id": TEAM_ID,
    "key_alias": API_KEY_ALIAS,
    "user_id": USER_ID,
    "organization_id": ORG_ID,
    "organization_alias": ORG_ALIAS,
    "key_name": API_KEY_NAME,
    "user_alias": USER_ALIAS,
    "entity_type": ENTITY_TYPE,
    "entity_id": ENTITY_ID,
    "entity_alias": ENTITY_ALIAS,
    "base_model": BASE_MODEL,
    "mode": MODEL_MODE,
    "tag": REQUEST_TAG,
    "query": DB_QUERY,
    "refresher": DB_REFRESHER,
    "quantile": QUANTILE,
}


def attribute_for_label(label: str) -> str:
    """The semantic key a LiteLLM label is read from (custom labels included).

    Every LiteLLM label has a row in ``LABEL_TO_ATTRIBUTE``; an unknown label is a
    KeyError rather than an invented key, so one label never has two spellings.
    """
    known = LABEL_TO_ATTRIBUTE.get(label)
    if known is not None:
        return known
    if label.startswith("metadata_"):
        return METADATA_PREFIX + label[len("metadata_") :]
    if label.startswith("tag_"):
        return TAG_PREFIX + label[len("tag_") :]
    raise KeyError(f"no semantic attribute for LiteLLM label {label!r}")
