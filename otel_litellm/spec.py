"""The metric table: one row per LiteLLM Prometheus family.

Instruments, views, the naming rewrite and docs/metrics.md are all generated
from ``METRICS``.  A row names the semantic instrument that is recorded, the
LiteLLM family (and label names) it is exported as in the ``litellm`` naming,
and where its value comes from.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace

from opentelemetry.semconv._incubating.metrics import gen_ai_metrics as gen_ai

from otel_litellm import attributes as attr
from otel_litellm.attributes import OPERATION_NAME, attribute_for_label


class Kind(str, enum.Enum):
    COUNTER = "counter"
    HISTOGRAM = "histogram"
    GAUGE = "gauge"  # observable: read from a bounded store at collection time


# Bucket sets LiteLLM declares (without its trailing +Inf, which the OTel SDK
# rejects at record time).  Floats, so the exported ``le`` reads "1.0" as
# prometheus_client writes it.
LATENCY_BUCKETS: tuple[float, ...] = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0,
    30.0, 60.0, 120.0, 300.0, 420.0, 600.0,
)  # fmt: skip
PER_TOKEN_BUCKETS: tuple[float, ...] = (
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
)  # fmt: skip
BATCH_DURATION_BUCKETS: tuple[float, ...] = (
    60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0,
    14400.0, 28800.0, 43200.0, 86400.0,
)  # fmt: skip

# Bucket advice of the GenAI semantic conventions, used in the semconv naming.
SEMCONV_DURATION_BUCKETS: tuple[float, ...] = (
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
)  # fmt: skip
SEMCONV_TOKEN_BUCKETS: tuple[float, ...] = (
    1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0,
    1048576.0, 4194304.0, 16777216.0, 67108864.0,
)  # fmt: skip


# litellm_deployment_state's values.
HEALTHY, PARTIAL_OUTAGE, COMPLETE_OUTAGE = 0.0, 1.0, 2.0


@dataclass(frozen=True)
class MetricSpec:
    """One metric family: what is recorded and how it is exported."""

    name: str  # semantic instrument name
    kind: Kind
    unit: str
    description: str
    litellm_name: str  # LiteLLM family name, without the ``_total`` sample suffix
    labels: tuple[str, ...]  # LiteLLM label names, in LiteLLM's order
    source: str  # where the value comes from
    group: str  # LiteLLM metric group, for configuration and docs
    buckets: tuple[float, ...] | None = None  # litellm naming
    semconv_buckets: tuple[float, ...] | None = None  # semconv naming
    extra_attributes: tuple[str, ...] = ()  # semantic-only attributes
    # (label, attribute) pairs that override attribute_for_label, for families whose
    # label names are data (LiteLLM's service families are labelled by the service).
    label_attributes: tuple[tuple[str, str], ...] = ()
    # The code path that records the family ("MetricsCallback.record_success"), or
    # why nothing can (tests/test_table_contract.py holds every row to one of them).
    writer: str = ""
    no_writer_reason: str = ""
    attributes: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        keys = [attribute for _, attribute in self.label_map]
        keys.extend(self.extra_attributes)
        object.__setattr__(self, "attributes", tuple(dict.fromkeys(keys)))

    @property
    def sample_name(self) -> str:
        """The name a Prometheus scrape shows for the family's value samples."""
        return self.litellm_name + "_total" if self.kind is Kind.COUNTER else self.litellm_name

    @property
    def label_map(self) -> tuple[tuple[str, str], ...]:
        """(label, semantic attribute) pairs for the litellm naming."""
        override = dict(self.label_attributes)
        return tuple(
            (label, override.get(label) or attribute_for_label(label)) for label in self.labels
        )


