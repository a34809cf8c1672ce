"""What the seed data must produce, worked out by hand from seed.py.

Windows: spend 7 d (daily roll-ups: today and the 6 days before), request 2 h, error 30 min,
current usage 1 min.  Time-relative values (key expiry, budget reset) are checked against a
bracket of database clock readings in the tests instead.
"""

from __future__ import annotations

from tests.db.scrape import Series, as_series, entity

A = {"key_name": "sk-...aaaa", "key_alias": "alpha", "hashed_api_key": "hash-a"}
B = {"key_name": "sk-...bbbb", "key_alias": "beta", "hashed_api_key": "hash-b"}
C = {"key_name": "sk-...aaaa", "key_alias": "gamma", "hashed_api_key": "hash-c"}
D = {"key_name": "sk-...dddd", "key_alias": "", "hashed_api_key": "hash-d"}
TEAM_1 = {"team_id": "team-1", "team_alias": "Team One"}
TEAM_2 = {"team_id": "team-2", "team_alias": "Team Two"}
TEAM_3 = {"team_id": "team-3", "team_alias": "Team Gone"}
ORG_A = {"organization_id": "org-a", "organization_alias": "Org A"}
ORG_B = {"organization_id": "org-b", "organization_alias": "Org B"}
ALICE = {"user_id": "u1", "user_alias": "Alice"}
BOB = {"user_id": "u2", "user_alias": "Bob"}


def m(model: str) -> dict[str, str]:
    return {"model": model}


def percentile_cont(values: list[float], fraction: float) -> float:
    """PostgreSQL's percentile_cont: linear interpolation between the closest ranks."""
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def quantiles(model: str, seconds: list[float]) -> list[tuple[float, dict[str, str]]]:
    return [
        (percentile_cont(seconds, float(q)), {"model": model, "quantile": q})
        for q in ("0.5", "0.9", "0.99")
    ]


# Spend from the daily roll-ups (7-day window; rows 7 days old and the "" / NULL tags are out).
DAILY_SPEND = {
    # gpt-4o: u1 1.0 + u2 2.0 + u1 (6 days ago) 0.25 + deleted user 4.0; claude: 0.5 + 0.125
    "litellm_total_spend": [(7.25, m("gpt-4o")), (0.625, m("claude"))],
    "litellm_prompt_tokens": [(100 + 200 + 10 + 1, m("gpt-4o")), (40 + 8, m("claude"))],
    "litellm_completion_tokens": [(50 + 100 + 5 + 1, m("gpt-4o")), (20 + 4, m("claude"))],
    "litellm_total_tokens": [(311 + 156, m("gpt-4o")), (48 + 24, m("claude"))],
    # the NULL user and the deleted user have no series
    "litellm_user_spend": [
        (1.0 + 0.25, {**ALICE, **m("gpt-4o")}),
        (0.125, {**ALICE, **m("claude")}),
        (2.0, {**BOB, **m("gpt-4o")}),
    ],
    # two users (keys a and b) in team-1 on gpt-4o: 1.0 + 2.0 + 0.25
    "litellm_team_spend": [
        (3.25, {**TEAM_1, **m("gpt-4o")}),
        (0.125, {**TEAM_2, **m("claude")}),
        (0.5, {**TEAM_3, **m("claude")}),
    ],
    # org-a spends through team-1 and team-3
    "litellm_org_spend": [
        (3.0, {**ORG_A, **m("gpt-4o")}),
        (0.5, {**ORG_A, **m("claude")}),
        (0.125, {**ORG_B, **m("claude")}),
    ],
    "litellm_tag_spend": [(3.0, {"tag": "prod"}), (0.25, {"tag": "batch"})],
    # distinct keys with one masked name (a, c) stay apart; hash-zzz is no key
    "litellm_key_spend": [(1.25, A), (2.0, B), (0.125, C), (0.5, D)],
}

