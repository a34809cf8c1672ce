"""Building one Instrumentation from Settings: provider, readers, instruments, callback.

Nothing here changes process-global state: the lifecycle owner
(:mod:`otel_litellm.instrumentor`) applies and undoes every global effect, and
points LiteLLM's hooks at the Instrumentation built here.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.metrics import MeterProvider as ApiMeterProvider
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader
from opentelemetry.sdk.metrics.view import View
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.semconv.schemas import Schemas

from otel_litellm import aliases, bridge, collection
from otel_litellm.callback import MetricsCallback
from otel_litellm.config import Settings, load_settings
from otel_litellm.db.spec import DB_METRICS
from otel_litellm.histograms import LocalHistograms
from otel_litellm.instruments import Instruments
from otel_litellm.naming import METER_NAME, LabelRenamer, build_views
from otel_litellm.payload import PayloadReader
from otel_litellm.readers import LiteLLMPrometheusMetricReader, build_readers
from otel_litellm.server import EndpointAuth, MetricsServer
from otel_litellm.service_spec import SERVICE_METRICS
from otel_litellm.services import ServiceRecorder
from otel_litellm.spec import TOKEN_USAGE
from otel_litellm.standin import PrometheusStandIn
from otel_litellm.store import GaugeStore

_log = logging.getLogger("otel_litellm")

#: Closing waits at most this long for the final export, even to a dead or silent
#: OTLP endpoint (at exit too); the exporter's thread is a daemon and is left behind.
SHUTDOWN_TIMEOUT_MS = 5_000
#: The GenAI semantic conventions the semconv naming follows.
SCHEMA_URL = Schemas.V1_37_0.value


def views(settings: Settings | None = None, **overrides: Any) -> list[View]:
    """The Views a user's own ``MeterProvider`` needs for otel_litellm's instruments."""
    settings = settings or load_settings(**overrides)
    return (
        build_views(
            (*settings.specs(), TOKEN_USAGE),
            settings.naming,
            include_labels=settings.include_labels,
            custom_labels=settings.custom_labels,
            cardinality_limit=settings.cardinality_limit,
        )
        + build_views(
            (*DB_METRICS, *SERVICE_METRICS),
            settings.naming,
            cardinality_limit=settings.cardinality_limit,
        )
        + build_views(_alias_specs(settings), cardinality_limit=settings.cardinality_limit)
    )


def renamer(settings: Settings) -> LabelRenamer:
    """The export-time rewrite for ``settings`` (identity for the semconv naming)."""
    if not settings.naming.litellm:
        return LabelRenamer({})
    rewrite = LabelRenamer.for_specs(
        settings.specs(),
        include_labels=settings.include_labels,
        custom_labels=settings.custom_labels,
    )
    rewrite.extend(LabelRenamer.for_specs((*DB_METRICS, *SERVICE_METRICS, *_alias_specs(settings))))
    return rewrite


def _alias_specs(settings: Settings) -> tuple[Any, ...]:
    return aliases.extra_specs(settings.naming, settings.legacy_aliases)


def endpoint_auth(settings: Settings) -> EndpointAuth:
    user, _, password = (settings.basic_auth or "").partition(":")
    return EndpointAuth(settings.bearer_token, user or None, password or None)


@dataclass
class Instrumentation:
    """One built set-up: what the LiteLLM hooks record into and what exports it."""

    settings: Settings
    meter_provider: ApiMeterProvider
    callback: MetricsCallback
    instruments: Instruments
    stand_in: PrometheusStandIn
    services: ServiceRecorder | None = None
    prometheus_reader: LiteLLMPrometheusMetricReader | None = None
    server: MetricsServer | None = None
    owns_provider: bool = False
    extras: list[Any] = field(default_factory=list)
    readers: list[MetricReader] = field(default_factory=list)

    @property
    def metrics_url(self) -> str | None:
        return self.server.url if self.server else None

    @property
    def auth(self) -> EndpointAuth:
        return endpoint_auth(self.settings)

    def on_sigterm(self) -> None:
        """The server is stopping this worker: hand counts over and flush pushes now."""
        for part in (*self.extras, *self.readers):
            hook = getattr(part, "on_sigterm", None)
            if hook is not None:
                hook()

    def close(self) -> None:
        """Stop what this set-up started: extras, the endpoint, its own provider."""
        for extra in self.extras:
            try:
                extra.stop()
            except Exception as error:
                _log.warning("otel_litellm: stopping %r failed: %s", extra, error)
        self.extras.clear()
        if self.server is not None:
            self.server.close()
            self.server = None
        if self.owns_provider and isinstance(self.meter_provider, MeterProvider):
            self.meter_provider.shutdown(timeout_millis=SHUTDOWN_TIMEOUT_MS)


def build(
    settings: Settings,
    meter_provider: ApiMeterProvider | None = None,
    callback: MetricsCallback | None = None,
) -> Instrumentation:
    """Everything ``settings`` asks for; ``callback``: the one LiteLLM already holds."""
    owns = meter_provider is None
    reader: LiteLLMPrometheusMetricReader | None = None
    readers: list[MetricReader] = []
    if meter_provider is None:
        readers, reader = build_readers(
            settings.exporters,
            renamer(settings),
            cardinality_limit=settings.cardinality_limit,
            otlp_protocol=settings.otlp_protocol,
            export_interval_ms=settings.export_interval_ms,
        )
        meter_provider = MeterProvider(
            metric_readers=readers,
            views=views(settings),
            resource=Resource.create({"service.name": settings.service_name}),
            # The owner's own exit hook closes it with a bound (SHUTDOWN_TIMEOUT_MS).
            shutdown_on_exit=False,
        )
    from otel_litellm import __version__

    meter = meter_provider.get_meter(METER_NAME, __version__, schema_url=SCHEMA_URL)
    local = None
    if owns:  # a user's provider keeps SDK histograms: its readers are not ours to extend
        scope = InstrumentationScope(METER_NAME, __version__, SCHEMA_URL)
        local = LocalHistograms(scope, Resource.create({"service.name": settings.service_name}))
    instruments = Instruments(
        meter,
        (*settings.specs(), *SERVICE_METRICS),
        GaugeStore(settings.gauge_series_limit, settings.gauge_ttl_seconds),
        naming=settings.naming,
        include_labels=settings.include_labels,
        custom_labels=settings.custom_labels,
        max_series=settings.cardinality_limit,
        local_histograms=local,
    )
    if local is not None:
        collection.add_stage(readers, local)
        bridge.install(readers, settings)  # + the proxy's other prometheus_client families
    payload_reader = PayloadReader(
        end_user_labels=settings.end_user_labels,
        user_email_labels=settings.user_email_labels,
        custom_metadata_labels=settings.custom_metadata_labels,
        custom_tags=settings.custom_tags,
    )
    if callback is None:
        callback = MetricsCallback(instruments, payload_reader)
    else:
        callback.instruments, callback.reader = instruments, payload_reader
    active = Instrumentation(
        settings,
        meter_provider,
        callback,
        instruments,
        PrometheusStandIn(instruments),
        ServiceRecorder(instruments, settings.services) if settings.services is not False else None,
        reader,
        owns_provider=owns,
        readers=readers,
    )
    if active.services is not None and active.services.active() and bridge.breaker_hook_available():
        active.services.breaker(None, None)  # LiteLLM shows every breaker state from start-up
    if reader is not None and settings.prometheus_port is not None:
        active.server = _serve(reader, settings)
    if settings.database_url:
        active.extras.append(_database_gauges(meter, settings.database_url))
    counts_from = settings.database_url or settings.proxy_database_url
    if counts_from:
        counts = _entity_counts(counts_from, instruments)
        if counts is not None:
            active.extras.append(counts)
    return active


def _serve(reader: LiteLLMPrometheusMetricReader, settings: Settings) -> MetricsServer | None:
    assert settings.prometheus_port is not None
    try:
        return MetricsServer(
            reader.registry,
            settings.prometheus_port,
            settings.prometheus_host,
            endpoint_auth(settings),
            scrape_cache_seconds=settings.scrape_cache_seconds,
            connection_timeout=settings.metrics_connection_timeout,
            max_connections=settings.metrics_max_connections,
        )
    except OSError as error:
        # Another process (a sibling worker, a pre-fork parent) holds the port: this one
        # still records, and is served through the proxy's /metrics or OTLP.
        _log.warning(
            "otel_litellm: process %d serves no /metrics on %s:%s: %s",
            os.getpid(),
            settings.prometheus_host,
            settings.prometheus_port,
            error,
        )
        return None


def _entity_counts(database_url: str, instruments: Instruments) -> Any:
    """LiteLLM's users / active users / teams counts, read as its own periodic job does."""
    try:
        from otel_litellm.db.counts import EntityCounts
        from otel_litellm.db.settings import DatabaseSettings
    except ImportError as error:  # the db extra (psycopg) is not installed
        _log.warning("otel_litellm: users and teams counts need otel_litellm[db]: %s", error)
        return None
    try:
        return EntityCounts(
            DatabaseSettings.from_url(database_url),
            lambda name, value: instruments.set(name, value, {}),
        ).start()
    except Exception as error:
        _log.warning("otel_litellm: users and teams counts not started: %s", error)
        return None


def _database_gauges(meter: Any, database_url: str) -> Any:
    from otel_litellm.db.gauges import DatabaseGauges, DatabaseSettings

    gauges = DatabaseGauges(meter, DatabaseSettings.from_url(database_url))
    gauges.start()
    return gauges
