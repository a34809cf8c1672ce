"""Seed data for the database gauge tests, written the way LiteLLM writes it.

Times are relative to the database clock in UTC, which is what LiteLLM stores in its
``timestamp without time zone`` columns; the seeding session itself runs in a non-UTC zone.
Spend values are binary fractions so every sum is exact.  The expected values computed
from these rows by hand live in test_gauges.py, next to the assertions.

Entities
  orgs      org-a "Org A" (budget: max 1000, soft 800, resets in 2 days, tpm 100000,
            rpm 1000, parallel 50; spend 250), org-b "Org B" (empty budget row)
  teams     team-1 "Team One" in org-a (max 100, soft 80, spend 40, resets in 1 day,
            tpm 5000, rpm 50, parallel 5; members u1 admin, u2, x@example.com; 2 models)
            team-2 "Team Two" in org-b (blocked, no members, no budget)
            team-3 "Team Gone" in org-a (max 30, spend 3, tpm 7; member u1 admin; 1 model),
            deleted (with its key) half-way through a test
  users     u1 "Alice" (max 50, spend 20, reset overdue by 1 h, tpm 1000, rpm 10,
            parallel 2, 1 model), u2 "Bob", u3 "Carol" (all-proxy-models)
  customers cust-1 "Customer 1" (budget max 10, soft 5, tpm 100, rpm 5; spend 2.5),
            cust-2 (blocked, no alias, no budget)
  keys      hash-a "alpha" sk-...aaaa: u1, team-1, expires in 1 h, max 5, spend 1.25,
            tpm 200, rpm 3, 2 models
            hash-b "beta" sk-...bbbb: u2, team-1, expired a day ago, budget row max 7 rpm 9,
            spend 0.5
            hash-c "gamma" sk-...aaaa (same masked name as alpha): u1, org-b, blocked
            hash-d (no alias) sk-...dddd: team-3, expires in 2 days
  models    dep-1 gpt-4o (base_model, mode chat), dep-2 embed (no model_info)
"""

from __future__ import annotations

import json

NOW = "(now() AT TIME ZONE 'UTC')"


def _day(days_ago: int) -> str:
    return f"to_char(({NOW}::date - {days_ago})::timestamp, 'YYYY-MM-DD')"


def _ago(interval: str) -> str:
    return f"{NOW} - interval '{interval}'"


def _in(interval: str) -> str:
    return f"{NOW} + interval '{interval}'"


def _q(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, dict)):
        return "'" + json.dumps(value).replace("'", "''") + "'::jsonb"
    return "'" + str(value).replace("'", "''") + "'"


TEAM_1_MEMBERS = _q([
    {"user_id": "u1", "role": "admin"},
    {"user_id": "u2", "role": "user"},
    {"user_id": None, "user_email": "x@example.com", "role": "user"},
])  # fmt: skip
TEAM_3_MEMBERS = _q([{"user_id": "u1", "role": "admin"}])

