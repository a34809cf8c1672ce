"""``general_settings.custom_auth`` for the proxy tests: identities as database auth builds them.

A database-backed proxy cannot start here (no Prisma engines), so this returns the
``UserAPIKeyAuth`` objects LiteLLM's database auth would: hashed key, alias, budgets and
spend of the key, its team, user and organization, the budget snapshots auth pins on the
credential, rpm/tpm limits (per model too) and reset times.  The end user (customer)
comes from the request body's ``user``; its budget rides on the key, as LiteLLM's
end-user lookup attaches it.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from typing import Any

ALPHA_KEY = "sk-identity-alpha-000000000001"
BETA_KEY = "sk-identity-beta-0000000000002"


def hashed(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()  # LiteLLM's hash_token


def _in(days: float) -> datetime:
    return datetime.now(timezone.utc) + timedelta(days=days)


def _identities() -> dict[str, dict[str, Any]]:
    return {
        ALPHA_KEY: {
            "key_alias": "key-alpha", "max_budget": 10.0, "spend": 1.5,
            "budget_reset_at": _in(2), "rpm_limit": 1000, "tpm_limit": 1_000_000,
            # Where database auth keeps a key's per-model limits (LiteLLM's limiter reads them
            # there; UserAPIKeyAuth.rpm_limit_per_model is read by nothing).
            "metadata": {"model_rpm_limit": {"gpt-mock": 400},
                         "model_tpm_limit": {"gpt-mock": 400_000}},
            "team_id": "team-one", "team_alias": "Team One", "team_max_budget": 100.0,
            "team_spend": 40.0, "team_rpm_limit": 5000, "team_tpm_limit": 5_000_000,
            "team_budget": (_in(1), 100.0),
            "user_id": "u-alice", "user_email": "alice@example.com", "user_max_budget": 50.0,
            "user_spend": 20.0, "user_budget": (_in(3), 50.0, "Alice"),
            "org_id": "org-a", "organization_alias": "Org A", "organization_max_budget": 1000.0,
            "org_budget": (250.0, 1000.0),
            "end_user_max_budget": 20.0,
        },
        BETA_KEY: {
            "key_alias": "key-beta", "max_budget": 5.0, "spend": 0.25,
            "budget_reset_at": _in(5), "rpm_limit": 2000, "tpm_limit": 2_000_000,
            "team_id": "team-two", "team_alias": "Team Two", "team_max_budget": 30.0,
            "team_spend": 3.0, "team_budget": (_in(6), 30.0),
            "user_id": "u-bob", "user_email": "bob@example.com", "user_max_budget": 8.0,
            "user_spend": 1.0, "user_budget": (_in(4), 8.0, "Bob"),
        },
    }  # fmt: skip


def identity(api_key: str) -> Any:
    from litellm.proxy._types import UserAPIKeyAuth
    from litellm.types.proxy.carried_budget_state import (
        OrgBudgetSnapshot,
        TeamBudgetSnapshot,
        UserBudgetSnapshot,
    )

    fields = dict(_identities()[api_key])
    team_reset, team_max = fields.pop("team_budget")
    user_reset, user_max, user_alias = fields.pop("user_budget")
    org_budget = fields.pop("org_budget", None)
    auth = UserAPIKeyAuth(api_key=hashed(api_key), token=hashed(api_key), **fields)
    auth.team_budget_snapshot = TeamBudgetSnapshot(budget_reset_at=team_reset, max_budget=team_max)
    auth.user_budget_snapshot = UserBudgetSnapshot(
        budget_reset_at=user_reset, max_budget=user_max, user_alias=user_alias
    )
    if org_budget is not None:
        auth.org_budget_snapshot = OrgBudgetSnapshot(spend=org_budget[0], max_budget=org_budget[1])
    return auth


async def user_api_key_auth(request: Any, api_key: str) -> Any:
    key = api_key.removeprefix("Bearer ").strip()
    if key not in _identities():
        from litellm.proxy._types import ProxyErrorTypes, ProxyException

        # What LiteLLM's database auth raises for an unknown key.
        raise ProxyException("Invalid proxy server token passed", ProxyErrorTypes.auth_error,
                             "api_key", 401)  # fmt: skip
    return identity(key)
