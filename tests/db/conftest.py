"""A PostgreSQL server with LiteLLM's schema, once per session; a fresh database per test.

The server's configured time zone, the test databases' and the gauges' role's are all
different and none is UTC, so any query that leans on the session time zone is caught.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections.abc import Iterator

import pytest

from tests.db import seed
from tests.db.cluster import DATABASE_TZ, READER, READER_TZ, SERVER_TZ, TEMPLATE
from tests.support.postgres import PostgresServer

_names = itertools.count()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer.create(timezone=SERVER_TZ)
    try:
        server.create_database(TEMPLATE)
        server.apply_migrations(TEMPLATE)
        server.execute(
            "postgres",
            f"CREATE ROLE {READER} LOGIN",
            f"ALTER ROLE {READER} SET timezone = '{READER_TZ}'",
        )
        # Grants live in the template's catalog, so every copy carries them.
        server.execute(TEMPLATE, f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {READER}")
        yield server
    finally:
        server.destroy()


@pytest.fixture
def litellm_db(postgres: PostgresServer) -> Iterator[str]:
    """An empty LiteLLM database (real schema) whose default time zone is not UTC."""
    _wait_clear_of_utc_midnight()
    name = f"litellm_{next(_names)}"
    postgres.create_database(name, template=TEMPLATE)
    postgres.execute("postgres", f"ALTER DATABASE {name} SET timezone = '{DATABASE_TZ}'")
    try:
        yield name
    finally:
        postgres.drop_database(name)


@pytest.fixture
def seeded(postgres: PostgresServer, litellm_db: str) -> str:
    """A LiteLLM database holding seed.py's rows."""
    postgres.execute(litellm_db, *seed.STATEMENTS)
    return litellm_db


def _wait_clear_of_utc_midnight(margin: float = 20.0) -> None:
    # Daily roll-up windows are UTC days: a test straddling midnight would see them move.
    now = dt.datetime.now(dt.timezone.utc)
    midnight = (now + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    left = (midnight - now).total_seconds()
    if left < margin:
        time.sleep(left + 1)
