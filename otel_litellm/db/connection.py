"""The read-only connection pool the refresher reads through.

Every session is read-only (``default_transaction_read_only``) and bounded
(``statement_timeout``, TCP timeouts), so neither a bug here nor a stuck network can write
to LiteLLM's database or hold a refresh forever.  The session time zone is left alone on
purpose: the queries never depend on it.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

try:
    from psycopg import pq
    from psycopg.conninfo import conninfo_to_dict, make_conninfo
    from psycopg_pool import ConnectionPool
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "the database gauges need psycopg 3 and psycopg_pool: pip install 'otel_litellm[db]'"
    ) from exc

from otel_litellm.db.settings import DatabaseSettings

_log = logging.getLogger(__name__)

APPLICATION_NAME = "otel_litellm"


def conninfo(settings: DatabaseSettings) -> str:
    """The libpq connection string for ``settings``, with the gauges' session options."""
    if settings.url is not None:
        url, search_path = _libpq_url(settings.url)
        params: dict[str, str | int | None] = dict(conninfo_to_dict(url))
    else:
        search_path = None
        params = {
            "host": settings.host,
            "port": settings.port,
            "dbname": settings.dbname,
            "user": settings.user,
        }
        if settings.password:
            params["password"] = settings.password
    options = [str(params.pop("options", None) or "")]
    options.append("-c default_transaction_read_only=on")
    options.append(f"-c statement_timeout={_millis(settings.statement_timeout)}")
    if search_path:
        options.append("-c search_path=" + _escape_option(search_path))
    params["options"] = " ".join(option for option in options if option)
    params.setdefault("application_name", APPLICATION_NAME)
    params.setdefault("connect_timeout", max(1, round(settings.connect_timeout.total_seconds())))
    # A dead peer must fail the query, not hang the refresher in recv().
    params.setdefault("keepalives", 1)
    params.setdefault("keepalives_idle", 30)
    params.setdefault(
        "tcp_user_timeout", _millis(settings.statement_timeout + settings.connect_timeout)
    )
    return make_conninfo("", **params)


def open_pool(settings: DatabaseSettings) -> ConnectionPool:
    """A pool that connects in the background: opening it never waits for the database."""
    pool: ConnectionPool = ConnectionPool(
        conninfo(settings),
        kwargs={"autocommit": True},
        min_size=settings.min_connections,
        max_size=settings.max_connections,
        timeout=settings.connect_timeout.total_seconds(),
        check=ConnectionPool.check_connection,
        name="otel_litellm.db",
        open=False,
    )
    pool.open(wait=False)
    return pool


# Query parameters Prisma understands in LiteLLM's DATABASE_URL and libpq does not.
_PRISMA_SCHEMA = "schema"


def _libpq_url(url: str) -> tuple[str, str | None]:
    """``url`` without the query parameters libpq would reject, and Prisma's ``schema``."""
    parts = urlsplit(url)
    known = _libpq_keywords()
    kept: list[tuple[str, str]] = []
    schema: str | None = None
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key == _PRISMA_SCHEMA:
            schema = value or None
        elif key in known:
            kept.append((key, value))
        else:
            _log.debug("otel_litellm.db: ignoring DATABASE_URL parameter %r (not libpq's)", key)
    # libpq percent-decodes but reads '+' literally, so spaces must travel as %20.
    return urlunsplit(parts._replace(query=urlencode(kept, quote_via=quote))), schema


def _libpq_keywords() -> set[str]:
    return {option.keyword.decode() for option in pq.Conninfo.get_defaults()}


def _millis(duration: timedelta) -> int:
    return max(1, round(duration.total_seconds() * 1000))


def _escape_option(value: str) -> str:
    # libpq splits ``options`` on unescaped whitespace.
    return value.replace("\\", "\\\\").replace(" ", "\\ ")
