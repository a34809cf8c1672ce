"""Wiring: settings -> meter provider, readers, instruments, callback, LiteLLM hooks."""

from __future__ import annotations

import atexit
import logging
import os
import threading
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.metrics import MeterProvider as ApiMeterProvider
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader
from opentelemetry.sdk.metrics.view import View
from opentelemetry.sdk.resources import Resource
from prometheus_client import CollectorRegistry

from otel_litellm import aliases, handover, hooks, standin
from otel_litellm.callback import MetricsCallback
from otel_litellm.config import Settings, load_settings
from otel_litellm.db.spec import DB_METRICS
from otel_litellm.instruments import Instruments
from otel_litellm.naming import METER_NAME, LabelRenamer, build_views
from otel_litellm.payload import PayloadReader
from otel_litellm.readers import LiteLLMPrometheusMetricReader, build_readers
from otel_litellm.server import EndpointAuth, MetricsServer
from otel_litellm.service_spec import SERVICE_METRICS
from otel_litellm.services import ServiceRecorder
from otel_litellm.spec import TOKEN_USAGE
from otel_litellm.store import GaugeStore

_log = logging.getLogger("otel_litellm")
_lock = threading.Lock()
_active: Instrumentation | None = None
#: ``shutdown()`` waits at most this long for the final export, even to a dead or
#: silent OTLP endpoint; the exporter's thread is a daemon and is left behind.
SHUTDOWN_TIMEOUT_MS = 5_000


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
        + build_views(aliases.extra_specs(settings), cardinality_limit=settings.cardinality_limit)
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
    rewrite.extend(
        LabelRenamer.for_specs((*DB_METRICS, *SERVICE_METRICS, *aliases.extra_specs(settings)))
    )
    return rewrite


@dataclass
class Instrumentation:
    """What ``instrument()`` set up; ``shutdown()`` undoes all of it."""

    settings: Settings
    meter_provider: ApiMeterProvider
    callback: MetricsCallback
    instruments: Instruments
    prometheus_reader: LiteLLMPrometheusMetricReader | None = None
    server: MetricsServer | None = None
    owns_provider: bool = False
    extras: list[Any] = field(default_factory=list)
    readers: list[MetricReader] = field(default_factory=list)

    @property
    def metrics_url(self) -> str | None:
        return self.server.url if self.server else None

    def shutdown(self) -> None:
        global _active
        with _lock:
            _unregister(self.callback)
            for extra in self.extras:
                extra.stop()
            if self.server is not None:
                self.server.close()
            if self.owns_provider and isinstance(self.meter_provider, MeterProvider):
                self.meter_provider.shutdown(timeout_millis=SHUTDOWN_TIMEOUT_MS)
            if _active is self:
                _active = None


def instrument(
    *,
    meter_provider: ApiMeterProvider | None = None,
    naming: str | None = None,
    prometheus_port: int | None = None,
    register: bool = True,
    **options: Any,
) -> Instrumentation:
    """Start recording LiteLLM's metrics.  Calling it again returns the running setup.

    ``register=False`` leaves adding the returned ``callback`` to LiteLLM to the
    caller (the proxy does it from its config).
    """
    global _active
    with _lock:
        if _active is not None:
            return _active
        settings = load_settings(naming=naming, prometheus_port=prometheus_port, **options)
        active = _build(settings, meter_provider)
        _register(active.callback, add_to_litellm=register)
        _active = active
        return active


def _build(
    settings: Settings,
    meter_provider: ApiMeterProvider | None,
    registry: CollectorRegistry | None = None,
) -> Instrumentation:
    """Everything ``settings`` asks for, not yet registered with LiteLLM.

    ``registry``: the one a forked child keeps serving (see :func:`_after_fork_in_child`).
    """
    owns = meter_provider is None
    reader: LiteLLMPrometheusMetricReader | None = None
    server: MetricsServer | None = None
    readers: list[MetricReader] = []
    if meter_provider is None:
        readers, reader = _readers(settings)
        meter_provider = MeterProvider(
            metric_readers=readers,
            views=views(settings),
            resource=Resource.create({"service.name": settings.service_name}),
        )
        if reader is not None and registry is not None:
            _adopt_registry(reader, registry)
    instruments = Instruments(
        meter_provider.get_meter(METER_NAME),
        (*settings.specs(), *SERVICE_METRICS),
        GaugeStore(settings.gauge_series_limit, settings.gauge_ttl_seconds),
        naming=settings.naming,
        include_labels=settings.include_labels,
        custom_labels=settings.custom_labels,
        max_series=settings.cardinality_limit,
    )
    callback = MetricsCallback(
        instruments,
        PayloadReader(
            end_user_labels=settings.end_user_labels,
            user_email_labels=settings.user_email_labels,
            custom_metadata_labels=settings.custom_metadata_labels,
            custom_tags=settings.custom_tags,
        ),
    )
    if reader is not None and settings.prometheus_port is not None:
        try:
            server = MetricsServer(
                reader.registry, settings.prometheus_port, settings.prometheus_host, _auth(settings)
            )
        except OSError as error:
            if registry is None:
                raise
            # A pre-fork parent still holds a fixed port: the child serves through
            # the registry it adopted (the proxy's /metrics) or pushes OTLP.
            _log.warning("otel_litellm: worker %d has no /metrics port: %s", os.getpid(), error)
    active = Instrumentation(
        settings, meter_provider, callback, instruments, reader, server, owns, readers=readers
    )
    if settings.services is not False:
        active.extras.append(ServiceRecorder(instruments, settings.services).start())
    if settings.database_url:
        from otel_litellm.db.gauges import DatabaseGauges, DatabaseSettings

        db = DatabaseGauges(
            meter_provider.get_meter(METER_NAME),
            DatabaseSettings.from_url(settings.database_url),
        )
        db.start()
        active.extras.append(db)
    handover.start_for_process(active)
    return active


