"""What a query is: SQL, and which of its columns feed which gauge.

A query returns one column per label of the gauges it feeds, named as the label, and
one column per value.  A NULL value means "no series" for that row, not zero.
"""

from __future__ import annotations

from dataclasses import dataclass

# Every time comparison is against this: the columns are ``timestamp without time zone``
# holding UTC, and ``now()`` rendered in UTC is right whatever the session TimeZone is.
NOW_UTC = "(now() AT TIME ZONE 'UTC')"


@dataclass(frozen=True)
class Query:
    name: str  # the ``query`` label of the refresh gauges
    sql: str
    outputs: tuple[tuple[str, str], ...]  # (gauge semantic name, value column)

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(metric for metric, _ in self.outputs)
