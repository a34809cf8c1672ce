"""Limits, budgets, blocks, members, keys and models: the state of LiteLLM's entities.

Budgets are read where LiteLLM enforces them: users and teams carry their own columns,
organizations and customers (end users) point at ``LiteLLM_BudgetTable``.  Per-member
budgets inside a team (``LiteLLM_TeamMembership``) are not a team's budget and are left out.
"""

from __future__ import annotations

from otel_litellm.db.query import NOW_UTC, Query

_KEYS = '"LiteLLM_VerificationToken"'
_USERS = '"LiteLLM_UserTable"'
_TEAMS = '"LiteLLM_TeamTable"'
_ORGS = '"LiteLLM_OrganizationTable"'
_CUSTOMERS = '"LiteLLM_EndUserTable"'
_BUDGETS = '"LiteLLM_BudgetTable"'

_LIMITS = (
    "SELECT 'key' AS entity_type, k.token AS entity_id, k.key_alias AS entity_alias, "
    "COALESCE(k.tpm_limit, b.tpm_limit) AS tpm_limit, "
    "COALESCE(k.rpm_limit, b.rpm_limit) AS rpm_limit, "
    "COALESCE(k.max_parallel_requests, b.max_parallel_requests) AS max_parallel_requests "
    f"FROM {_KEYS} k LEFT JOIN {_BUDGETS} b ON b.budget_id = k.budget_id "
    "UNION ALL SELECT 'user', u.user_id, u.user_alias, u.tpm_limit, u.rpm_limit, "
    f"u.max_parallel_requests FROM {_USERS} u "
    "UNION ALL SELECT 'team', t.team_id, t.team_alias, t.tpm_limit, t.rpm_limit, "
    f"t.max_parallel_requests FROM {_TEAMS} t "
    "UNION ALL SELECT 'organization', o.organization_id, o.organization_alias, b.tpm_limit, "
    f"b.rpm_limit, b.max_parallel_requests FROM {_ORGS} o "
    f"JOIN {_BUDGETS} b ON b.budget_id = o.budget_id "
    "UNION ALL SELECT 'end_user', c.user_id, c.alias, b.tpm_limit, b.rpm_limit, "
    f"b.max_parallel_requests FROM {_CUSTOMERS} c JOIN {_BUDGETS} b ON b.budget_id = c.budget_id"
)

_BUDGET_ROWS = (
    "SELECT 'user' AS entity_type, u.user_id AS entity_id, u.user_alias AS entity_alias, "
    "u.max_budget, NULL::double precision AS soft_budget, u.spend, u.budget_reset_at "
    f"FROM {_USERS} u "
    "UNION ALL SELECT 'team', t.team_id, t.team_alias, t.max_budget, t.soft_budget, t.spend, "
    f"t.budget_reset_at FROM {_TEAMS} t "
    "UNION ALL SELECT 'organization', o.organization_id, o.organization_alias, b.max_budget, "
    f"b.soft_budget, o.spend, b.budget_reset_at FROM {_ORGS} o "
    f"JOIN {_BUDGETS} b ON b.budget_id = o.budget_id "
    "UNION ALL SELECT 'end_user', c.user_id, c.alias, b.max_budget, b.soft_budget, c.spend, "
    f"b.budget_reset_at FROM {_CUSTOMERS} c JOIN {_BUDGETS} b ON b.budget_id = c.budget_id"
)

_BLOCKED = (
    "SELECT 'key' AS entity_type, k.token AS entity_id, k.key_alias AS entity_alias, "
    f"COALESCE(k.blocked, false)::integer AS blocked FROM {_KEYS} k "
    f"UNION ALL SELECT 'team', t.team_id, t.team_alias, t.blocked::integer FROM {_TEAMS} t "
    f"UNION ALL SELECT 'end_user', c.user_id, c.alias, c.blocked::integer FROM {_CUSTOMERS} c"
)

# members_with_roles is a JSON array of {user_id, user_email, role}; its default is '{}'.
_MEMBERS = (
    "SELECT t.team_id, t.team_alias, "
    "count(DISTINCT m.member) AS members, "
    "count(DISTINCT m.member) FILTER (WHERE m.role = 'admin') AS admins "
    f"FROM {_TEAMS} t LEFT JOIN LATERAL ("
    "SELECT COALESCE(e ->> 'user_id', e ->> 'user_email') AS member, e ->> 'role' AS role "
    "FROM jsonb_array_elements(CASE WHEN jsonb_typeof(t.members_with_roles) = 'array' "
    "THEN t.members_with_roles ELSE '[]'::jsonb END) AS e) m ON true "
    "GROUP BY t.team_id, t.team_alias"
)

# A key counts for its user, its team, and its organization (its own, else its team's).
_KEY_OWNERS = (
    ("user", "u.user_id", "u.user_alias", f"{_USERS} u ON u.user_id = o.user_id"),
    ("team", "t.team_id", "t.team_alias", f"{_TEAMS} t ON t.team_id = o.team_id"),
    (
        "organization",
        "g.organization_id",
        "g.organization_alias",
        f"{_ORGS} g ON g.organization_id = o.organization_id",
    ),
)