# Spend from LiteLLM_SpendLogs over a 2-hour window (r4 at 1 h 59 min in, r5 at 2 h 1 min out).
LOGS_SPEND = {
    # gpt-4o: r1 .5 + r2 .25 + r3 1 + r4 2 + r11 0; claude: r6-r8 0 + r9 .125; mini: r10 4
    "litellm_total_spend": [(3.75, m("gpt-4o")), (0.125, m("claude")), (4.0, m("gpt-4o-mini"))],
    "litellm_prompt_tokens": [(100 + 20 + 150 + 8, m("gpt-4o")), (40, m("claude")),
                              (2, m("gpt-4o-mini"))],
    "litellm_completion_tokens": [(50 + 10 + 50 + 8, m("gpt-4o")), (20, m("claude")),
                                  (2, m("gpt-4o-mini"))],
    "litellm_total_tokens": [(278 + 118, m("gpt-4o")), (60, m("claude")), (4, m("gpt-4o-mini"))],
    "litellm_user_spend": [
        (0.5 + 1.0 + 2.0, {**ALICE, **m("gpt-4o")}),
        (0.0 + 0.125, {**ALICE, **m("claude")}),
        (4.0, {**ALICE, **m("gpt-4o-mini")}),
        (0.25 + 0.0, {**BOB, **m("gpt-4o")}),
        (0.0, {**BOB, **m("claude")}),
    ],
    # two users (u1, u2) in team-1 on gpt-4o: .5 + .25 + 1 + 2 + 0
    "litellm_team_spend": [
        (3.75, {**TEAM_1, **m("gpt-4o")}),
        (4.0, {**TEAM_1, **m("gpt-4o-mini")}),
        (0.0, {**TEAM_2, **m("claude")}),
        (0.0, {**TEAM_3, **m("claude")}),
    ],
    "litellm_org_spend": [
        (3.75, {**ORG_A, **m("gpt-4o")}),
        (4.0, {**ORG_A, **m("gpt-4o-mini")}),
        (0.0, {**ORG_A, **m("claude")}),
        (0.125, {**ORG_B, **m("claude")}),
    ],
    # r2 lists "prod" twice and counts once
    "litellm_tag_spend": [(0.5 + 0.25 + 2.0, {"tag": "prod"}), (1.0 + 2.0, {"tag": "batch"})],
    "litellm_key_spend": [(0.5 + 1.0 + 2.0 + 4.0, A), (0.25, B), (0.125, C), (0.0, D)],
}  # fmt: skip

