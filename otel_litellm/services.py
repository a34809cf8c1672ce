"""Service health: LiteLLM's redis/postgres/self/router/auth/... events, recorded.

LiteLLM's ``ServiceLogging`` forwards service events only to the string
``"prometheus_system"``, Datadog and its own OTel loggers; a ``CustomLogger`` in
``litellm.service_callback`` hears nothing.  Every service event (sync ones too, which
LiteLLM dispatches to the async hooks) passes through
``ServiceLogging.async_service_success_hook`` / ``async_service_failure_hook``, which
the lifecycle owner wraps (``otel_litellm.patches``) and calls this recorder from.

What is recorded mirrors LiteLLM's ``PrometheusServicesLogger``: a success observes the
latency and counts a request, and sets the size gauge from ``event_metadata``; a
failure counts a request and a failure labelled with the error's class and the call type.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from otel_litellm.instruments import Instruments
from otel_litellm.payload import number
from otel_litellm.service_spec import (
    BREAKER_BREAKERS,
    BREAKER_FAILURES,
    BREAKER_STATE,
    BREAKER_STATES,
    BREAKER_TRANSITIONS,
    DB_SYSTEM,
    DB_SYSTEMS,
    ERROR_TYPE,
    FUNCTION_NAME,
    GAUGE_LABEL,
    SERVICE_NAME,
    SERVICES,
    duration_name,
    failed_name,
    requests_name,
    size_name,
)
from otel_litellm.spec import Kind

LITELLM_SETTING = "prometheus_system"  # LiteLLM's own switch for these families


class ServiceRecorder:
    """Records service events into ``instruments``.

    ``enabled``: True records always; None follows LiteLLM, recording while
    ``"prometheus_system"`` is in ``litellm.service_callback`` (read per event, since
    a proxy config may set it after otel_litellm is loaded).
    """

    def __init__(self, instruments: Instruments, enabled: bool | None = None) -> None:
        self.instruments = instruments
        self.enabled = enabled

    def active(self) -> bool:
        if self.enabled is not None:
            return self.enabled
        import litellm

        return LITELLM_SETTING in (litellm.service_callback or ())

    def success(self, service: str, duration: object, metadata: object) -> None:
        # Only the families LiteLLM declares for the service (none for one it does not know).
        kinds = SERVICES.get(service, ())
        base = _base(service)
        seconds = number(duration)
        if seconds is not None and seconds >= 0 and Kind.HISTOGRAM in kinds:
            self.instruments.record(duration_name(service), seconds, base)
        if Kind.COUNTER in kinds:
            self.instruments.record(requests_name(service), 1, base)
        if Kind.GAUGE in kinds and metadata and isinstance(metadata, Mapping):
            # LiteLLM skips empty metadata too
            value = metadata.get("gauge_value") or 0
            if isinstance(value, (int, float)) and math.isfinite(value):
                # str(), as prometheus_client renders LiteLLM's label value (enums included).
                label = str(metadata.get("gauge_labels") or "")
                self.instruments.set(size_name(service), float(value), {GAUGE_LABEL: label})

    def failure(self, service: str, error: object, call_type: object) -> None:
        if Kind.COUNTER not in SERVICES.get(service, ()):
            return
        base = _base(service)
        failed = {
            **base,
            ERROR_TYPE: type(error).__name__,
            FUNCTION_NAME: str(call_type),
        }
        self.instruments.record(failed_name(service), 1, failed)
        self.instruments.record(requests_name(service), 1, base)

    def breaker(self, transitions_to: str | None, failure_class: str | None) -> None:
        """One Redis circuit-breaker event, as LiteLLM's services logger records it.

        ``ServiceLogging.redis_breaker_hook(transitions_to, failure_class)`` (1.108+)
        passes its arguments here.  Like LiteLLM, every event (and ``breaker(None, None)``
        at start-up) re-reads how many live breakers sit in each state, zeros included.
        """
        for state, count in _breaker_counts().items():
            self.instruments.set(BREAKER_BREAKERS, float(count), {BREAKER_STATE: state})
        if transitions_to is not None:
            self.instruments.record(BREAKER_TRANSITIONS, 1, {BREAKER_STATE: str(transitions_to)})
        if failure_class is not None:
            self.instruments.record(BREAKER_FAILURES, 1, {ERROR_TYPE: str(failure_class)})


def _breaker_counts() -> dict[str, int]:
    """Live breakers per state; every known state present, at 0 when none is in it."""
    counts = dict.fromkeys(BREAKER_STATES, 0)
    try:
        from litellm.caching.redis_cache import redis_breaker_state_counts
    except ImportError:  # before 1.108 LiteLLM keeps no registry of breakers
        return counts
    for state, count in redis_breaker_state_counts().items():
        counts[str(state)] = int(count)
    return counts


def _base(service: str) -> dict[str, str]:
    base = {SERVICE_NAME: service}
    system = DB_SYSTEMS.get(service)
    if system is not None:
        base[DB_SYSTEM] = system
    return base


def service_value(service: object) -> str:
    """The service name LiteLLM passes, an enum or a string."""
    return str(getattr(service, "value", service))