ENTITIES = [
    f"""INSERT INTO "LiteLLM_BudgetTable" (budget_id, max_budget, soft_budget, tpm_limit,
        rpm_limit, max_parallel_requests, budget_reset_at, created_by, updated_by) VALUES
        ('bud-org-a', 1000, 800, 100000, 1000, 50, {_in("2 days")}, 't', 't'),
        ('bud-org-b', NULL, NULL, NULL, NULL, NULL, NULL, 't', 't'),
        ('bud-cust-1', 10, 5, 100, 5, NULL, NULL, 't', 't'),
        ('bud-key-b', 7, NULL, NULL, 9, NULL, NULL, 't', 't')""",
    """INSERT INTO "LiteLLM_OrganizationTable" (organization_id, organization_alias, budget_id,
        models, spend, created_by, updated_by) VALUES
        ('org-a', 'Org A', 'bud-org-a', ARRAY['gpt-4o'], 250, 't', 't'),
        ('org-b', 'Org B', 'bud-org-b', '{}', 10, 't', 't')""",
    f"""INSERT INTO "LiteLLM_TeamTable" (team_id, team_alias, organization_id, max_budget,
        soft_budget, spend, budget_reset_at, tpm_limit, rpm_limit, max_parallel_requests,
        blocked, members_with_roles, models) VALUES
        ('team-1', 'Team One', 'org-a', 100, 80, 40, {_in("1 day")}, 5000, 50, 5,
         false, {TEAM_1_MEMBERS}, ARRAY['gpt-4o', 'claude']),
        ('team-2', 'Team Two', 'org-b', NULL, NULL, 0, NULL, NULL, NULL, NULL,
         true, '{{}}'::jsonb, '{{}}'),
        ('team-3', 'Team Gone', 'org-a', 30, NULL, 3, NULL, 7, NULL, NULL,
         false, {TEAM_3_MEMBERS}, ARRAY['x'])""",
    f"""INSERT INTO "LiteLLM_UserTable" (user_id, user_alias, max_budget, spend, budget_reset_at,
        tpm_limit, rpm_limit, max_parallel_requests, models) VALUES
        ('u1', 'Alice', 50, 20, {_ago("1 hour")}, 1000, 10, 2, ARRAY['gpt-4o']),
        ('u2', 'Bob', NULL, 0, NULL, NULL, NULL, NULL, '{{}}'),
        ('u3', 'Carol', NULL, 0, NULL, NULL, NULL, NULL, ARRAY['all-proxy-models'])""",
    """INSERT INTO "LiteLLM_EndUserTable" (user_id, alias, spend, budget_id, blocked) VALUES
        ('cust-1', 'Customer 1', 2.5, 'bud-cust-1', false),
        ('cust-2', NULL, 0, NULL, true)""",
    f"""INSERT INTO "LiteLLM_VerificationToken" (token, key_name, key_alias, user_id, team_id,
        organization_id, expires, max_budget, spend, tpm_limit, rpm_limit, blocked, budget_id,
        models) VALUES
        ('hash-a', 'sk-...aaaa', 'alpha', 'u1', 'team-1', NULL, {_in("1 hour")},
         5, 1.25, 200, 3, NULL, NULL, ARRAY['gpt-4o', 'gpt-4o-mini']),
        ('hash-b', 'sk-...bbbb', 'beta', 'u2', 'team-1', NULL, {_ago("1 day")},
         NULL, 0.5, NULL, NULL, false, 'bud-key-b', '{{}}'),
        ('hash-c', 'sk-...aaaa', 'gamma', 'u1', NULL, 'org-b', NULL,
         NULL, 0, NULL, NULL, true, NULL, '{{}}'),
        ('hash-d', 'sk-...dddd', NULL, NULL, 'team-3', NULL, {_in("2 days")},
         NULL, 0, NULL, NULL, NULL, NULL, '{{}}')""",
    """INSERT INTO "LiteLLM_ProxyModelTable" (model_id, model_name, litellm_params, model_info,
        created_by, updated_by) VALUES
        ('dep-1', 'gpt-4o', '{"model": "gAAAA-encrypted"}',
         '{"id": "dep-1", "base_model": "gpt-4o-2024-08-06", "mode": "chat"}', 't', 't'),
        ('dep-2', 'embed', '{"model": "gAAAA-encrypted"}', NULL, 't', 't')""",
]


def _daily(table: str, entity: str, rows: list[tuple[object, ...]]) -> str:
    """Rows of (entity, days_ago, api_key, model, spend, prompt, completion)."""
    values = ",\n".join(
        f"('{table}-{n}', {_q(e)}, {_day(days)}, {_q(key)}, {_q(model)}, {spend}, {p}, {c}, {NOW})"
        for n, (e, days, key, model, spend, p, c) in enumerate(rows)
    )
    return (
        f'INSERT INTO "{table}" (id, {entity}, date, api_key, model, spend, prompt_tokens, '
        f"completion_tokens, updated_at) VALUES {values}"
    )


# days_ago 6 is the first day of a 7-day spend window, 7 the last day outside it.
DAILY = [
    _daily("LiteLLM_DailyUserSpend", "user_id", [
        ("u1", 0, "hash-a", "gpt-4o", 1.0, 100, 50),
        ("u2", 0, "hash-b", "gpt-4o", 2.0, 200, 100),
        ("u1", 6, "hash-a", "gpt-4o", 0.25, 10, 5),
        ("u1", 7, "hash-a", "gpt-4o", 100.0, 1000, 1000),
        (None, 0, "hash-d", "claude", 0.5, 40, 20),
        ("u1", 1, "hash-c", "claude", 0.125, 8, 4),
        ("u-deleted", 0, "hash-zzz", "gpt-4o", 4.0, 1, 1),
    ]),
    _daily("LiteLLM_DailyTeamSpend", "team_id", [
        ("team-1", 0, "hash-a", "gpt-4o", 1.0, 100, 50),
        ("team-1", 0, "hash-b", "gpt-4o", 2.0, 200, 100),
        ("team-1", 6, "hash-a", "gpt-4o", 0.25, 10, 5),
        ("team-1", 7, "hash-a", "gpt-4o", 100.0, 1000, 1000),
        ("team-3", 0, "hash-d", "claude", 0.5, 40, 20),
        ("team-2", 1, "hash-c", "claude", 0.125, 8, 4),
    ]),
    _daily("LiteLLM_DailyOrganizationSpend", "organization_id", [
        ("org-a", 0, "hash-a", "gpt-4o", 1.0, 100, 50),
        ("org-a", 0, "hash-b", "gpt-4o", 2.0, 200, 100),
        ("org-a", 0, "hash-d", "claude", 0.5, 40, 20),
        ("org-b", 1, "hash-c", "claude", 0.125, 8, 4),
        ("org-a", 7, "hash-a", "gpt-4o", 100.0, 1000, 1000),
    ]),
    _daily("LiteLLM_DailyTagSpend", "tag", [
        ("prod", 0, "hash-a", "gpt-4o", 1.0, 100, 50),
        ("prod", 0, "hash-b", "gpt-4o", 2.0, 200, 100),
        ("batch", 6, "hash-a", "gpt-4o", 0.25, 10, 5),
        ("batch", 7, "hash-a", "gpt-4o", 100.0, 1000, 1000),
        ("", 0, "hash-a", "gpt-4o", 8.0, 1, 1),
        (None, 0, "hash-a", "gpt-4o", 16.0, 1, 1),
    ]),
]  # fmt: skip


