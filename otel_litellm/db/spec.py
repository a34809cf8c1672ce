"""The database gauges: one row per family the LiteLLM database exporter (seed 003) documents.

``litellm_name`` and ``labels`` are the seed exporter's, so a Prometheus scrape in the
``litellm`` naming is a drop-in for it.  Key families carry one label more than the seed
(``hashed_api_key``): the seed keyed them by the masked ``key_name`` alone, which merges
distinct keys that share their last four characters.

Windowed families keep the seed's names even where they end in ``_total``; they are gauges
over a sliding window, not counters (see docs/database.md, "Names").
"""

from __future__ import annotations

from otel_litellm.spec import Kind, MetricSpec

G = Kind.GAUGE
_USD, _S, _TOK, _REQ = "USD", "s", "{token}", "{request}"

ENTITY = ("entity_type", "entity_id", "entity_alias")
KEY = ("key_name", "key_alias", "hashed_api_key")
TEAM = ("team_id", "team_alias")

SEED_METRICS: tuple[MetricSpec, ...] = (
    # -- spend (METRICS_SPEND_WINDOW) -------------------------------------------------------
    MetricSpec("litellm.db.spend", G, _USD, "Spend in the spend window, by model.",
               "litellm_total_spend", ("model",),
               "LiteLLM_DailyUserSpend (every request has one row there, user or not)", "db.spend"),
    MetricSpec("litellm.db.user.spend", G, _USD, "Spend of an internal user in the spend window, by model.",
               "litellm_user_spend", ("user_id", "user_alias", "model"),
               "LiteLLM_DailyUserSpend joined to LiteLLM_UserTable", "db.spend"),
    MetricSpec("litellm.db.team.spend", G, _USD, "Spend of a team in the spend window, by model.",
               "litellm_team_spend", (*TEAM, "model"),
               "LiteLLM_DailyTeamSpend joined to LiteLLM_TeamTable", "db.spend"),
    MetricSpec("litellm.db.org.spend", G, _USD, "Spend of an organization in the spend window, by model.",
               "litellm_org_spend", ("organization_id", "organization_alias", "model"),
               "LiteLLM_DailyOrganizationSpend joined to LiteLLM_OrganizationTable", "db.spend"),
    MetricSpec("litellm.db.tag.spend", G, _USD, "Spend of requests carrying a tag, in the spend window.",
               "litellm_tag_spend", ("tag",), "LiteLLM_DailyTagSpend", "db.spend"),
    MetricSpec("litellm.db.api_key.spend", G, _USD, "Spend of an API key in the spend window.",
               "litellm_key_spend", KEY,
               "LiteLLM_DailyUserSpend by api_key, joined to LiteLLM_VerificationToken", "db.spend"),
    # -- tokens (METRICS_SPEND_WINDOW) ------------------------------------------------------
    MetricSpec("litellm.db.usage.total_tokens", G, _TOK, "Input plus output tokens in the spend window, by model.",
               "litellm_total_tokens", ("model",), "LiteLLM_DailyUserSpend prompt + completion tokens", "db.tokens"),
    MetricSpec("litellm.db.usage.input_tokens", G, _TOK, "Input tokens in the spend window, by model.",
               "litellm_prompt_tokens", ("model",), "LiteLLM_DailyUserSpend.prompt_tokens", "db.tokens"),
    MetricSpec("litellm.db.usage.output_tokens", G, _TOK, "Output tokens in the spend window, by model.",
               "litellm_completion_tokens", ("model",), "LiteLLM_DailyUserSpend.completion_tokens", "db.tokens"),
    # -- requests (METRICS_REQUEST_WINDOW) --------------------------------------------------
    MetricSpec("litellm.db.requests", G, _REQ, "Requests in the request window, by model and status.",
               "litellm_requests_total", ("model", "status"), "LiteLLM_SpendLogs.status", "db.requests"),
    MetricSpec("litellm.db.request.duration", G, _S,
               "Quantiles of successful request duration in the request window, by model.",
               "litellm_request_duration_seconds", ("model", "quantile"),
               "LiteLLM_SpendLogs request_duration_ms (else endTime - startTime)", "db.requests"),
    MetricSpec("litellm.db.max_parallel_requests", G, _REQ, "Configured limit of parallel requests of an entity.",
               "litellm_parallel_requests", ENTITY,
               "max_parallel_requests of keys, users, teams and linked LiteLLM_BudgetTable rows", "db.requests"),
    # -- rate limits ------------------------------------------------------------------------
    MetricSpec("litellm.db.tpm_limit", G, _TOK, "Configured tokens-per-minute limit of an entity.",
               "litellm_tpm_limit", ENTITY, "tpm_limit of keys, users, teams and linked budgets", "db.rate_limit"),
    MetricSpec("litellm.db.rpm_limit", G, _REQ, "Configured requests-per-minute limit of an entity.",
               "litellm_rpm_limit", ENTITY, "rpm_limit of keys, users, teams and linked budgets", "db.rate_limit"),
    MetricSpec("litellm.db.current_tpm", G, _TOK, "Tokens an entity used on a model in the last minute.",
               "litellm_current_tpm", ("model", *ENTITY), "LiteLLM_SpendLogs, last 60 s", "db.rate_limit"),
    MetricSpec("litellm.db.current_rpm", G, _REQ, "Requests an entity made to a model in the last minute.",
               "litellm_current_rpm", ("model", *ENTITY), "LiteLLM_SpendLogs, last 60 s", "db.rate_limit"),
    # -- LiteLLM cache (METRICS_REQUEST_WINDOW) ---------------------------------------------
    MetricSpec("litellm.db.cache.hits", G, _REQ, "Requests answered from LiteLLM's cache in the request window.",
               "litellm_cache_hits_total", ("model",), "LiteLLM_SpendLogs.cache_hit = 'True'", "db.cache"),
    MetricSpec("litellm.db.cache.misses", G, _REQ, "Requests LiteLLM's cache did not answer in the request window.",
               "litellm_cache_misses_total", ("model",), "LiteLLM_SpendLogs.cache_hit = 'False'", "db.cache"),
    # -- budgets ----------------------------------------------------------------------------
    MetricSpec("litellm.db.budget.utilization", G, "%", "Spend as a percentage of the maximum budget.",
               "litellm_budget_utilization", ENTITY, "100 * spend / max_budget of users, teams, orgs, customers",
               "db.budget"),
    MetricSpec("litellm.db.budget.max", G, _USD, "Maximum budget of an entity.", "litellm_max_budget", ENTITY,
               "max_budget of users and teams; LiteLLM_BudgetTable for orgs and customers", "db.budget"),
    MetricSpec("litellm.db.budget.soft", G, _USD, "Soft budget (alerting threshold) of an entity.",
               "litellm_soft_budget", ENTITY, "soft_budget of teams; LiteLLM_BudgetTable for orgs and customers",
               "db.budget"),
    MetricSpec("litellm.db.budget.reset_time", G, _S, "Seconds until the budget resets (negative when overdue).",
               "litellm_budget_reset_time", ENTITY, "budget_reset_at - now (UTC)", "db.budget"),
    # -- errors (METRICS_ERROR_WINDOW) ------------------------------------------------------
    MetricSpec("litellm.db.errors", G, "{error}", "Failed requests in the error window, by model and error class.",
               "litellm_errors_total", ("model", "error_type"),
               "LiteLLM_SpendLogs status 'failure', metadata.error_information.error_class", "db.errors"),
    MetricSpec("litellm.db.error_rate", G, "{error}/min", "Failed requests per minute over the error window.",
               "litellm_error_rate", ("model",), "failures in the error window / its minutes", "db.errors"),
    # -- entities ---------------------------------------------------------------------------
    MetricSpec("litellm.db.blocked", G, "1", "1 when the entity is blocked, else 0.", "litellm_blocked_status",
               ENTITY, "blocked of keys, teams and customers", "db.entities"),
    MetricSpec("litellm.db.team.members", G, "{member}", "Members of a team.", "litellm_member_count", TEAM,
               "LiteLLM_TeamTable.members_with_roles", "db.entities"),
    MetricSpec("litellm.db.team.admins", G, "{member}", "Admins of a team.", "litellm_admin_count", TEAM,
               "members_with_roles entries with role 'admin'", "db.entities"),
    # -- API keys ---------------------------------------------------------------------------
    MetricSpec("litellm.db.api_keys.active", G, "{key}", "Keys of an entity that are neither expired nor blocked.",
               "litellm_active_keys", ENTITY, "LiteLLM_VerificationToken by user, team and organization",
               "db.keys"),
    MetricSpec("litellm.db.api_keys.expired", G, "{key}", "Expired keys of an entity.", "litellm_expired_keys",
               ENTITY, "LiteLLM_VerificationToken.expires <= now (UTC)", "db.keys"),
    MetricSpec("litellm.db.api_key.expiry", G, _S, "Seconds until the key expires (negative once expired).",
               "litellm_key_expiry", KEY, "LiteLLM_VerificationToken.expires - now (UTC)", "db.keys"),
    MetricSpec("litellm.db.api_key.budget.max", G, _USD, "Maximum budget of an API key.", "litellm_key_budget", KEY,
               "VerificationToken.max_budget, else its LiteLLM_BudgetTable row", "db.keys"),
    MetricSpec("litellm.db.api_key.budget.spend", G, _USD, "Spend of an API key in its current budget cycle.",
               "litellm_key_budget_spend", KEY, "LiteLLM_VerificationToken.spend (reset each budget cycle)",
               "db.keys"),
    # -- models -----------------------------------------------------------------------------
    MetricSpec("litellm.db.models.available", G, "{model}", "Entries in an entity's model allow-list.",
               "litellm_available_models", ENTITY, "models[] of keys, users, teams, orgs, customers", "db.models"),
    MetricSpec("litellm.db.model.info", G, "1", "1 for each deployment stored in the database.",
               "litellm_model_info", ("model_id", "model_group", "base_model", "mode"),
               "LiteLLM_ProxyModelTable", "db.models"),
)  # fmt: skip

# How the refresher is doing; not in the seed, which had no way to report a failing query.
REFRESH_METRICS: tuple[MetricSpec, ...] = (
    MetricSpec("litellm.db.refresh.success", G, "1", "1 when the last run of the query succeeded, else 0.",
               "litellm_db_refresh_success", ("query",), "refresher", "db.refresh"),
    MetricSpec("litellm.db.refresh.duration", G, _S, "Duration of the last run of the query.",
               "litellm_db_refresh_duration_seconds", ("query",), "refresher", "db.refresh"),
    MetricSpec("litellm.db.refresh.last_success", G, _S, "Unix time of the query's last success.",
               "litellm_db_refresh_last_success_timestamp_seconds", ("query",), "refresher", "db.refresh"),
)  # fmt: skip

# Everything the database gauges record: what the core builds views and the renamer from.
DB_METRICS: tuple[MetricSpec, ...] = SEED_METRICS + REFRESH_METRICS
BY_NAME: dict[str, MetricSpec] = {spec.name: spec for spec in DB_METRICS}
