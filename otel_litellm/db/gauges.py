"""Observable gauges over LiteLLM's database.

Collection only reads the last snapshot the background refresher published; it never
touches the database, so a slow or dead database cannot stall a scrape or an export.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from opentelemetry.metrics import CallbackOptions, Meter, Observation
from psycopg_pool import ConnectionPool

from otel_litellm.db.connection import open_pool
from otel_litellm.db.queries import build_queries, query_params
from otel_litellm.db.refresher import Refresher
from otel_litellm.db.settings import DatabaseSettings
from otel_litellm.db.snapshot import EMPTY, Snapshot
from otel_litellm.db.spec import DB_METRICS

__all__ = ["DatabaseGauges", "DatabaseSettings"]


class DatabaseGauges:
    """The database gauges on ``meter``; ``start()`` begins refreshing, ``stop()`` ends it."""

    def __init__(self, meter: Meter, settings: DatabaseSettings) -> None:
        self.settings = settings
        self._snapshot: Snapshot = EMPTY
        self._lock = threading.Lock()
        self._pool: ConnectionPool | None = None
        self._refresher: Refresher | None = None
        self._instruments = [
            meter.create_observable_gauge(
                spec.name,
                callbacks=[self._reader(spec.name)],
                unit=spec.unit,
                description=spec.description,
            )
            for spec in DB_METRICS
        ]

    def _reader(self, name: str) -> Callable[[CallbackOptions], Iterable[Observation]]:
        def observe(options: CallbackOptions) -> Iterable[Observation]:
            return self._snapshot.get(name, ())

        return observe

    def _publish(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot  # one reference swap: readers see the old or the new, whole

    def _ensure_refresher(self) -> Refresher:
        with self._lock:
            if self._refresher is None:
                self._pool = open_pool(self.settings)
                queries = build_queries(self.settings)
                interval = self.settings.update_interval.total_seconds()
                # Worst honest cycle: a connect, then every query up to its timeout.
                timeouts = self.settings.connect_timeout + self.settings.statement_timeout * len(
                    queries
                )
                self._refresher = Refresher(
                    self._pool,
                    queries,
                    query_params(self.settings),
                    interval,
                    self._publish,
                    stale_after=2 * interval + timeouts.total_seconds(),
                )
            return self._refresher

    def start(self) -> None:
        """Open the pool (without waiting for the database) and start refreshing."""
        self._ensure_refresher().start()

    def refresh(self) -> None:
        """Run one refresh now, in this thread (tests, one-shot use)."""
        self._ensure_refresher().refresh()

    def healthy(self) -> bool:
        """True while refreshes reach the database and keep coming."""
        refresher = self._refresher
        return refresher is not None and refresher.healthy()

    def stop(self) -> None:
        with self._lock:
            refresher, pool = self._refresher, self._pool
            self._refresher = self._pool = None
        if refresher is not None:
            refresher.stop(timeout=self.settings.statement_timeout.total_seconds() + 1)
        if pool is not None:
            pool.close(timeout=1.0)
        self._snapshot = EMPTY
