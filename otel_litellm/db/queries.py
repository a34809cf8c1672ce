"""The table of queries one refresh runs, and the parameters they are bound to."""

from __future__ import annotations

from otel_litellm.db.query import Query
from otel_litellm.db.settings import DatabaseSettings
from otel_litellm.db.sql.activity import ACTIVITY_QUERIES
from otel_litellm.db.sql.entities import ENTITY_QUERIES
from otel_litellm.db.sql.spend import spend_queries


def build_queries(settings: DatabaseSettings) -> tuple[Query, ...]:
    """Every query, spend from the daily roll-ups when the spend window is whole days."""
    return (
        *spend_queries(daily=settings.spend_days is not None),
        *ACTIVITY_QUERIES,
        *ENTITY_QUERIES,
    )


def query_params(settings: DatabaseSettings) -> dict[str, object]:
    """Bind parameters shared by all queries (each uses the ones it names)."""
    return {
        "spend_days": settings.spend_days or 0,
        "spend_window": settings.spend_window,
        "request_window": settings.request_window,
        "error_window": settings.error_window,
        "error_minutes": settings.error_window.total_seconds() / 60,
    }
