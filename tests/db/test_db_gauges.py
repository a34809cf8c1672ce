"""Every database gauge, scraped from the standalone exporter, against hand-computed values.

Real PostgreSQL, LiteLLM's real schema (its SQL migrations), data seeded as LiteLLM writes
it, and no time zone anywhere set to UTC.
"""

from __future__ import annotations

import time

import pytest

from otel_litellm.db.queries import build_queries
from tests.db import expected, seed
from tests.db.cluster import settings_for
from tests.db.scrape import Series, pop_family, scrape, serving
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.db

EPSILON = 1e-6  # float rounding of epoch arithmetic, far below a clock tick that matters


def db_now(postgres: PostgresServer, dbname: str) -> float:
    with postgres.connect(dbname) as conn:
        row = conn.execute("SELECT extract(epoch FROM now())::double precision").fetchone()
    assert row is not None
    return float(row[0])


def stored_epochs(postgres: PostgresServer, dbname: str, sql: str) -> dict[tuple[str, ...], float]:
    """(ids...) -> epoch seconds of a stored UTC ``timestamp without time zone``."""
    with postgres.connect(dbname) as conn:
        rows = conn.execute(sql).fetchall()  # type: ignore[arg-type]
    return {tuple(row[:-1]): float(row[-1]) for row in rows}


def check_seconds_until(
    found: dict[frozenset[tuple[str, str]], float],
    targets: dict[frozenset[tuple[str, str]], float],
    before: float,
    after: float,
) -> None:
    """Each value is ``target - t`` for some database time t the refresh ran at."""
    assert set(found) == set(targets)
    for labels, value in found.items():
        target = targets[labels]
        assert target - after - EPSILON <= value <= target - before + EPSILON, dict(labels)


def check_refresh(found: Series, queries: list[str], wall: tuple[float, float]) -> None:
    success = pop_family(found, "litellm_db_refresh_success")
    durations = pop_family(found, "litellm_db_refresh_duration_seconds")
    last = pop_family(found, "litellm_db_refresh_last_success_timestamp_seconds")
    assert success == {frozenset({("query", q)}): 1.0 for q in queries}
    assert set(durations) == set(success)
    assert all(0 <= d <= wall[1] - wall[0] for d in durations.values())
    assert set(last) == set(success)
    assert all(wall[0] <= t <= wall[1] for t in last.values())


def test_every_gauge_matches_the_hand_computed_values(
    postgres: PostgresServer, seeded: str
) -> None:
    settings = settings_for(postgres, seeded)
    assert settings.spend_days == 7  # the daily roll-ups answer this window
    queries = [q.name for q in build_queries(settings)]
    expiry_targets = {
        frozenset(expected.KEY_EXPIRY[token].items()): epoch
        for (token,), epoch in stored_epochs(
            postgres, seeded,
            'SELECT token, extract(epoch FROM expires) FROM "LiteLLM_VerificationToken" '
            "WHERE expires IS NOT NULL",
        ).items()
    }  # fmt: skip
    reset_targets = {
        frozenset(expected.BUDGET_RESETS[ids].items()): epoch
        for ids, epoch in stored_epochs(
            postgres, seeded,
            "SELECT 'user', user_id, extract(epoch FROM budget_reset_at) "
            'FROM "LiteLLM_UserTable" WHERE budget_reset_at IS NOT NULL UNION ALL '
            "SELECT 'team', team_id, extract(epoch FROM budget_reset_at) "
            'FROM "LiteLLM_TeamTable" WHERE budget_reset_at IS NOT NULL UNION ALL '
            "SELECT 'organization', o.organization_id, extract(epoch FROM b.budget_reset_at) "
            'FROM "LiteLLM_OrganizationTable" o JOIN "LiteLLM_BudgetTable" b USING (budget_id) '
            "WHERE b.budget_reset_at IS NOT NULL",
        ).items()
    }  # fmt: skip

    with serving(settings) as exporter:
        assert scrape(exporter) == {}  # nothing before the first refresh, and no error

        wall_before, before = time.time(), db_now(postgres, seeded)
        exporter.gauges.refresh()
        after, wall_after = db_now(postgres, seeded), time.time()
        found = scrape(exporter)

        check_refresh(found, queries, (wall_before, wall_after))
        check_seconds_until(pop_family(found, "litellm_key_expiry"), expiry_targets, before, after)
        check_seconds_until(
            pop_family(found, "litellm_budget_reset_time"), reset_targets, before, after
        )
        want = expected.expected(expected.DAILY_SPEND)
        assert found == want

        # The team is deleted (with its key, as LiteLLM does): its series go at the next refresh.
        postgres.execute(seeded, *seed.DELETE_TEAM_3)
        exporter.gauges.refresh()
        found = scrape(exporter)
        check_refresh(found, queries, (wall_before, time.time()))
        pop_family(found, "litellm_budget_reset_time")
        expiry = pop_family(found, "litellm_key_expiry")
        assert set(expiry) == set(expiry_targets) - {frozenset(expected.D.items())}
        assert found == expected.without_team_3(want)
        assert not any("team-3" in labels or "hash-d" in labels for _, ls in found for labels in ls)


def test_spend_window_shorter_than_a_day_reads_the_spend_logs(
    postgres: PostgresServer, seeded: str
) -> None:
    settings = settings_for(postgres, seeded, METRICS_SPEND_WINDOW="2h")
    assert settings.spend_days is None
    with serving(settings) as exporter:
        exporter.gauges.refresh()
        found = scrape(exporter)
    spend_families = set(expected.LOGS_SPEND)
    got = {k: v for k, v in found.items() if k[0] in spend_families}
    assert got == expected.as_series(expected.LOGS_SPEND)