ACTIVITY = {
    # 2-hour request window: everything but r5
    "litellm_requests_total": [
        (4, {**m("gpt-4o"), "status": "success"}),  # r1 r2 r3 r4
        (1, {**m("gpt-4o"), "status": "failure"}),  # r11
        (1, {**m("claude"), "status": "success"}),  # r9
        (3, {**m("claude"), "status": "failure"}),  # r6 r7 r8
        (1, {**m("gpt-4o-mini"), "status": "success"}),  # r10: NULL status
    ],
    # successes only; r10's cache_hit is "" (neither)
    "litellm_cache_hits_total": [(1, m("gpt-4o")), (1, m("claude")), (0, m("gpt-4o-mini"))],
    "litellm_cache_misses_total": [(3, m("gpt-4o")), (0, m("claude")), (0, m("gpt-4o-mini"))],
    # r1 1000 ms, r2 10 ms, r3 no request_duration_ms but endTime - startTime = 2 s, r4 4000 ms
    "litellm_request_duration_seconds": [
        *quantiles("gpt-4o", [1.0, 0.01, 2.0, 4.0]),
        *quantiles("claude", [0.5]),
        *quantiles("gpt-4o-mini", [0.25]),
    ],
    # last minute: r1 (30 s, 150 tokens), r2 (45 s, 30), r9 (20 s, 60); r3 at 90 s is out
    "litellm_current_tpm": [
        (150, {**m("gpt-4o"), **entity("key", "hash-a", "alpha")}),
        (30, {**m("gpt-4o"), **entity("key", "hash-b", "beta")}),
        (60, {**m("claude"), **entity("key", "hash-c", "gamma")}),
        (150, {**m("gpt-4o"), **entity("user", "u1", "Alice")}),
        (30, {**m("gpt-4o"), **entity("user", "u2", "Bob")}),
        (60, {**m("claude"), **entity("user", "u1", "Alice")}),
        (180, {**m("gpt-4o"), **entity("team", "team-1", "Team One")}),
        (180, {**m("gpt-4o"), **entity("organization", "org-a", "Org A")}),
        (60, {**m("claude"), **entity("organization", "org-b", "Org B")}),
    ],
    "litellm_current_rpm": [
        (1, {**m("gpt-4o"), **entity("key", "hash-a", "alpha")}),
        (1, {**m("gpt-4o"), **entity("key", "hash-b", "beta")}),
        (1, {**m("claude"), **entity("key", "hash-c", "gamma")}),
        (1, {**m("gpt-4o"), **entity("user", "u1", "Alice")}),
        (1, {**m("gpt-4o"), **entity("user", "u2", "Bob")}),
        (1, {**m("claude"), **entity("user", "u1", "Alice")}),
        (2, {**m("gpt-4o"), **entity("team", "team-1", "Team One")}),
        (2, {**m("gpt-4o"), **entity("organization", "org-a", "Org A")}),
        (1, {**m("claude"), **entity("organization", "org-b", "Org B")}),
    ],
    # 30-minute error window: r6 (10 min), r7 (29 min), r11 (15 min, no error_information);
    # r8 at 31 min is out
    "litellm_errors_total": [
        (1, {**m("claude"), "error_type": "RateLimitError"}),
        (1, {**m("claude"), "error_type": "Timeout"}),
        (1, {**m("gpt-4o"), "error_type": "_OTHER"}),
    ],
    # failures per minute over every model with traffic in the 30 minutes
    "litellm_error_rate": [(1 / 30, m("gpt-4o")), (2 / 30, m("claude")),
                           (0 / 30, m("gpt-4o-mini"))],
}  # fmt: skip

