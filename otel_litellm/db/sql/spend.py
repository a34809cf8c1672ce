"""Spend and tokens over METRICS_SPEND_WINDOW.

A window of whole days is answered by LiteLLM's daily roll-ups (``date`` is the UTC day
as ``YYYY-MM-DD``): the current UTC day and the days before it, one index range scan per
table.  Any other window falls back to ``LiteLLM_SpendLogs`` bounded by ``startTime``.

Sums are taken over the entity, never over (model, user, team, org) rows: two users in one
team on one model add up to the team's spend.
"""

from __future__ import annotations

from dataclasses import dataclass

from otel_litellm.db.query import NOW_UTC, Query

_FIRST_DAY = f"to_char(({NOW_UTC}::date - %(spend_days)s::integer + 1)::timestamp, 'YYYY-MM-DD')"
_SINCE = f"{NOW_UTC} - %(spend_window)s::interval"


@dataclass(frozen=True)
class _Rollup:
    daily_table: str
    daily_entity: str  # entity column of the daily table
    logs_entity: str  # the same entity in LiteLLM_SpendLogs


_USER = _Rollup("LiteLLM_DailyUserSpend", "user_id", 's."user"')
_TEAM = _Rollup("LiteLLM_DailyTeamSpend", "team_id", "s.team_id")
_ORG = _Rollup("LiteLLM_DailyOrganizationSpend", "organization_id", "s.organization_id")


def _rows(rollup: _Rollup, daily: bool) -> str:
    """(entity, model, api_key, spend, prompt/completion/total tokens) rows in the window."""
    if daily:
        return (
            f"SELECT d.{rollup.daily_entity} AS entity, d.model, d.api_key, d.spend, "
            f"d.prompt_tokens, d.completion_tokens, "
            f"d.prompt_tokens + d.completion_tokens AS total_tokens "
            f'FROM "{rollup.daily_table}" d WHERE d.date >= {_FIRST_DAY}'
        )
    return (
        f"SELECT {rollup.logs_entity} AS entity, s.model, s.api_key, s.spend, "
        f"s.prompt_tokens, s.completion_tokens, s.total_tokens "
        f'FROM "LiteLLM_SpendLogs" s WHERE s."startTime" >= {_SINCE}'
    )


def _tag_rows(daily: bool) -> str:
    if daily:
        return f'SELECT d.tag, d.spend FROM "LiteLLM_DailyTagSpend" d WHERE d.date >= {_FIRST_DAY}'
    # A tag listed twice on one request is counted once, as LiteLLM's roll-up does.
    return (
        "SELECT DISTINCT s.request_id, t.tag, s.spend "
        'FROM "LiteLLM_SpendLogs" s CROSS JOIN LATERAL jsonb_array_elements_text('
        "CASE WHEN jsonb_typeof(s.request_tags) = 'array' THEN s.request_tags "
        "ELSE '[]'::jsonb END) AS t(tag) "
        f'WHERE s."startTime" >= {_SINCE}'
    )


def spend_queries(daily: bool) -> tuple[Query, ...]:
    """The spend and token queries, from the roll-ups (``daily``) or the spend logs."""
    users = _rows(_USER, daily)
    return (
        Query(
            "spend_by_model",
            "SELECT COALESCE(r.model, '') AS model, sum(r.spend) AS spend, "
            "sum(r.prompt_tokens) AS prompt_tokens, sum(r.completion_tokens) AS completion_tokens, "
            f"sum(r.total_tokens) AS total_tokens FROM ({users}) r GROUP BY 1",
            (
                ("litellm.db.spend", "spend"),
                ("litellm.db.usage.total_tokens", "total_tokens"),
                ("litellm.db.usage.input_tokens", "prompt_tokens"),
                ("litellm.db.usage.output_tokens", "completion_tokens"),
            ),
        ),
        Query(
            "user_spend",
            "SELECT u.user_id, u.user_alias, COALESCE(r.model, '') AS model, sum(r.spend) AS spend "
            f'FROM ({users}) r JOIN "LiteLLM_UserTable" u ON u.user_id = r.entity '
            "GROUP BY u.user_id, u.user_alias, 3",
            (("litellm.db.user.spend", "spend"),),
        ),
        Query(
            "team_spend",
            "SELECT t.team_id, t.team_alias, COALESCE(r.model, '') AS model, sum(r.spend) AS spend "
            f'FROM ({_rows(_TEAM, daily)}) r JOIN "LiteLLM_TeamTable" t ON t.team_id = r.entity '
            "GROUP BY t.team_id, t.team_alias, 3",
            (("litellm.db.team.spend", "spend"),),
        ),
        Query(
            "org_spend",
            "SELECT o.organization_id, o.organization_alias, COALESCE(r.model, '') AS model, "
            f"sum(r.spend) AS spend FROM ({_rows(_ORG, daily)}) r "
            'JOIN "LiteLLM_OrganizationTable" o ON o.organization_id = r.entity '
            "GROUP BY o.organization_id, o.organization_alias, 3",
            (("litellm.db.org.spend", "spend"),),
        ),
        Query(
            "tag_spend",
            f"SELECT r.tag, sum(r.spend) AS spend FROM ({_tag_rows(daily)}) r "
            "WHERE r.tag <> '' GROUP BY r.tag",
            (("litellm.db.tag.spend", "spend"),),
        ),
        Query(
            "key_spend",
            "SELECT k.key_name, k.key_alias, k.token AS hashed_api_key, sum(r.spend) AS spend "
            f'FROM ({users}) r JOIN "LiteLLM_VerificationToken" k ON k.token = r.api_key '
            "GROUP BY k.token, k.key_name, k.key_alias",
            (("litellm.db.api_key.spend", "spend"),),
        ),
    )
