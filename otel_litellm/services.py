"""Service health: LiteLLM's redis/postgres/self/router/auth/... events, recorded.

LiteLLM's ``ServiceLogging`` forwards service events only to the string
``"prometheus_system"``, Datadog and its own OTel loggers; a ``CustomLogger`` in
``litellm.service_callback`` hears nothing.  Every service event (sync ones too, which
LiteLLM dispatches to the async hooks) passes through
``ServiceLogging.async_service_success_hook`` / ``async_service_failure_hook``, so,
like the OTel contrib instrumentations, otel_litellm wraps those two methods on the
class and restores them when the last recorder stops (``uninstrument()``).

What is recorded mirrors LiteLLM's ``PrometheusServicesLogger``: a success observes the
latency and counts a request, and sets the size gauge from ``event_metadata``; a
failure counts a request and a failure labelled with the error's class and the call type.
"""

from __future__ import annotations

import functools
import inspect
import logging
import math
from collections.abc import Callable, Mapping
from typing import Any

from otel_litellm.instruments import Instruments
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
    duration_name,
    failed_name,
    requests_name,
    size_name,
)

_log = logging.getLogger("otel_litellm")

LITELLM_SETTING = "prometheus_system"  # LiteLLM's own switch for these families
_HOOKS = ("async_service_success_hook", "async_service_failure_hook")

# One recorder at a time, as there is one instrument() at a time: a forked worker's
# fresh setup replaces the one it inherited without stopping it.
_recorder: ServiceRecorder | None = None
_originals: dict[str, Callable[..., Any]] = {}


class ServiceRecorder:
    """Records service events into ``instruments``.

    ``enabled``: True records always; None follows LiteLLM, recording while
    ``"prometheus_system"`` is in ``litellm.service_callback`` (read per event, since
    a proxy config may set it after otel_litellm is loaded).
    """

    def __init__(self, instruments: Instruments, enabled: bool | None = None) -> None:
        self.instruments = instruments
        self.enabled = enabled

    def start(self) -> ServiceRecorder:
        global _recorder
        if not _originals:
            _install()
        _recorder = self
        return self

    def stop(self) -> None:
        global _recorder
        if _recorder is self:
            _recorder = None
            _uninstall()

    def active(self) -> bool:
        if self.enabled is not None:
            return self.enabled
        import litellm

        return LITELLM_SETTING in (litellm.service_callback or ())

    def success(self, service: str, duration: object, metadata: object) -> None:
        base = _base(service)
        if isinstance(duration, (int, float)) and math.isfinite(duration) and duration >= 0:
            self.instruments.record(duration_name(service), float(duration), base)
        self.instruments.record(requests_name(service), 1, base)
        if metadata and isinstance(metadata, Mapping):  # LiteLLM skips empty metadata too
            value = metadata.get("gauge_value") or 0
            if isinstance(value, (int, float)) and math.isfinite(value):
                # str(), as prometheus_client renders LiteLLM's label value (enums included).
                label = str(metadata.get("gauge_labels") or "")
                self.instruments.set(size_name(service), float(value), {GAUGE_LABEL: label})

    def failure(self, service: str, error: object, call_type: object) -> None:
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


def _service_value(service: object) -> str:
    return str(getattr(service, "value", service))


def _notify(hook: str, arguments: Mapping[str, Any]) -> None:
    recorder = _recorder
    try:
        if recorder is None or not recorder.active():
            return
        service = _service_value(arguments.get("service"))
        if hook == "async_service_success_hook":
            recorder.success(service, arguments.get("duration"), arguments.get("event_metadata"))
        else:
            recorder.failure(service, arguments.get("error"), arguments.get("call_type"))
    except Exception as error:  # LiteLLM's service call must never see ours
        _log.warning("otel_litellm: service event not recorded: %s", error)


def _wrap(hook: str, original: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(original)

    @functools.wraps(original)
    async def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            # LiteLLM calls these with keywords; bind only when it did not.
            arguments = signature.bind(self, *args, **kwargs).arguments if args else kwargs
        except TypeError:
            arguments = {}
        _notify(hook, arguments)
        return await original(self, *args, **kwargs)

    wrapper.__otel_litellm_wrapped__ = True  # type: ignore[attr-defined]
    return wrapper


def _service_logging() -> type:
    from litellm._service_logger import ServiceLogging

    cls: type = ServiceLogging  # litellm is untyped
    return cls


def _install() -> None:
    cls = _service_logging()
    for hook in _HOOKS:
        original = cls.__dict__[hook]
        _originals[hook] = original
        setattr(cls, hook, _wrap(hook, original))


def _uninstall() -> None:
    cls = _service_logging()
    for hook, original in _originals.items():
        setattr(cls, hook, original)
    _originals.clear()


def installed() -> bool:
    """Whether ServiceLogging's hooks are wrapped right now."""
    cls = _service_logging()
    return all(getattr(cls.__dict__[hook], "__otel_litellm_wrapped__", False) for hook in _HOOKS)
