"""Gauges over LiteLLM's PostgreSQL database: everything the LiteLLM database exporter
(seed 003) promises, as OpenTelemetry observable gauges.

* :mod:`otel_litellm.db.spec`: the metric table (no database driver needed);
* :mod:`otel_litellm.db.gauges`: ``DatabaseGauges`` and ``DatabaseSettings`` (needs the
  ``db`` extra: psycopg 3 and psycopg_pool);
* :mod:`otel_litellm.db.exporter`: the standalone exporter (``otel-litellm db``).

See docs/database.md.
"""
