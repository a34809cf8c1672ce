"""The background refresh: run every query, replace the snapshot wholesale, report how it went.

Queries run one after another on a pooled connection, each in its own autocommit statement,
so one failing (or timing out) does not stop the others.  A query that fails has no series
in the next snapshot, rather than its last values presented as current; the refresh gauges
say which query failed and since when.  Series of entities that left the database vanish
the same way: each snapshot is built from scratch.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from opentelemetry.metrics import Observation
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from otel_litellm.db.query import Query
from otel_litellm.db.snapshot import Snapshot, merge, observe
from otel_litellm.db.spec import BY_NAME

_log = logging.getLogger(__name__)

SUCCESS = "litellm.db.refresh.success"
DURATION = "litellm.db.refresh.duration"
LAST_SUCCESS = "litellm.db.refresh.last_success"


@dataclass(frozen=True)
class Outcome:
    query: str
    ok: bool
    seconds: float | None  # None: not run (no connection)
    observations: Mapping[str, list[Observation]] = field(default_factory=dict)
    error: str | None = None


class Refresher:
    """Runs ``queries`` every ``interval`` seconds on ``pool`` and publishes each snapshot."""

    def __init__(
        self,
        pool: ConnectionPool,
        queries: Sequence[Query],
        params: Mapping[str, object],
        interval: float,
        publish: Callable[[Snapshot], None],
        stale_after: float,
    ) -> None:
        self._pool = pool
        self._queries = tuple(queries)
        self._params = dict(params)
        self._interval = interval
        self._publish = publish
        self._stale_after = stale_after
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._busy: psycopg.Connection[Any] | None = None  # the connection a query runs on
        self._last_success: dict[str, float] = {}
        self._failing: set[str] = set()
        self._unreachable = False
        self.last_outcomes: tuple[Outcome, ...] = ()
        self.last_cycle_end: float | None = None  # monotonic

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="otel-litellm-db", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        busy = self._busy
        if busy is not None:  # don't make shutdown wait out a slow query
            with contextlib.suppress(Exception):
                busy.cancel_safe(timeout=1.0)
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.refresh()
            except Exception:  # the thread must outlive any bug in one cycle
                _log.exception("otel_litellm.db: refresh cycle failed")
            # The pause runs from the end of a cycle, so a slow database never stacks cycles.
            self._stop.wait(self._interval)

    def healthy(self) -> bool:
        """The last cycle reached the database and is recent enough; the loop is alive."""
        if self._thread is not None and not self._thread.is_alive():
            return False
        if self.last_cycle_end is None or not any(o.ok for o in self.last_outcomes):
            return False
        return time.monotonic() - self.last_cycle_end <= self._stale_after

    # -- one cycle ---------------------------------------------------------------------------
    def refresh(self) -> Snapshot:
        """Run every query once and publish the new snapshot."""
        with self._lock:
            outcomes = self._run_all()
            snapshot = merge([*(o.observations for o in outcomes if o.ok), self._status(outcomes)])
            if not self._stop.is_set():  # a cycle cut short by stop() publishes nothing
                self._publish(snapshot)
            self.last_outcomes = outcomes
            self.last_cycle_end = time.monotonic()
            return snapshot

    def _run_all(self) -> tuple[Outcome, ...]:
        outcomes: list[Outcome] = []
        pending = list(self._queries)
        while pending:
            try:
                with self._pool.connection() as conn:
                    self._reached()
                    while pending and not self._stop.is_set():
                        outcomes.append(self._run(conn, pending.pop(0)))
                        if conn.broken:  # the rest go to a fresh connection
                            break
                if self._stop.is_set():
                    break
            except (PoolTimeout, psycopg.Error) as exc:
                self._unreached(exc, len(pending))
                outcomes.extend(Outcome(q.name, False, None, error=str(exc)) for q in pending)
                break
        for outcome in outcomes:
            self._log_transition(outcome)
        return tuple(outcomes)

    def _run(self, conn: psycopg.Connection[Any], query: Query) -> Outcome:
        started = time.monotonic()
        self._busy = conn
        try:
            with conn.cursor(row_factory=dict_row) as cursor:
                cursor.execute(query.sql, self._params)
                rows = cursor.fetchall()
            observations = observe(query, rows)
        except psycopg.Error as exc:
            return Outcome(query.name, False, time.monotonic() - started, error=_first_line(exc))
        except Exception as exc:  # a bug in one query's mapping must not cost the others
            _log.exception("otel_litellm.db: query %s could not be read", query.name)
            return Outcome(query.name, False, time.monotonic() - started, error=repr(exc))
        finally:
            self._busy = None
        self._last_success[query.name] = time.time()
        return Outcome(query.name, True, time.monotonic() - started, observations)

    def _status(self, outcomes: Sequence[Outcome]) -> dict[str, list[Observation]]:
        status: dict[str, list[Observation]] = {SUCCESS: [], DURATION: [], LAST_SUCCESS: []}
        for outcome in outcomes:
            values = {
                SUCCESS: float(outcome.ok),
                DURATION: outcome.seconds,
                LAST_SUCCESS: self._last_success.get(outcome.query),
            }
            for metric, value in values.items():
                if value is not None:
                    key = BY_NAME[metric].label_map[0][1]
                    status[metric].append(Observation(value, {key: outcome.query}))
        return status

    # -- logging: one line per change of state, not one per cycle ---------------------------
    def _reached(self) -> None:
        if self._unreachable:
            _log.info("otel_litellm.db: database reachable again")
            self._unreachable = False

    def _unreached(self, exc: BaseException, skipped: int) -> None:
        level = logging.DEBUG if self._unreachable else logging.WARNING
        _log.log(
            level,
            "otel_litellm.db: database unreachable (%s); %d queries skipped, "
            "their gauges are absent until it answers",
            _first_line(exc),
            skipped,
        )
        self._unreachable = True

    def _log_transition(self, outcome: Outcome) -> None:
        if outcome.ok:
            if outcome.query in self._failing:
                self._failing.discard(outcome.query)
                _log.info("otel_litellm.db: query %s succeeds again", outcome.query)
            return
        if outcome.seconds is None:  # not run: reported once by _unreached
            return
        level = logging.DEBUG if outcome.query in self._failing else logging.WARNING
        self._failing.add(outcome.query)
        _log.log(
            level,
            "otel_litellm.db: query %s failed after %.3fs: %s",
            outcome.query,
            outcome.seconds,
            outcome.error,
        )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
