"""Requests, cache, latency, current usage and errors: questions only the spend logs answer.

Each query reads ``LiteLLM_SpendLogs`` through its ``startTime`` index, bounded by its
window (METRICS_REQUEST_WINDOW, METRICS_ERROR_WINDOW, or the last minute).
"""

from __future__ import annotations

from otel_litellm.db.query import NOW_UTC, Query

_LOGS = 'FROM "LiteLLM_SpendLogs" s'
_MODEL = "COALESCE(s.model, '') AS model"
# Rows written before LiteLLM had a status column, and rows without one, are successes.
_STATUS = "COALESCE(NULLIF(s.status, ''), 'success')"
_IN_REQUEST_WINDOW = f'WHERE s."startTime" >= {NOW_UTC} - %(request_window)s::interval'
_IN_ERROR_WINDOW = f'WHERE s."startTime" >= {NOW_UTC} - %(error_window)s::interval'
_SECONDS = (
    'COALESCE(s.request_duration_ms / 1000.0, extract(epoch FROM s."endTime" - s."startTime"))'
)

QUANTILES = ("0.5", "0.9", "0.99")
_QUANTILE_ARRAY = ", ".join(QUANTILES)
_QUANTILE_LABELS = ", ".join(f"'{q}'" for q in QUANTILES)

# Current usage per entity over the last minute: one grouped branch per entity kind,
# joined to the entity table so deleted entities drop out.
_CURRENT_BRANCHES = (
    ("key", "k.token", "k.key_alias", '"LiteLLM_VerificationToken" k ON k.token = r.api_key'),
    ("user", "u.user_id", "u.user_alias", '"LiteLLM_UserTable" u ON u.user_id = r.user_id'),
    ("team", "t.team_id", "t.team_alias", '"LiteLLM_TeamTable" t ON t.team_id = r.team_id'),
    (
        "organization",
        "o.organization_id",
        "o.organization_alias",
        '"LiteLLM_OrganizationTable" o ON o.organization_id = r.organization_id',
    ),
)


def _current_usage_sql() -> str:
    recent = (
        f'SELECT {_MODEL}, s.api_key, s."user" AS user_id, s.team_id, s.organization_id, '
        f"s.total_tokens {_LOGS} "
        f"WHERE s.\"startTime\" >= {NOW_UTC} - interval '1 minute'"
    )
    branches = " UNION ALL ".join(
        f"SELECT r.model, '{kind}' AS entity_type, {entity_id} AS entity_id, "
        f"{alias} AS entity_alias, sum(r.total_tokens) AS tokens, count(*) AS requests "
        f"FROM recent r JOIN {join} GROUP BY r.model, {entity_id}, {alias}"
        for kind, entity_id, alias, join in _CURRENT_BRANCHES
    )
    return f"WITH recent AS ({recent}) {branches}"


ACTIVITY_QUERIES: tuple[Query, ...] = (
    Query(
        "requests",
        f"SELECT {_MODEL}, {_STATUS} AS status, count(*) AS requests "
        f"{_LOGS} {_IN_REQUEST_WINDOW} GROUP BY 1, 2",
        (("litellm.db.requests", "requests"),),
    ),
    Query(
        # LiteLLM writes cache_hit as str(bool): "True" / "False".  Like LiteLLM's own cache
        # metrics, only successful requests count, so hits + misses = successes.
        "cache",
        f"SELECT {_MODEL}, "
        "count(*) FILTER (WHERE lower(s.cache_hit) = 'true') AS hits, "
        "count(*) FILTER (WHERE lower(s.cache_hit) = 'false') AS misses "
        f"{_LOGS} {_IN_REQUEST_WINDOW} AND {_STATUS} = 'success' GROUP BY 1",
        (("litellm.db.cache.hits", "hits"), ("litellm.db.cache.misses", "misses")),
    ),
    Query(
        "request_duration",
        "SELECT d.model, q.quantile, q.seconds FROM ("
        f"SELECT {_MODEL}, percentile_cont(ARRAY[{_QUANTILE_ARRAY}]::double precision[]) "
        f"WITHIN GROUP (ORDER BY ({_SECONDS})::double precision) AS seconds "
        f"{_LOGS} {_IN_REQUEST_WINDOW} AND {_STATUS} = 'success' GROUP BY 1) d "
        f"CROSS JOIN LATERAL unnest(ARRAY[{_QUANTILE_LABELS}], d.seconds) AS q(quantile, seconds)",
        (("litellm.db.request.duration", "seconds"),),
    ),
    Query(
        "current_usage",
        _current_usage_sql(),
        (("litellm.db.current_tpm", "tokens"), ("litellm.db.current_rpm", "requests")),
    ),
    Query(
        "errors",
        f"SELECT {_MODEL}, COALESCE(NULLIF("
        "s.metadata -> 'error_information' ->> 'error_class', ''), '_OTHER') AS error_type, "
        "count(*) AS errors "
        f"{_LOGS} {_IN_ERROR_WINDOW} AND s.status = 'failure' GROUP BY 1, 2",
        (("litellm.db.errors", "errors"),),
    ),
    Query(
        # Over every model with traffic in the window, so a model without failures reads 0.
        "error_rate",
        f"SELECT {_MODEL}, count(*) FILTER (WHERE s.status = 'failure') "
        "/ %(error_minutes)s::double precision AS rate "
        f"{_LOGS} {_IN_ERROR_WINDOW} GROUP BY 1",
        (("litellm.db.error_rate", "rate"),),
    ),
)