def uninstrument() -> None:
    """Remove otel_litellm's callbacks and hooks, and stop what ``instrument()`` started."""
    active = _active
    if active is not None:
        active.shutdown()


def active() -> Instrumentation | None:
    return _active


def _readers(settings: Settings) -> tuple[list[MetricReader], LiteLLMPrometheusMetricReader | None]:
    return build_readers(
        settings.exporters,
        renamer(settings),
        cardinality_limit=settings.cardinality_limit,
        otlp_protocol=settings.otlp_protocol,
        export_interval_ms=settings.export_interval_ms,
    )


def _auth(settings: Settings) -> EndpointAuth:
    user, _, password = (settings.basic_auth or "").partition(":")
    return EndpointAuth(settings.bearer_token, user or None, password or None)


def _register(callback: MetricsCallback, add_to_litellm: bool) -> None:
    import litellm

    if add_to_litellm and callback not in litellm.callbacks:
        litellm.callbacks.append(callback)
    hooks.add_cooldown_listener(callback.record_cooldown)
    standin.install(standin.PrometheusStandIn(callback.instruments))


def _unregister(callback: MetricsCallback) -> None:
    import litellm

    for name in (
        "callbacks",
        "success_callback",
        "failure_callback",
        "_async_success_callback",
        "_async_failure_callback",
        "service_callback",
    ):
        registered = getattr(litellm, name, None)
        if isinstance(registered, list):
            registered[:] = [entry for entry in registered if entry is not callback]
    hooks.remove_cooldown_listener(callback.record_cooldown)
    standin.uninstall()


def _adopt_registry(reader: LiteLLMPrometheusMetricReader, registry: CollectorRegistry) -> None:
    """Serve ``reader`` from ``registry``, which endpoints mounted before a fork still hold."""
    reader.registry.unregister(reader._collector)
    registry.register(reader._collector)
    reader.registry = reader._registry = registry


def _collect_nothing(reader: MetricReader, timeout_millis: float = 0) -> None:
    return None


def _abandon(inherited: Instrumentation) -> None:
    """Silence the parent's provider in a forked child: no collection, export or atexit flush."""
    for reader in inherited.readers:
        # The SDK restarts a periodic reader's thread in the child; it now collects nothing.
        reader._set_collect_callback(_collect_nothing)  # type: ignore[arg-type]
    if isinstance(inherited.meter_provider, MeterProvider):
        atexit.unregister(inherited.meter_provider.shutdown)
    if inherited.prometheus_reader is not None:
        old = inherited.prometheus_reader
        old.registry.unregister(old._collector)
    if inherited.server is not None:
        inherited.server.abandon()
    # Database pools hold the parent's connections: dropped unused, never closed here.
    inherited.extras.clear()


def _after_fork_in_child() -> None:
    """A forked worker starts from zero instead of reporting its parent's points.

    The OTel SDK keeps aggregation state across ``fork()``, so a pre-fork worker
    (gunicorn ``--preload``) would report and push the parent's counts as its own.
    The child drops the inherited provider unexported and builds a fresh one; the
    callback object LiteLLM and the proxy hold stays, with new instruments.
    """
    global _lock, _active
    _lock = threading.Lock()  # another parent thread may have held it at fork time
    inherited = _active
    if inherited is None:
        return
    if not inherited.owns_provider:
        _log.warning(
            "otel_litellm: process %d was forked with a caller's MeterProvider, which still "
            "holds the parent's points; create the provider after fork",
            os.getpid(),
        )
        return
    try:
        registry = inherited.prometheus_reader.registry if inherited.prometheus_reader else None
        _abandon(inherited)
        fresh = _build(inherited.settings, None, registry)
    except Exception:
        _log.exception("otel_litellm: re-instrumenting forked worker %d failed", os.getpid())
        _unregister(inherited.callback)
        _active = None
        return
    inherited.callback.instruments = fresh.instruments
    fresh.callback = inherited.callback
    _active = fresh


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
