"""The standalone exporter as the seed's users run it: its environment variables, a port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

import pytest

from otel_litellm.db.exporter import run
from otel_litellm.db.settings import DatabaseSettings
from tests.db.cluster import READER
from tests.db.scrape import Series, parse_db_series
from tests.support.postgres import PostgresServer
from tests.support.scrape import fetch

pytestmark = pytest.mark.db


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_run_serves_metrics_and_health_from_the_seed_environment(
    postgres: PostgresServer, seeded: str
) -> None:
    env = {
        "LITELLM_DB_HOST": "127.0.0.1",
        "LITELLM_DB_PORT": str(postgres.port),
        "LITELLM_DB_NAME": seeded,
        "LITELLM_DB_USER": READER,
        "LITELLM_DB_PASSWORD": "",
        "DB_MIN_CONNECTIONS": "1",
        "DB_MAX_CONNECTIONS": "2",
        "METRICS_UPDATE_INTERVAL": "1",
        # the seed's defaults for the windows, METRICS_SPEND_WINDOW=30d etc.
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/wrong",  # LITELLM_DB_* win
    }
    settings = DatabaseSettings.from_env(env)
    port, stop = _free_port(), threading.Event()
    base = f"http://127.0.0.1:{port}"
    thread = threading.Thread(target=run, args=(settings, port, "127.0.0.1"), kwargs={"stop": stop})
    thread.start()
    try:
        _until(lambda: fetch(base + "/health") == "ok\n")
        found: Series = parse_db_series(fetch(base + "/metrics"))
        # The seed's default 30-day window also takes in the 7-day-old rows (100.0 each).
        assert found[("litellm_total_spend", frozenset({("model", "gpt-4o")}))] == 107.25
        assert found[("litellm_key_spend", frozenset({
            ("key_name", "sk-...aaaa"), ("key_alias", "alpha"), ("hashed_api_key", "hash-a"),
        }))] == 101.25  # fmt: skip

        # METRICS_UPDATE_INTERVAL=1 is honoured: a new team shows up without a restart.
        postgres.execute(seeded, """INSERT INTO "LiteLLM_TeamTable" (team_id, team_alias)
                                    VALUES ('team-new', 'New')""")  # fmt: skip
        new = ("litellm_member_count", frozenset({("team_id", "team-new"), ("team_alias", "New")}))
        _until(lambda: parse_db_series(fetch(base + "/metrics")).get(new) == 0.0, timeout=5)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    with pytest.raises(OSError):
        fetch(base + "/health")
