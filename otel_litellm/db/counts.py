"""Users, billable users and teams: counts only LiteLLM's database knows.

LiteLLM's PrometheusLogger sets ``litellm_total_users``, ``litellm_active_users`` and
``litellm_teams_count`` from its periodic budget job, by counting rows through Prisma:
every user, every user minus those SCIM-deactivated (``metadata.scim_active`` is JSON
``false``), and every team.  :class:`EntityCounts` runs the same counts as one read-only
query on the database reader's pool and refresher, and hands each value to ``publish``
(the gauge setter of the instruments that export those families).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from otel_litellm import families
from otel_litellm.db.connection import open_pool
from otel_litellm.db.query import Query
from otel_litellm.db.refresher import Refresher
from otel_litellm.db.settings import DatabaseSettings
from otel_litellm.db.snapshot import Snapshot

_log = logging.getLogger(__name__)

#: (semantic instrument name of otel_litellm.spec, LiteLLM family) per count.
USERS, ACTIVE_USERS, TEAMS = families.USERS, families.USERS_ACTIVE, families.TEAMS

COUNTS = Query(
    "entity_counts",
    "SELECT u.users, u.users - u.deactivated AS active_users, t.teams FROM "
    "(SELECT count(*) AS users, "
    "count(*) FILTER (WHERE metadata -> 'scim_active' = 'false'::jsonb) AS deactivated "
    'FROM "LiteLLM_UserTable") u, '
    '(SELECT count(*) AS teams FROM "LiteLLM_TeamTable") t',
    ((USERS, "users"), (ACTIVE_USERS, "active_users"), (TEAMS, "teams")),
)

Publish = Callable[[str, float], None]


class EntityCounts:
    """Refreshes the three counts every ``settings.update_interval`` into ``publish``."""

    def __init__(self, settings: DatabaseSettings, publish: Publish) -> None:
        self.settings = settings
        self._publish = publish
        self._pool = open_pool(settings)
        interval = settings.update_interval.total_seconds()
        self._refresher = Refresher(
            self._pool,
            (COUNTS,),
            {},
            interval,
            self._hand_over,
            stale_after=2 * interval
            + (settings.connect_timeout + settings.statement_timeout).total_seconds(),
        )

    def _hand_over(self, snapshot: Snapshot) -> None:
        for name in COUNTS.metrics:
            for observation in snapshot.get(name, ()):
                try:
                    self._publish(name, float(observation.value))
                except Exception as error:  # the setter is someone else's; keep refreshing
                    _log.warning("otel_litellm.db: %s not published: %s", name, error)

    def start(self) -> EntityCounts:
        self._refresher.start()
        return self

    def refresh(self) -> None:
        """One refresh now, in this thread (tests, one-shot use)."""
        self._refresher.refresh()

    def healthy(self) -> bool:
        return self._refresher.healthy()

    def stop(self) -> None:
        self._refresher.stop(timeout=self.settings.statement_timeout.total_seconds() + 1)
        self._pool.close(timeout=1.0)
