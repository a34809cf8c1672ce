"""The standalone database exporter: a drop-in for the seed exporter (``otel-litellm db``).

It reads the seed's environment variables, serves ``/metrics`` (seed names and labels in
the ``litellm`` naming) and ``/health``, and can push the same gauges over OTLP
(``OTEL_METRICS_EXPORTER=prometheus,otlp``).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Sequence

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource

from otel_litellm.config import Settings, load_settings
from otel_litellm.db.gauges import DatabaseGauges
from otel_litellm.db.settings import DatabaseSettings
from otel_litellm.db.spec import DB_METRICS
from otel_litellm.naming import METER_NAME, LabelRenamer, build_views
from otel_litellm.readers import build_readers
from otel_litellm.server import EndpointAuth, MetricsServer

_log = logging.getLogger(__name__)

DEFAULT_PORT = 9090  # the seed's METRICS_PORT default


class DatabaseExporter:
    """A meter provider with only the database gauges, its readers, and the HTTP endpoint."""

    def __init__(
        self,
        settings: DatabaseSettings,
        port: int | None = DEFAULT_PORT,
        host: str = "127.0.0.1",
        options: Settings | None = None,
    ) -> None:
        options = options or load_settings()
        self.settings = settings
        rewrite = LabelRenamer.for_specs(DB_METRICS) if options.naming.litellm else LabelRenamer({})
        readers, self.reader = build_readers(
            options.exporters,
            rewrite,
            cardinality_limit=options.cardinality_limit,
            otlp_protocol=options.otlp_protocol,
            export_interval_ms=options.export_interval_ms,
        )
        self.provider = MeterProvider(
            metric_readers=readers,
            views=build_views(
                DB_METRICS, options.naming, cardinality_limit=options.cardinality_limit
            ),
            resource=Resource.create({"service.name": options.service_name}),
        )
        self.gauges = DatabaseGauges(self.provider.get_meter(METER_NAME), settings)
        self.server: MetricsServer | None = None
        if self.reader is not None and port is not None:
            user, _, password = (options.basic_auth or "").partition(":")
            self.server = MetricsServer(
                self.reader.registry,
                port,
                host,
                EndpointAuth(options.bearer_token, user or None, password or None),
                health=self.gauges.healthy,
            )

    @property
    def url(self) -> str | None:
        return self.server.url if self.server else None

    def start(self) -> None:
        self.gauges.start()
        _log.info(
            "otel_litellm db exporter: reading %s every %ss (spend window %s, request window %s, "
            "error window %s); metrics at %s",
            self.settings.target,
            self.settings.update_interval.total_seconds(),
            self.settings.spend_window,
            self.settings.request_window,
            self.settings.error_window,
            self.url or "OTLP only",
        )

    def close(self) -> None:
        self.gauges.stop()
        if self.server is not None:
            self.server.close()
        self.provider.shutdown(timeout_millis=5_000)


def run(
    settings: DatabaseSettings,
    port: int | None = DEFAULT_PORT,
    host: str = "127.0.0.1",
    *,
    stop: threading.Event | None = None,
) -> None:
    """Serve the database gauges until SIGTERM/SIGINT (or ``stop`` is set)."""
    stop = stop or threading.Event()
    exporter = DatabaseExporter(settings, port, host)
    previous = _on_signals(stop, (signal.SIGTERM, signal.SIGINT))
    try:
        exporter.start()
        stop.wait()
    finally:
        exporter.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def main(port: int | None = DEFAULT_PORT, host: str = "127.0.0.1") -> int:
    """The CLI entry: the seed's environment variables, then :func:`run`."""
    run(DatabaseSettings.from_env(), port, host)
    return 0


def _on_signals(
    stop: threading.Event, signums: Sequence[signal.Signals]
) -> dict[signal.Signals, signal.Handlers | int | None]:
    # Signal handlers can only be installed from the main thread; elsewhere ``stop`` rules.
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous: dict[signal.Signals, signal.Handlers | int | None] = {}
    for signum in signums:
        previous[signum] = signal.signal(signum, lambda *_: stop.set())  # type: ignore[assignment]
    return previous
