"""Settings of the database gauges, read the way the seed exporter reads them.

Connection: an explicit URL first (``instrument(database_url=...)``), then the seed's
``LITELLM_DB_*`` variables when any is set (a dedicated read-only user, as the seed's
setup guide recommends, beats the proxy's own credentials), then LiteLLM's
``DATABASE_URL``, then the seed's defaults.  Windows and the update interval always come
from the seed's variables.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from urllib.parse import urlsplit

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}

_HOST_VARS = (
    "LITELLM_DB_HOST",
    "LITELLM_DB_PORT",
    "LITELLM_DB_NAME",
    "LITELLM_DB_USER",
    "LITELLM_DB_PASSWORD",
)


def parse_duration(text: str, name: str = "duration") -> timedelta:
    """``30d``, ``24h``, ``30m``, ``15s`` or plain seconds; the seed's window syntax and more."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"{name}: {text!r} is not a duration such as 30d, 24h, 30m or 15s")
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
    if seconds <= 0:
        raise ValueError(f"{name}: {text!r} must be longer than zero")
    return timedelta(seconds=seconds)


@dataclass(frozen=True)
class DatabaseSettings:
    """Where the LiteLLM database is and how the gauges read it."""

    url: str | None = field(default=None, repr=False)  # may hold a password
    host: str = "localhost"
    port: int = 5432
    dbname: str = "litellm"
    user: str = "postgres"
    password: str = field(default="", repr=False)
    min_connections: int = 1
    max_connections: int = 10
    update_interval: timedelta = timedelta(seconds=15)
    spend_window: timedelta = timedelta(days=30)
    request_window: timedelta = timedelta(hours=24)
    error_window: timedelta = timedelta(hours=1)
    statement_timeout: timedelta = timedelta(seconds=10)
    connect_timeout: timedelta = timedelta(seconds=5)

    def __post_init__(self) -> None:
        if not 0 < self.min_connections <= self.max_connections:
            raise ValueError(
                "DB_MIN_CONNECTIONS must be at least 1 and at most DB_MAX_CONNECTIONS "
                f"(got {self.min_connections} and {self.max_connections})"
            )

    @property
    def spend_days(self) -> int | None:
        """Whole UTC days in the spend window, or None when the daily roll-ups cannot answer it."""
        if self.spend_window % timedelta(days=1):
            return None
        return self.spend_window.days

    @property
    def target(self) -> str:
        """``user@host:port/dbname``, for logs: never the password."""
        if self.url is None:
            return f"{self.user}@{self.host}:{self.port}/{self.dbname}"
        parts = urlsplit(self.url)
        user = f"{parts.username}@" if parts.username else ""
        port = f":{parts.port}" if parts.port else ""
        return f"{user}{parts.hostname or 'localhost'}{port}{parts.path}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DatabaseSettings:
        env = os.environ if environ is None else environ
        if any(_get(env, name) is not None for name in _HOST_VARS):
            base = cls(
                host=_get(env, "LITELLM_DB_HOST") or cls.host,
                port=int(_get(env, "LITELLM_DB_PORT") or cls.port),
                dbname=_get(env, "LITELLM_DB_NAME") or cls.dbname,
                user=_get(env, "LITELLM_DB_USER") or cls.user,
                password=_get(env, "LITELLM_DB_PASSWORD") or "",
            )
        else:
            base = cls(url=_get(env, "DATABASE_URL"))
        return base.with_env(env)

    @classmethod
    def from_url(cls, url: str, environ: Mapping[str, str] | None = None) -> DatabaseSettings:
        """Connect to ``url`` (LiteLLM's ``DATABASE_URL`` form); the rest from the environment."""
        return cls(url=url).with_env(os.environ if environ is None else environ)

    def with_env(self, env: Mapping[str, str]) -> DatabaseSettings:
        """These settings with pool size, interval, windows and timeouts from ``env``."""
        changes: dict[str, object] = {}
        for attribute, name in (
            ("min_connections", "DB_MIN_CONNECTIONS"),
            ("max_connections", "DB_MAX_CONNECTIONS"),
        ):
            value = _get(env, name)
            if value is not None:
                changes[attribute] = int(value)
        for attribute, name in _DURATION_VARS:
            value = _get(env, name)
            if value is not None:
                changes[attribute] = parse_duration(value, name)
        return replace(self, **changes)  # type: ignore[arg-type]


_DURATION_VARS = (
    ("update_interval", "METRICS_UPDATE_INTERVAL"),
    ("spend_window", "METRICS_SPEND_WINDOW"),
    ("request_window", "METRICS_REQUEST_WINDOW"),
    ("error_window", "METRICS_ERROR_WINDOW"),
    ("statement_timeout", "DB_STATEMENT_TIMEOUT"),
    ("connect_timeout", "DB_CONNECT_TIMEOUT"),
)


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    return value if value not in (None, "") else None
