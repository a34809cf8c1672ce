"""Users, billable users and teams, counted in LiteLLM's real schema as LiteLLM counts them."""

from __future__ import annotations

import pytest

import otel_litellm
from otel_litellm.db.counts import ACTIVE_USERS, TEAMS, USERS, EntityCounts
from otel_litellm.db.settings import DatabaseSettings
from tests.db.cluster import READER, settings_for
from tests.support.postgres import PostgresServer
from tests.support.proxy import free_port
from tests.support.scrape import fetch, parse, value

pytestmark = pytest.mark.db

# LiteLLM bills every user except those SCIM deactivated (metadata.scim_active = false);
# absent, JSON null and true all count.
SCIM_USERS = """INSERT INTO "LiteLLM_UserTable" (user_id, metadata) VALUES
    ('scim-off', '{"scim_active": false}'), ('scim-on', '{"scim_active": true}'),
    ('scim-null', '{"scim_active": null}'), ('scim-text', '{"scim_active": "false"}')"""


def test_counts_are_litellms(postgres: PostgresServer, seeded: str) -> None:
    postgres.execute(seeded, SCIM_USERS)
    published: dict[str, float] = {}
    counts = EntityCounts(settings_for(postgres, seeded), published.__setitem__)
    try:
        counts.refresh()
        # seed.py: users u1-u3, teams team-1..3; plus the four SCIM rows above.
        assert published == {USERS: 7.0, ACTIVE_USERS: 6.0, TEAMS: 3.0}
        postgres.execute(seeded, """DELETE FROM "LiteLLM_TeamTable" WHERE team_id = 'team-2'""")
        counts.refresh()
        assert published[TEAMS] == 2.0
    finally:
        counts.stop()


def test_an_unreachable_database_publishes_nothing_and_raises_nothing() -> None:
    published: dict[str, float] = {}
    settings = DatabaseSettings.from_url(f"postgresql://nobody@127.0.0.1:{free_port()}/litellm")
    counts = EntityCounts(settings, published.__setitem__)
    try:
        counts.refresh()
        assert published == {} and not counts.healthy()
    finally:
        counts.stop()


def test_counts_reach_the_scrape_through_the_gauge_setter(
    postgres: PostgresServer, seeded: str
) -> None:
    """The wiring the proxy uses: the instruments' setter, unlabelled LiteLLM families."""
    otel_litellm.uninstrument()
    handle = otel_litellm.instrument(prometheus_port=0, register=False)
    counts = EntityCounts(
        settings_for(postgres, seeded),
        lambda name, number: handle.instruments.set(name, number, {}),
    )
    try:
        counts.refresh()
        assert handle.metrics_url is not None
        found = parse(fetch(handle.metrics_url))
        assert value(found, "litellm_total_users") == 3
        assert value(found, "litellm_active_users") == 3
        assert value(found, "litellm_teams_count") == 3
    finally:
        counts.stop()
        otel_litellm.uninstrument()


def test_litellms_database_url_feeds_the_counts_on_our_endpoint(
    postgres: PostgresServer, seeded: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A proxy with LiteLLM's own DATABASE_URL shows the counts; nothing else to configure."""
    import time

    monkeypatch.setenv("DATABASE_URL", postgres.url(seeded, READER))
    otel_litellm.uninstrument()
    handle = otel_litellm.instrument(prometheus_port=free_port(), register=False)
    try:
        assert handle.metrics_url is not None
        deadline = time.monotonic() + 10
        while True:
            found = parse(fetch(handle.metrics_url))
            if value(found, "litellm_teams_count") == 3.0 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert value(found, "litellm_total_users") == 3.0
        assert value(found, "litellm_active_users") == 3.0
        assert value(found, "litellm_teams_count") == 3.0
    finally:
        otel_litellm.uninstrument()
