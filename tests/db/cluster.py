"""How the test cluster is laid out, and settings pointing the gauges at it."""

from __future__ import annotations

from otel_litellm.db.settings import DatabaseSettings
from tests.support.postgres import PostgresServer

TEMPLATE = "litellm_template"  # migrated once per session; each test copies it
READER = "metrics_reader"  # the role the gauges connect as: SELECT only
SERVER_TZ = "Pacific/Kiritimati"  # UTC+14, the server's configured zone
DATABASE_TZ = "America/New_York"  # the test databases' zone: the seeding sessions
READER_TZ = "Asia/Kathmandu"  # UTC+5:45, the gauges' sessions

# Windows of the tests; expected.py is worked out for these.
WINDOWS = {
    "METRICS_SPEND_WINDOW": "7d",
    "METRICS_REQUEST_WINDOW": "2h",
    "METRICS_ERROR_WINDOW": "30m",
    "METRICS_UPDATE_INTERVAL": "1h",  # the tests refresh by hand
}


def settings_for(postgres: PostgresServer, dbname: str, **env: str) -> DatabaseSettings:
    """Settings for the gauges' role on ``dbname``, the test windows overridden by ``env``."""
    return DatabaseSettings.from_url(postgres.url(dbname, READER), environ={**WINDOWS, **env})
