"""A slow, failing or stopped database never stalls collection, and is reported."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from otel_litellm.db.connection import conninfo
from otel_litellm.db.queries import build_queries
from otel_litellm.db.settings import DatabaseSettings
from tests.db.cluster import settings_for
from tests.db.scrape import pop_family, scrape, serving
from tests.support.postgres import PostgresServer
from tests.support.scrape import fetch

pytestmark = pytest.mark.db

FAST = {"DB_CONNECT_TIMEOUT": "1s", "DB_STATEMENT_TIMEOUT": "1s"}


def status(found: dict[tuple[str, frozenset[tuple[str, str]]], float]) -> dict[str, float]:
    return {
        dict(labels)["query"]: value
        for labels, value in pop_family(found, "litellm_db_refresh_success").items()
    }


def health(url: str) -> int:
    try:
        fetch(url.replace("/metrics", "/health"))
    except Exception as exc:  # urllib raises HTTPError for 503
        return int(getattr(exc, "code", 0))
    return 200


def test_a_stopped_database_is_reported_and_collection_still_answers(
    postgres: PostgresServer, seeded: str
) -> None:
    settings = settings_for(postgres, seeded, **FAST)
    queries = [q.name for q in build_queries(settings)]
    with serving(settings) as exporter:
        assert exporter.url is not None
        exporter.gauges.refresh()
        healthy = scrape(exporter)
        assert status(dict(healthy)) == dict.fromkeys(queries, 1.0)
        assert health(exporter.url) == 200
        last_ok = pop_family(dict(healthy), "litellm_db_refresh_last_success_timestamp_seconds")

        postgres.stop()
        try:
            started = time.monotonic()
            exporter.gauges.refresh()
            assert time.monotonic() - started < 5  # bounded by the connect timeout, not hung

            began = time.monotonic()
            found = scrape(exporter)
            assert time.monotonic() - began < 1
            assert status(found) == dict.fromkeys(queries, 0.0)
            # No stale values presented as current; the last success time stays readable.
            last = pop_family(found, "litellm_db_refresh_last_success_timestamp_seconds")
            assert last == last_ok
            assert found == {}
            assert health(exporter.url) == 503
        finally:
            postgres.start()

        exporter.gauges.refresh()  # the pool reconnects on its own
        recovered = scrape(exporter)
        assert status(dict(recovered)) == dict.fromkeys(queries, 1.0)
        assert recovered.keys() == healthy.keys()
        assert health(exporter.url) == 200


def test_a_blocked_query_neither_stalls_collection_nor_costs_the_other_queries(
    postgres: PostgresServer, seeded: str
) -> None:
    settings = settings_for(postgres, seeded, DB_STATEMENT_TIMEOUT="2s")
    with serving(settings) as exporter:
        exporter.gauges.refresh()
        before = scrape(exporter)
        assert any(name == "litellm_model_info" for name, _ in before)

        # An ACCESS EXCLUSIVE lock (a migration, say) makes model_info wait on its lock.
        with postgres.connect(seeded) as locker:
            locker.execute("BEGIN")
            locker.execute('LOCK TABLE "LiteLLM_ProxyModelTable" IN ACCESS EXCLUSIVE MODE')
            refresh = threading.Thread(target=exporter.gauges.refresh)
            refresh.start()
            _wait_for_lock_wait(postgres, seeded)

            began = time.monotonic()
            during = scrape(exporter)
            assert time.monotonic() - began < 1  # the scrape did not wait for the query
            assert during == before  # the previous snapshot, whole

            refresh.join(timeout=10)
            assert not refresh.is_alive()
            locker.execute("ROLLBACK")

        after = scrape(exporter)
        outcome = status(after)
        assert outcome.pop("model_info") == 0.0  # cancelled by statement_timeout
        assert set(outcome.values()) == {1.0}  # every other query ran and succeeded
        assert not any(name == "litellm_model_info" for name, _ in after)
        assert any(name == "litellm_total_spend" for name, _ in after)

        exporter.gauges.refresh()
        assert status(scrape(exporter))["model_info"] == 1.0


def test_sessions_are_read_only_and_bounded(postgres: PostgresServer, seeded: str) -> None:
    # As the superuser, so only the session settings (not grants) stand in the way.
    settings = DatabaseSettings.from_url(postgres.url(seeded), environ={})
    with psycopg.connect(conninfo(settings), autocommit=True) as conn:
        assert conn.execute("SHOW statement_timeout").fetchone() == ("10s",)
        assert conn.execute("SHOW application_name").fetchone() == ("otel_litellm",)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("""DELETE FROM "LiteLLM_TeamTable" """)


def _wait_for_lock_wait(postgres: PostgresServer, dbname: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    with postgres.connect(dbname) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE application_name = 'otel_litellm' AND wait_event_type = 'Lock'"
            ).fetchone()
            if row is not None and row[0] > 0:
                return
            time.sleep(0.02)
    raise AssertionError("the refresh never waited on the lock")


def test_stop_does_not_wait_out_a_blocked_query(postgres: PostgresServer, seeded: str) -> None:
    settings = settings_for(postgres, seeded, DB_STATEMENT_TIMEOUT="30s")
    with serving(settings) as exporter, postgres.connect(seeded) as locker:
        locker.execute("BEGIN")
        locker.execute('LOCK TABLE "LiteLLM_DailyUserSpend" IN ACCESS EXCLUSIVE MODE')
        exporter.gauges.start()
        _wait_for_lock_wait(postgres, seeded)
        began = time.monotonic()
        exporter.gauges.stop()
        assert time.monotonic() - began < 3  # the query was cancelled, not waited for
        assert scrape(exporter) == {}
        locker.execute("ROLLBACK")