ENTITIES = {
    "litellm_tpm_limit": [
        (200, entity("key", "hash-a", "alpha")),
        (1000, entity("user", "u1", "Alice")),
        (5000, entity("team", "team-1", "Team One")),
        (7, entity("team", "team-3", "Team Gone")),
        (100000, entity("organization", "org-a", "Org A")),
        (100, entity("end_user", "cust-1", "Customer 1")),
    ],
    "litellm_rpm_limit": [
        (3, entity("key", "hash-a", "alpha")),
        (9, entity("key", "hash-b", "beta")),  # from the key's budget row
        (10, entity("user", "u1", "Alice")),
        (50, entity("team", "team-1", "Team One")),
        (1000, entity("organization", "org-a", "Org A")),
        (5, entity("end_user", "cust-1", "Customer 1")),
    ],
    "litellm_parallel_requests": [
        (2, entity("user", "u1", "Alice")),
        (5, entity("team", "team-1", "Team One")),
        (50, entity("organization", "org-a", "Org A")),
    ],
    "litellm_max_budget": [
        (50, entity("user", "u1", "Alice")),
        (100, entity("team", "team-1", "Team One")),
        (30, entity("team", "team-3", "Team Gone")),
        (1000, entity("organization", "org-a", "Org A")),
        (10, entity("end_user", "cust-1", "Customer 1")),
    ],
    "litellm_soft_budget": [
        (80, entity("team", "team-1", "Team One")),
        (800, entity("organization", "org-a", "Org A")),
        (5, entity("end_user", "cust-1", "Customer 1")),
    ],
    "litellm_budget_utilization": [
        (100 * 20 / 50, entity("user", "u1", "Alice")),
        (100 * 40 / 100, entity("team", "team-1", "Team One")),
        (100 * 3 / 30, entity("team", "team-3", "Team Gone")),
        (100 * 250 / 1000, entity("organization", "org-a", "Org A")),
        (100 * 2.5 / 10, entity("end_user", "cust-1", "Customer 1")),
    ],
    "litellm_blocked_status": [
        (0, entity("key", "hash-a", "alpha")),
        (0, entity("key", "hash-b", "beta")),
        (1, entity("key", "hash-c", "gamma")),
        (0, entity("key", "hash-d")),
        (0, entity("team", "team-1", "Team One")),
        (1, entity("team", "team-2", "Team Two")),
        (0, entity("team", "team-3", "Team Gone")),
        (0, entity("end_user", "cust-1", "Customer 1")),
        (1, entity("end_user", "cust-2")),
    ],
    # team-1: u1 (admin), u2, x@example.com
    "litellm_member_count": [(3, TEAM_1), (0, TEAM_2), (1, TEAM_3)],
    "litellm_admin_count": [(1, TEAM_1), (0, TEAM_2), (1, TEAM_3)],
    # a: active; b: expired; c: blocked (neither); d: active.  Orgs through the key's team.
    "litellm_active_keys": [
        (1, entity("user", "u1", "Alice")),
        (0, entity("user", "u2", "Bob")),
        (1, entity("team", "team-1", "Team One")),
        (1, entity("team", "team-3", "Team Gone")),
        (2, entity("organization", "org-a", "Org A")),
        (0, entity("organization", "org-b", "Org B")),
    ],
    "litellm_expired_keys": [
        (0, entity("user", "u1", "Alice")),
        (1, entity("user", "u2", "Bob")),
        (1, entity("team", "team-1", "Team One")),
        (0, entity("team", "team-3", "Team Gone")),
        (1, entity("organization", "org-a", "Org A")),
        (0, entity("organization", "org-b", "Org B")),
    ],
    "litellm_key_budget": [(5, A), (7, B)],
    "litellm_key_budget_spend": [(1.25, A), (0.5, B), (0, C), (0, D)],
    # u3 (all-proxy-models), org-b and keys b-d (empty lists) are unrestricted: no series
    "litellm_available_models": [
        (2, entity("key", "hash-a", "alpha")),
        (1, entity("user", "u1", "Alice")),
        (2, entity("team", "team-1", "Team One")),
        (1, entity("team", "team-3", "Team Gone")),
        (1, entity("organization", "org-a", "Org A")),
    ],
    "litellm_model_info": [
        (1, {"model_id": "dep-1", "model_group": "gpt-4o", "base_model": "gpt-4o-2024-08-06",
             "mode": "chat"}),
        (1, {"model_id": "dep-2", "model_group": "embed", "base_model": "", "mode": ""}),
    ],
}  # fmt: skip

# Families checked against a bracket of clock readings, and what they are measured from.
KEY_EXPIRY = {"hash-a": A, "hash-b": B, "hash-d": D}  # hash-c never expires: no series
BUDGET_RESETS = {
    ("user", "u1"): entity("user", "u1", "Alice"),  # overdue by an hour: negative
    ("team", "team-1"): entity("team", "team-1", "Team One"),
    ("organization", "org-a"): entity("organization", "org-a", "Org A"),
}


def expected(spend: dict[str, list[tuple[float, dict[str, str]]]]) -> Series:
    return as_series({**spend, **ACTIVITY, **ENTITIES})


def without_team_3(series: Series) -> Series:
    """The same series after team-3 and its key hash-d are deleted."""
    gone = {"team-3", "hash-d"}
    kept = {k: v for k, v in series.items() if not gone & {value for _, value in k[1]}}
    org_a = frozenset(entity("organization", "org-a", "Org A").items())
    kept[("litellm_active_keys", org_a)] = 1  # only key a is left active in org-a
    return kept
