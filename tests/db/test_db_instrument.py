"""The database gauges inside ``otel_litellm.instrument(database_url=...)``."""

from __future__ import annotations

import time

import pytest

import otel_litellm
from tests.db import expected
from tests.db.cluster import READER
from tests.db.scrape import Series, parse_db_series
from tests.support.postgres import PostgresServer
from tests.support.scrape import fetch

pytestmark = pytest.mark.db


def test_instrument_serves_the_database_gauges_under_the_seed_names(
    postgres: PostgresServer, seeded: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("METRICS_SPEND_WINDOW", "7d")
    otel_litellm.uninstrument()
    handle = otel_litellm.instrument(
        prometheus_port=0, database_url=postgres.url(seeded, READER), register=False
    )
    try:
        assert handle.metrics_url is not None
        deadline, found = time.monotonic() + 5, Series()
        while time.monotonic() < deadline and "litellm_total_spend" not in {n for n, _ in found}:
            time.sleep(0.05)
            found = parse_db_series(fetch(handle.metrics_url))
        spend = {k: v for k, v in found.items() if k[0] in expected.DAILY_SPEND}
        assert spend == expected.as_series(expected.DAILY_SPEND)
    finally:
        otel_litellm.uninstrument()