def _labels(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Label sets shared by several families, in LiteLLM's declaration order.
PROXY_TOTAL = _labels(
    "end_user hashed_api_key api_key_alias requested_model team team_alias user status_code "
    "user_email route client_ip user_agent model_id api_provider org_id org_alias"
)
PROXY_FAILED = _labels(
    "end_user hashed_api_key api_key_alias requested_model team team_alias user user_email "
    "exception_status exception_class route client_ip user_agent model_id api_provider "
    "org_id org_alias"
)
LATENCY = _labels(
    "model_group end_user hashed_api_key api_key_alias requested_model team team_alias user "
    "model model_id api_provider service_tier org_id org_alias"
)
SPEND = _labels(
    "end_user hashed_api_key api_key_alias model team team_alias user user_email client_ip "
    "user_agent requested_model model_id api_provider service_tier org_id org_alias"
)
REQUESTS = _labels(
    "end_user hashed_api_key api_key_alias model team team_alias user user_email client_ip "
    "user_agent requested_model model_id api_provider org_id org_alias"
)
TOKENS = _labels(
    "end_user hashed_api_key api_key_alias model team team_alias user user_email "
    "requested_model model_id api_provider org_id org_alias"
)
TOKEN_DETAILS = _labels(
    "end_user hashed_api_key api_key_alias model team team_alias user user_email "
    "requested_model model_id api_provider"
)
QUEUE_TIME = _labels(
    "end_user hashed_api_key api_key_alias requested_model team team_alias user model "
    "model_id api_provider org_id org_alias"
)
DEPLOYMENT_OVERHEAD = _labels(
    "model_group api_provider api_base litellm_model_name hashed_api_key api_key_alias model_id"
)
DEPLOYMENT_REQUESTS = _labels(
    "model_group requested_model litellm_model_name model_id api_base api_provider "
    "hashed_api_key api_key_alias team team_alias client_ip user_agent"
)
# LiteLLM labels a call rejected before routing with requested_model but no model_group.
_DEPLOYMENT_REQUESTED = (("requested_model", attr.REQUESTED_MODEL),)
DEPLOYMENT_FAILURES = _labels(
    "model_group requested_model litellm_model_name model_id api_base api_provider "
    "exception_status exception_class hashed_api_key api_key_alias team team_alias "
    "client_ip user_agent"
)
DEPLOYMENT_LATENCY = _labels(
    "model_group litellm_model_name model_id api_base api_provider hashed_api_key "
    "api_key_alias team team_alias org_id org_alias"
)
FALLBACK = _labels(
    "requested_model fallback_model hashed_api_key api_key_alias team team_alias "
    "exception_status exception_class model_id"
)
CACHE = _labels(
    "model hashed_api_key api_key_alias team team_alias end_user user model_id api_provider"
)
LLM_API_FAILED = _labels(
    "end_user hashed_api_key api_key_alias model team team_alias user model_id"
)
DEPLOYMENT_STATE = _labels("litellm_model_name model_id api_base api_provider")
DEPLOYMENT_LIMIT = _labels("model_group litellm_model_name model_id api_base api_provider")
MCP = _labels(
    "mcp_tool_name mcp_server_name hashed_api_key api_key_alias team team_alias user end_user"
)
TEAM = _labels("team team_alias")
ORG = _labels("org_id org_alias")
KEY = _labels("hashed_api_key api_key_alias")
PROJECT_LIMIT = _labels("project_id project_alias requested_model rate_limit_type")
MANAGED_CREATED = _labels("model api_provider user user_email api_key_alias")

C, H, G = Kind.COUNTER, Kind.HISTOGRAM, Kind.GAUGE
_REQ, _TOK, _USD, _S = "{request}", "{token}", "USD", "s"

METRICS: tuple[MetricSpec, ...] = (
    # -- proxy requests ------------------------------------------------------
    MetricSpec("litellm.proxy.requests", C, _REQ, "Client requests to the proxy, success and failure.",
               "litellm_proxy_total_requests_metric", PROXY_TOTAL,
               "+1 per success, and per failed client request (proxy failure hook)", "proxy"),
    MetricSpec("litellm.proxy.failed_requests", C, _REQ, "Client requests the proxy answered with an error.",
               "litellm_proxy_failed_requests_metric", PROXY_FAILED,
               "+1 per failed client request (proxy failure hook)", "proxy"),
    MetricSpec("litellm.requests", C, _REQ, "LLM calls through LiteLLM (deprecated family).",
               "litellm_requests_metric", REQUESTS, "+1 per successful call", "proxy"),
    MetricSpec("litellm.llm_api.failed_requests", C, _REQ, "Failed LLM API calls (deprecated family).",
               "litellm_llm_api_failed_requests_metric", LLM_API_FAILED, "+1 per failed call", "proxy"),
    # -- latency -------------------------------------------------------------
    MetricSpec(gen_ai.GEN_AI_SERVER_REQUEST_DURATION, H, _S, "End-to-end request latency in LiteLLM.",
               "litellm_request_total_latency_metric", LATENCY,
               "end_time - start_time + metadata.queue_time_seconds", "latency",
               LATENCY_BUCKETS, SEMCONV_DURATION_BUCKETS, (OPERATION_NAME,)),
    MetricSpec(gen_ai.GEN_AI_CLIENT_OPERATION_DURATION, H, _S, "Duration of the LLM API call.",
               "litellm_llm_api_latency_metric", LATENCY, "end_time - api_call_start_time", "latency",
               LATENCY_BUCKETS, SEMCONV_DURATION_BUCKETS, (OPERATION_NAME,)),
    MetricSpec(gen_ai.GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK, H, _S, "Time to the first streamed chunk.",
               "litellm_llm_api_time_to_first_token_metric", LATENCY,
               "completion_start_time - api_call_start_time, streams only", "latency",
               LATENCY_BUCKETS, SEMCONV_DURATION_BUCKETS, (OPERATION_NAME,)),
    MetricSpec("litellm.overhead.duration", H, _S, "Latency LiteLLM adds to a request (seconds).",
               "litellm_overhead_latency_metric", DEPLOYMENT_OVERHEAD,
               "hidden_params.litellm_overhead_time_ms / 1000", "latency", LATENCY_BUCKETS),
    MetricSpec("litellm.overhead_with_guardrails.duration", H, _S,
               "Latency LiteLLM adds including pre/post-call guardrails.",
               "litellm_overhead_with_guardrails_latency_metric", DEPLOYMENT_OVERHEAD,
               "overhead + pre/post-call guardrail durations", "latency", LATENCY_BUCKETS),
    MetricSpec("litellm.request.queue_time", H, _S, "Time from arrival at the proxy to pre-call processing.",
               "litellm_request_queue_time_seconds", QUEUE_TIME, "metadata.queue_time_seconds", "latency",
               LATENCY_BUCKETS),
    MetricSpec("litellm.deployment.latency_per_output_token", H, _S, "Latency per output token.",
               "litellm_deployment_latency_per_output_token", DEPLOYMENT_LATENCY,
               "(time to first token for streams, else total) / completion_tokens", "deployment",
               PER_TOKEN_BUCKETS),
    # -- spend and tokens -----------------------------------------------------
    MetricSpec("litellm.spend", C, _USD, "Spend on LLM requests.", "litellm_spend_metric", SPEND,
               "standard_logging_object.response_cost", "spend"),
    MetricSpec("litellm.usage.total_tokens", C, _TOK, "Input plus output tokens.",
               "litellm_total_tokens_metric", TOKENS, "standard_logging_object.total_tokens", "tokens"),
    MetricSpec("litellm.usage.input_tokens", C, _TOK, "Input tokens.", "litellm_input_tokens_metric", TOKENS,
               "standard_logging_object.prompt_tokens", "tokens"),
    MetricSpec("litellm.usage.output_tokens", C, _TOK, "Output tokens.", "litellm_output_tokens_metric",
               TOKENS, "standard_logging_object.completion_tokens", "tokens"),
    MetricSpec("litellm.usage.input_cached_tokens", C, _TOK, "Input tokens the provider served from its cache.",
               "litellm_input_cached_tokens_metric", TOKEN_DETAILS,
               "usage.prompt_tokens_details.cached_tokens", "tokens"),
    MetricSpec("litellm.usage.input_cache_creation_tokens", C, _TOK,
               "Input tokens the provider wrote to its cache.", "litellm_input_cache_creation_tokens_metric",
               TOKEN_DETAILS, "usage.prompt_tokens_details.cache_write_tokens / cache_creation_tokens",
               "tokens"),
    MetricSpec("litellm.usage.input_audio_tokens", C, _TOK, "Audio input tokens.",
               "litellm_input_audio_tokens_metric", TOKEN_DETAILS,
               "usage.prompt_tokens_details.audio_tokens", "tokens"),
    MetricSpec("litellm.usage.output_reasoning_tokens", C, _TOK, "Reasoning output tokens.",
               "litellm_output_reasoning_tokens_metric", TOKEN_DETAILS,
               "usage.completion_tokens_details.reasoning_tokens", "tokens"),
    MetricSpec("litellm.usage.output_audio_tokens", C, _TOK, "Audio output tokens.",
               "litellm_output_audio_tokens_metric", TOKEN_DETAILS,
               "usage.completion_tokens_details.audio_tokens", "tokens"),
    MetricSpec("litellm.usage.video_duration", C, _S, "Seconds of video generated.",
               "litellm_video_duration_seconds_metric", TOKENS, "usage.duration_seconds", "tokens"),
    MetricSpec("litellm.usage.images_generated", C, "{image}", "Images generated.",
               "litellm_images_generated_metric", TOKENS, "usage.output_image_count", "tokens"),
    # -- LiteLLM cache and provider prompt cache ------------------------------
    MetricSpec("litellm.cache.hits", C, _REQ, "Responses served from LiteLLM's cache.",
               "litellm_cache_hits_metric", CACHE, "+1 when standard_logging_object.cache_hit", "cache"),
    MetricSpec("litellm.cache.misses", C, _REQ, "Requests LiteLLM's cache could not answer.",
               "litellm_cache_misses_metric", CACHE, "+1 when cache_hit is False", "cache"),
    MetricSpec("litellm.cache.tokens", C, _TOK, "Tokens served from LiteLLM's cache.",
               "litellm_cached_tokens_metric", CACHE, "total_tokens of cache hits", "cache"),
    MetricSpec("litellm.provider_cache.read_input_tokens", C, _TOK, "Input tokens read from the provider's cache.",
               "litellm_provider_cache_read_input_tokens_metric", CACHE,
               "usage.cache_read_input_tokens, else prompt_tokens_details.cached_tokens", "cache"),
    MetricSpec("litellm.provider_cache.creation_input_tokens", C, _TOK,
               "Input tokens written to the provider's cache.",
               "litellm_provider_cache_creation_input_tokens_metric", CACHE,
               "usage.cache_creation_input_tokens, else prompt_tokens_details.cache_write_tokens", "cache"),
    # -- budgets (observable) --------------------------------------------------
    MetricSpec("litellm.team.budget.remaining", G, _USD, "Remaining team budget.",
               "litellm_remaining_team_budget_metric", TEAM, "max_budget - spend (no series without a max budget)", "budget"),
    MetricSpec("litellm.team.budget.max", G, _USD, "Maximum team budget.", "litellm_team_max_budget_metric",
               TEAM, "team max_budget", "budget"),
    MetricSpec("litellm.team.budget.remaining_hours", G, "h", "Hours until the team budget resets.",
               "litellm_team_budget_remaining_hours_metric", TEAM, "(budget_reset_at - now) / 3600", "budget"),
    MetricSpec("litellm.team.members", G, "{member}", "Members of a team.", "litellm_team_members_metric",
               TEAM, "len(members_with_roles)", "budget"),
    MetricSpec("litellm.org.budget.remaining", G, _USD, "Remaining organization budget.",
               "litellm_remaining_org_budget_metric", ORG, "max_budget - spend", "budget"),
    MetricSpec("litellm.org.budget.max", G, _USD, "Maximum organization budget.",
               "litellm_org_max_budget_metric", ORG, "org max_budget", "budget"),
    MetricSpec("litellm.org.budget.remaining_hours", G, "h", "Hours until the organization budget resets.",
               "litellm_org_budget_remaining_hours_metric", ORG, "(budget_reset_at - now) / 3600", "budget"),
    MetricSpec("litellm.api_key.budget.remaining", G, _USD, "Remaining API key budget.",
               "litellm_remaining_api_key_budget_metric", KEY, "max_budget - spend", "budget"),
    MetricSpec("litellm.api_key.budget.max", G, _USD, "Maximum API key budget.",
               "litellm_api_key_max_budget_metric", KEY, "key max_budget", "budget"),
    MetricSpec("litellm.api_key.budget.remaining_hours", G, "h", "Hours until the API key budget resets.",
               "litellm_api_key_budget_remaining_hours_metric", KEY, "(budget_reset_at - now) / 3600", "budget"),
    MetricSpec("litellm.user.budget.remaining", G, _USD, "Remaining internal user budget.",
               "litellm_remaining_user_budget_metric", ("user",), "max_budget - spend", "budget"),
    MetricSpec("litellm.user.budget.max", G, _USD, "Maximum internal user budget.",
               "litellm_user_max_budget_metric", ("user",), "user max_budget", "budget"),
    MetricSpec("litellm.user.budget.remaining_hours", G, "h", "Hours until the user budget resets.",
               "litellm_user_budget_remaining_hours_metric", ("user",), "(budget_reset_at - now) / 3600",
               "budget"),
    MetricSpec("litellm.end_user.budget.remaining", G, _USD, "Remaining customer (end user) budget.",
               "litellm_remaining_customer_budget_metric", ("end_user",), "max_budget - spend", "budget"),
    MetricSpec("litellm.end_user.budget.max", G, _USD, "Maximum customer (end user) budget.",
               "litellm_customer_max_budget_metric", ("end_user",), "customer max_budget", "budget"),
    MetricSpec("litellm.end_user.budget.remaining_hours", G, "h", "Hours until the customer budget resets.",
               "litellm_customer_budget_remaining_hours_metric", ("end_user",),
               "(budget_reset_at - now) / 3600", "budget"),
    MetricSpec("litellm.provider.budget.remaining", G, _USD, "Remaining provider budget.",
               "litellm_provider_remaining_budget_metric", ("api_provider",), "budget_limit - spend", "budget"),
    # -- rate limits (observable) ---------------------------------------------
    MetricSpec("litellm.api_key.model.remaining_requests", G, _REQ,
               "Requests an API key may still make on a model (key model rpm limit).",
               "litellm_remaining_api_key_requests_for_model", (*KEY, "model", "model_id"),
               "metadata litellm-key-remaining-requests-<model_group>", "rate_limit"),
    MetricSpec("litellm.api_key.model.remaining_tokens", G, _TOK,
               "Tokens an API key may still use on a model (key model tpm limit).",
               "litellm_remaining_api_key_tokens_for_model", (*KEY, "model", "model_id"),
               "metadata litellm-key-remaining-tokens-<model_group>", "rate_limit"),
    MetricSpec("litellm.api_key.rate_limit.allowed", G, "1", "API key rate limit in the current window.",
               "litellm_api_key_rate_limit_allowed_metric", (*KEY, "rate_limit_type"),
               "x-ratelimit-api_key-limit-* header", "rate_limit"),
    MetricSpec("litellm.api_key.rate_limit.used", G, "1", "API key usage in the current rate limit window.",
               "litellm_api_key_rate_limit_used_metric", (*KEY, "rate_limit_type"),
               "limit - remaining from x-ratelimit-api_key-* headers", "rate_limit"),
    MetricSpec("litellm.team.rate_limit.allowed", G, "1", "Team rate limit in the current window.",
               "litellm_team_rate_limit_allowed_metric", (*TEAM, "rate_limit_type"),
               "x-ratelimit-team-limit-* header", "rate_limit"),
    MetricSpec("litellm.team.rate_limit.used", G, "1", "Team usage in the current rate limit window.",
               "litellm_team_rate_limit_used_metric", (*TEAM, "rate_limit_type"),
               "limit - remaining from x-ratelimit-team-* headers", "rate_limit"),
    MetricSpec("litellm.project.model.rate_limit.allowed", G, "1",
               "Project rate limit on a model in the current window.",
               "litellm_project_model_rate_limit_allowed_metric", PROJECT_LIMIT,
               "x-ratelimit-model_per_project-limit-* header", "rate_limit"),
    MetricSpec("litellm.project.model.rate_limit.used", G, "1",
               "Project usage on a model in the current rate limit window.",
               "litellm_project_model_rate_limit_used_metric", PROJECT_LIMIT,
               "limit - remaining from x-ratelimit-model_per_project-* headers", "rate_limit"),
    MetricSpec("litellm.deployment.remaining_requests", G, _REQ,
               "Requests the provider says remain (x-ratelimit-remaining-requests).",
               "litellm_remaining_requests_metric", DEPLOYMENT_OVERHEAD,
               "x-ratelimit-remaining-requests response header", "deployment"),
    MetricSpec("litellm.deployment.remaining_tokens", G, _TOK,
               "Tokens the provider says remain (x-ratelimit-remaining-tokens).",
               "litellm_remaining_tokens_metric", DEPLOYMENT_OVERHEAD,
               "x-ratelimit-remaining-tokens response header", "deployment"),
    # -- deployments ---------------------------------------------------------
    MetricSpec("litellm.deployment.state", G, "1", "Deployment state: 0 healthy, 1 partial, 2 complete outage.",
               "litellm_deployment_state", DEPLOYMENT_STATE,
               "0 after a success, 1 after a failure, 2 on cooldown", "deployment"),
    MetricSpec("litellm.deployment.tpm_limit", G, _TOK, "Deployment TPM limit from the config.",
               "litellm_deployment_tpm_limit", DEPLOYMENT_LIMIT, "model_info.tpm or litellm_params.tpm",
               "deployment"),
    MetricSpec("litellm.deployment.rpm_limit", G, _REQ, "Deployment RPM limit from the config.",
               "litellm_deployment_rpm_limit", DEPLOYMENT_LIMIT, "model_info.rpm or litellm_params.rpm",
               "deployment"),
    MetricSpec("litellm.deployment.cooldowns", C, "{cooldown}", "Times the router cooled a deployment down.",
               "litellm_deployment_cooled_down", (*DEPLOYMENT_STATE, "exception_status"),
               "+1 per router cooldown event", "deployment"),
    MetricSpec("litellm.deployment.requests", C, _REQ, "LLM API calls per deployment, success and failure.",
               "litellm_deployment_total_requests", DEPLOYMENT_REQUESTS, "+1 per call", "deployment",
               label_attributes=_DEPLOYMENT_REQUESTED),
    MetricSpec("litellm.deployment.successes", C, _REQ, "Successful LLM API calls per deployment.",
               "litellm_deployment_success_responses", DEPLOYMENT_REQUESTS, "+1 per success", "deployment",
               label_attributes=_DEPLOYMENT_REQUESTED),
    MetricSpec("litellm.deployment.failures", C, _REQ, "Failed LLM API calls per deployment.",
               "litellm_deployment_failure_responses", DEPLOYMENT_FAILURES, "+1 per failure", "deployment",
               label_attributes=_DEPLOYMENT_REQUESTED),
    MetricSpec("litellm.fallback.successes", C, _REQ, "Fallbacks from a model group that succeeded.",
               "litellm_deployment_successful_fallbacks", FALLBACK, "+1 per successful fallback event",
               "deployment"),
    MetricSpec("litellm.fallback.failures", C, _REQ, "Fallbacks from a model group that failed.",
               "litellm_deployment_failed_fallbacks", FALLBACK, "+1 per failed fallback event", "deployment"),
    # -- guardrails, MCP, callbacks, pricing ---------------------------------
    MetricSpec("litellm.guardrail.duration", H, _S, "Guardrail execution time.",
               "litellm_guardrail_latency_seconds", ("guardrail_name", "status", "error_type", "hook_type"),
               "guardrail run seconds", "guardrail", LATENCY_BUCKETS),
    MetricSpec("litellm.guardrail.errors", C, "{error}", "Guardrail executions that raised.",
               "litellm_guardrail_errors", ("guardrail_name", "error_type", "hook_type"),
               "+1 per guardrail error", "guardrail"),
    MetricSpec("litellm.guardrail.requests", C, _REQ, "Guardrail executions.", "litellm_guardrail_requests",
               ("guardrail_name", "status", "hook_type"), "+1 per guardrail run", "guardrail"),
    MetricSpec("litellm.mcp.tool_calls", C, "{call}", "MCP tool calls.", "litellm_mcp_tool_calls", MCP,
               "+1 per call with metadata.mcp_tool_call_metadata", "mcp"),
    MetricSpec("litellm.mcp.tool_call_spend", C, _USD, "Spend on MCP tool calls.",
               "litellm_mcp_tool_call_spend_metric", MCP, "response_cost of MCP tool calls", "mcp"),
    MetricSpec("litellm.callback.logging_failures", C, "{failure}", "Failures of other logging callbacks.",
               "litellm_callback_logging_failures_metric", ("callback_name",),
               "+1 per failed callback emission", "callbacks"),
    MetricSpec("litellm.zero_cost_requests", C, _REQ, "Requests with usage logged at zero cost on a priced model.",
               "litellm_zero_cost_requests", ("requested_model", "model", "model_id", "api_provider", "reason"),
               "standard_logging_object.zero_cost_diagnostic.reason", "spend"),
    MetricSpec("litellm.spend.capture_rate", G, "1", "Share of the provider bill LiteLLM captured as spend.",
               "litellm_spend_capture_rate", ("api_provider",), "spend capture job", "spend"),
    # -- entity counts -------------------------------------------------------
    MetricSpec("litellm.users", G, "{user}", "Users in LiteLLM.", "litellm_total_users", (),
               "user count", "entities"),
    MetricSpec("litellm.users.active", G, "{user}", "Billable users in LiteLLM.", "litellm_active_users", (),
               "billable user count", "entities"),
    MetricSpec("litellm.teams", G, "{team}", "Teams in LiteLLM.", "litellm_teams_count", (), "team count",
               "entities"),
    # -- managed batches and files -------------------------------------------
    MetricSpec("litellm.managed_batch.created", C, "{batch}", "Managed batches created.",
               "litellm_managed_batch_created", MANAGED_CREATED, "+1 per batch", "batches"),
    MetricSpec("litellm.managed_batch.duration", H, _S, "Duration of completed managed batches.",
               "litellm_managed_batch_duration_seconds", ("model", "api_provider"),
               "completed_at - created_at", "batches", BATCH_DURATION_BUCKETS),
    MetricSpec("litellm.managed_file.created", C, "{file}", "Managed files created.",
               "litellm_managed_file_created", MANAGED_CREATED, "+1 per file", "batches"),
    MetricSpec("litellm.managed_file.deleted", C, "{file}", "Managed file deletions.",
               "litellm_managed_file_deleted", ("result",), "+1 per deletion", "batches"),
    MetricSpec("litellm.managed_file.size", G, "By", "Size of the most recent managed file.",
               "litellm_managed_file_size_bytes", ("purpose", "file_type", "model", "api_provider", "user"),
               "file size in bytes", "batches"),
    MetricSpec("litellm.batch_cost.jobs_polled", G, "{batch}", "Unprocessed batches found by the last poll.",
               "litellm_check_batch_cost_jobs_polled", (), "CheckBatchCost poll", "batches"),
    MetricSpec("litellm.batch_cost.jobs_processed", C, "{batch}", "Batches cost-tracked by CheckBatchCost.",
               "litellm_check_batch_cost_jobs_processed", ("model", "api_provider"), "+1 per batch", "batches"),
    MetricSpec("litellm.batch_cost.errors", C, "{error}", "CheckBatchCost errors.",
               "litellm_check_batch_cost_errors", ("error_type",), "+1 per error", "batches"),
    MetricSpec("litellm.batch_cost.last_run", G, "s", "Unix time of the last CheckBatchCost run.",
               "litellm_check_batch_cost_last_run_timestamp", (), "time of the last run", "batches"),
)  # fmt: skip

_SUCCESS, _FAILURE = "MetricsCallback.record_success", "MetricsCallback.record_failure"
_STANDIN = "PrometheusStandIn."
# semantic name -> its writer; every family of METRICS is written by one of these.
WRITERS: dict[str, str] = {
    **dict.fromkeys(
        (spec.name for spec in METRICS if spec.group in ("spend", "tokens", "cache", "latency")),
        _SUCCESS,
    ),
    **dict.fromkeys(
        (spec.name for spec in METRICS if spec.group in ("budget", "rate_limit")), _SUCCESS
    ),
    **dict.fromkeys(
        (spec.name for spec in METRICS if spec.group in ("deployment", "mcp")), _SUCCESS
    ),
    "litellm.proxy.requests": _SUCCESS,
    "litellm.requests": _SUCCESS,
    "litellm.llm_api.failed_requests": _FAILURE,
    "litellm.deployment.failures": _FAILURE,
    "litellm.proxy.failed_requests": "MetricsCallback.record_proxy_failure",
    "litellm.fallback.successes": "MetricsCallback.record_fallback",
    "litellm.fallback.failures": "MetricsCallback.record_fallback",
    "litellm.deployment.cooldowns": _STANDIN + "increment_deployment_cooled_down",
    "litellm.callback.logging_failures": "MetricsCallback.increment_callback_logging_failure",
    "litellm.team.members": _STANDIN + "set_team_members_metric",
    "litellm.provider.budget.remaining": _STANDIN + "track_provider_remaining_budget",
    "litellm.spend.capture_rate": _STANDIN + "set_spend_capture_rate",
    "litellm.users": _STANDIN + "set_entity_counts",
    "litellm.users.active": _STANDIN + "set_entity_counts",
    "litellm.teams": _STANDIN + "set_entity_counts",
    "litellm.guardrail.duration": _STANDIN + "_record_guardrail_metrics",
    "litellm.guardrail.errors": _STANDIN + "_record_guardrail_metrics",
    "litellm.guardrail.requests": _STANDIN + "_record_guardrail_metrics",
    "litellm.managed_batch.created": _STANDIN + "record_managed_batch_created",
    "litellm.managed_batch.duration": _STANDIN + "record_managed_batch_duration",
    "litellm.managed_file.created": _STANDIN + "record_managed_file_created",
    "litellm.managed_file.deleted": _STANDIN + "record_managed_file_deleted",
    "litellm.managed_file.size": _STANDIN + "record_managed_file_size",
    "litellm.batch_cost.jobs_polled": _STANDIN + "record_check_batch_cost_run",
    "litellm.batch_cost.jobs_processed": _STANDIN + "record_check_batch_cost_run",
    "litellm.batch_cost.last_run": _STANDIN + "record_check_batch_cost_run",
    "litellm.batch_cost.errors": _STANDIN + "record_check_batch_cost_error",
    "litellm.deployment.remaining_requests": _SUCCESS,
    "litellm.deployment.remaining_tokens": _SUCCESS,
}
# The deployment group's fallback rows are the callback's fallback path, not success.
WRITERS["litellm.fallback.successes"] = WRITERS["litellm.fallback.failures"] = (
    "MetricsCallback.record_fallback"
)
WRITERS["litellm.deployment.cooldowns"] = _STANDIN + "increment_deployment_cooled_down"
WRITERS["litellm.deployment.failures"] = _FAILURE
# Rows nothing in a request carries, with the reason (docs/compatibility.md lists them).
NO_WRITER: dict[str, str] = {
    "litellm.end_user.budget.remaining_hours": "LiteLLM sets it only from its periodic "
    "database budget job; a request's auth state carries no customer reset time",
}
for _name in NO_WRITER:
    WRITERS.pop(_name)
METRICS = tuple(
    replace(spec, writer=WRITERS.get(spec.name, ""), no_writer_reason=NO_WRITER.get(spec.name, ""))
    for spec in METRICS
)

# Semconv-only instrument: the GenAI token histogram has no LiteLLM family.
TOKEN_USAGE = MetricSpec(
    gen_ai.GEN_AI_CLIENT_TOKEN_USAGE, H, _TOK, "Input and output tokens per operation.",
    "", (), "prompt_tokens / completion_tokens by gen_ai.token.type", "tokens",
    None, SEMCONV_TOKEN_BUCKETS,
    (OPERATION_NAME, attr.PROVIDER_NAME, attr.REQUEST_MODEL, attr.TOKEN_TYPE),
    writer=_SUCCESS,
)  # fmt: skip

BY_NAME: dict[str, MetricSpec] = {spec.name: spec for spec in (*METRICS, TOKEN_USAGE)}
BY_LITELLM_NAME: dict[str, MetricSpec] = {spec.litellm_name: spec for spec in METRICS}