def _key_counts_sql() -> str:
    owned = (
        "SELECT k.user_id, k.team_id, COALESCE(k.organization_id, kt.organization_id) "
        f"AS organization_id, k.expires IS NOT NULL AND k.expires <= {NOW_UTC} AS expired, "
        f"COALESCE(k.blocked, false) AS blocked FROM {_KEYS} k "
        f"LEFT JOIN {_TEAMS} kt ON kt.team_id = k.team_id"
    )
    branches = " UNION ALL ".join(
        f"SELECT '{kind}' AS entity_type, {entity_id} AS entity_id, {alias} AS entity_alias, "
        "count(*) FILTER (WHERE NOT o.expired AND NOT o.blocked) AS active, "
        "count(*) FILTER (WHERE o.expired) AS expired "
        f"FROM owned o JOIN {join} GROUP BY {entity_id}, {alias}"
        for kind, entity_id, alias, join in _KEY_OWNERS
    )
    return f"WITH owned AS ({owned}) {branches}"


_KEYS_SQL = (
    "SELECT k.key_name, k.key_alias, k.token AS hashed_api_key, "
    f"extract(epoch FROM k.expires - {NOW_UTC}) AS expiry_seconds, "
    "COALESCE(k.max_budget, b.max_budget) AS max_budget, k.spend "
    f"FROM {_KEYS} k LEFT JOIN {_BUDGETS} b ON b.budget_id = k.budget_id"
)

# An empty list, or one naming all proxy/team models, is no restriction: no series.
_UNRESTRICTED = "ARRAY['all-proxy-models', 'all-team-models']"
_AVAILABLE_MODELS = (
    "SELECT e.entity_type, e.entity_id, e.entity_alias, "
    "(SELECT count(DISTINCT m) FROM unnest(e.models) AS m WHERE m <> 'no-default-models') "
    "AS models FROM ("
    "SELECT 'key' AS entity_type, k.token AS entity_id, k.key_alias AS entity_alias, k.models "
    f"FROM {_KEYS} k "
    f"UNION ALL SELECT 'user', u.user_id, u.user_alias, u.models FROM {_USERS} u "
    f"UNION ALL SELECT 'team', t.team_id, t.team_alias, t.models FROM {_TEAMS} t "
    "UNION ALL SELECT 'organization', g.organization_id, g.organization_alias, g.models "
    f"FROM {_ORGS} g "
    f"UNION ALL SELECT 'end_user', c.user_id, c.alias, c.models FROM {_CUSTOMERS} c"
    f") e WHERE cardinality(e.models) > 0 AND NOT e.models && {_UNRESTRICTED}"
)

ENTITY_QUERIES: tuple[Query, ...] = (
    Query(
        "limits",
        f"SELECT * FROM ({_LIMITS}) l WHERE num_nonnulls(l.tpm_limit, l.rpm_limit, "
        "l.max_parallel_requests) > 0",
        (
            ("litellm.db.tpm_limit", "tpm_limit"),
            ("litellm.db.rpm_limit", "rpm_limit"),
            ("litellm.db.max_parallel_requests", "max_parallel_requests"),
        ),
    ),
    Query(
        "budgets",
        "SELECT b.entity_type, b.entity_id, b.entity_alias, b.max_budget, b.soft_budget, "
        f"extract(epoch FROM b.budget_reset_at - {NOW_UTC}) AS reset_seconds, "
        "CASE WHEN b.max_budget > 0 THEN 100 * b.spend / b.max_budget END AS utilization "
        f"FROM ({_BUDGET_ROWS}) b "
        "WHERE num_nonnulls(b.max_budget, b.soft_budget, b.budget_reset_at) > 0",
        (
            ("litellm.db.budget.max", "max_budget"),
            ("litellm.db.budget.soft", "soft_budget"),
            ("litellm.db.budget.reset_time", "reset_seconds"),
            ("litellm.db.budget.utilization", "utilization"),
        ),
    ),
    Query("blocked", _BLOCKED, (("litellm.db.blocked", "blocked"),)),
    Query(
        "team_members",
        _MEMBERS,
        (("litellm.db.team.members", "members"), ("litellm.db.team.admins", "admins")),
    ),
    Query(
        "key_counts",
        _key_counts_sql(),
        (("litellm.db.api_keys.active", "active"), ("litellm.db.api_keys.expired", "expired")),
    ),
    Query(
        "keys",
        _KEYS_SQL,
        (
            ("litellm.db.api_key.expiry", "expiry_seconds"),
            ("litellm.db.api_key.budget.max", "max_budget"),
            ("litellm.db.api_key.budget.spend", "spend"),
        ),
    ),
    Query("available_models", _AVAILABLE_MODELS, (("litellm.db.models.available", "models"),)),
    Query(
        "model_info",
        "SELECT p.model_id, p.model_name AS model_group, "
        "COALESCE(p.model_info ->> 'base_model', '') AS base_model, "
        "COALESCE(p.model_info ->> 'mode', '') AS mode, 1 AS info "
        'FROM "LiteLLM_ProxyModelTable" p',
        (("litellm.db.model.info", "info"),),
    ),
)