def _log(request_id: str, ago: str, model: str, *, key: str, user: str | None,
         team: str | None, org: str | None, spend: float = 0.0, tokens: tuple[int, int] = (0, 0),
         status: str | None = "success", cache_hit: str = "False", duration_ms: int | None = None,
         seconds: float = 0.0, tags: list[str] | None = None, error_class: str | None = None,
         ) -> str:  # fmt: skip
    metadata: dict[str, object] = {}
    if error_class is not None:
        metadata["error_information"] = {"error_class": error_class, "error_code": "429"}
    elapsed = duration_ms / 1000 if duration_ms is not None else seconds
    start = _ago(ago)
    prompt, completion = tokens
    return (
        "(" + ", ".join([
            _q(request_id), "'acompletion'", _q(key), repr(spend), str(prompt + completion),
            str(prompt), str(completion), start, f"{start} + interval '{elapsed} seconds'",
            _q(duration_ms), _q(model), _q(user), _q(team), _q(org), _q(cache_hit), _q(status),
            _q(metadata), _q(tags if tags is not None else []),
        ]) + ")"
    )  # fmt: skip


# Windows in the tests: request 2 h, error 30 min, "current" 1 min, logs-path spend 2 h.
SPEND_LOGS = [
    _log("r1", "30 seconds", "gpt-4o", key="hash-a", user="u1", team="team-1", org="org-a",
         spend=0.5, tokens=(100, 50), duration_ms=1000, tags=["prod"]),
    _log("r2", "45 seconds", "gpt-4o", key="hash-b", user="u2", team="team-1", org="org-a",
         spend=0.25, tokens=(20, 10), cache_hit="True", duration_ms=10, tags=["prod", "prod"]),
    _log("r3", "90 seconds", "gpt-4o", key="hash-a", user="u1", team="team-1", org="org-a",
         spend=1.0, tokens=(150, 50), seconds=2.0, tags=["batch"]),
    _log("r4", "1 hour 59 minutes", "gpt-4o", key="hash-a", user="u1", team="team-1",
         org="org-a", spend=2.0, tokens=(8, 8), duration_ms=4000, tags=["prod", "batch"]),
    _log("r5", "2 hours 1 minute", "gpt-4o", key="hash-a", user="u1", team="team-1",
         org="org-a", spend=64.0, tokens=(1000, 1000), cache_hit="True", duration_ms=9000,
         tags=["prod"]),
    _log("r6", "10 minutes", "claude", key="hash-d", user=None, team="team-3", org="org-a",
         status="failure", error_class="RateLimitError"),
    _log("r7", "29 minutes", "claude", key="hash-c", user="u1", team=None, org="org-b",
         status="failure", error_class="Timeout"),
    _log("r8", "31 minutes", "claude", key="hash-gone", user="u2", team="team-2", org="org-b",
         status="failure", error_class="RateLimitError"),
    _log("r9", "20 seconds", "claude", key="hash-c", user="u1", team=None, org="org-b",
         spend=0.125, tokens=(40, 20), cache_hit="True", duration_ms=500),
    _log("r10", "5 minutes", "gpt-4o-mini", key="hash-a", user="u1", team="team-1", org="org-a",
         spend=4.0, tokens=(2, 2), status=None, cache_hit="", duration_ms=250),
    _log("r11", "15 minutes", "gpt-4o", key="hash-b", user="u2", team="team-1", org="org-a",
         status="failure"),
]  # fmt: skip

SPEND_LOGS_INSERT = (
    'INSERT INTO "LiteLLM_SpendLogs" (request_id, call_type, api_key, spend, total_tokens, '
    'prompt_tokens, completion_tokens, "startTime", "endTime", request_duration_ms, model, '
    '"user", team_id, organization_id, cache_hit, status, metadata, request_tags) VALUES '
    + ",\n".join(SPEND_LOGS)
)

STATEMENTS = [*ENTITIES, *DAILY, SPEND_LOGS_INSERT]

DELETE_TEAM_3 = [
    # What LiteLLM's /team/delete does to the live tables: the team and its keys go.
    """DELETE FROM "LiteLLM_VerificationToken" WHERE team_id = 'team-3'""",
    """DELETE FROM "LiteLLM_TeamTable" WHERE team_id = 'team-3'""",
]
