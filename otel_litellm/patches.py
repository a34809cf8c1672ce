"""The places in LiteLLM that report only to its own PrometheusLogger, and our wrappers.

LiteLLM reports router cooldowns, guardrail runs, provider budgets, team membership,
managed batches and files, the spend-capture job and service health (redis, postgres,
the circuit breaker ...) to its own loggers only: found with ``isinstance`` or
``PrometheusLogger.get_instance()``, or reached through ``ServiceLogging``.  Each row
below wraps one of those places.  Every wrapper resolves the current
:class:`~otel_litellm.setup.Instrumentation` when it runs, so a fork or a
reconfiguration changes one pointer; none of them lets an exception reach LiteLLM.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from otel_litellm.bridge import breaker_hook_available
from otel_litellm.effects import Wrap
from otel_litellm.services import ServiceRecorder, service_value

if TYPE_CHECKING:
    from otel_litellm.setup import Instrumentation

_log = logging.getLogger("otel_litellm")

Current = Callable[[], "Instrumentation | None"]


def _arguments(wrapped: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Mapping[str, Any]:
    """The call's arguments by name (LiteLLM mostly passes keywords)."""
    if not args:
        return kwargs
    try:
        return inspect.signature(wrapped).bind_partial(*args, **kwargs).arguments
    except (TypeError, ValueError):
        return kwargs


def _report(what: str, error: Exception) -> None:
    _log.warning("otel_litellm: %s not recorded: %s: %s", what, type(error).__name__, error)


class Wrappers:
    """The wrapper functions, bound to the resolver of the current Instrumentation."""

    def __init__(self, current: Current) -> None:
        self.current = current

    def or_stand_in(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        """A PrometheusLogger look-up: LiteLLM's own logger wins; else our stand-in."""
        found = wrapped(*args, **kwargs)
        if found is not None:
            return found
        active = self.current()
        return active.stand_in if active is not None else None

    def guardrail(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        result = wrapped(*args, **kwargs)
        try:
            active = self.current()
            if active is not None and not _litellm_prometheus_registered():
                called = _arguments(wrapped, args, kwargs)
                active.stand_in._record_guardrail_metrics(
                    called.get("guardrail_name"),
                    called.get("latency_seconds"),
                    called.get("status"),
                    called.get("error_type"),
                    called.get("hook_type"),
                )
        except Exception as error:
            _report("guardrail run", error)
        return result

    def service_success(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        return self._service_event(wrapped, args, kwargs, _service_success)

    def service_failure(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        return self._service_event(wrapped, args, kwargs, _service_failure)

    def breaker(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        return self._service_event(wrapped, args, kwargs, _breaker)

    def services_logger(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        return self._service_event(wrapped, args, kwargs, _breaker_states)

    def _service_event(
        self,
        wrapped: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        record: Callable[[ServiceRecorder, Mapping[str, Any]], None],
    ) -> Any:
        """Record a ServiceLogging event while service families are on, then run it."""
        try:
            active = self.current()
            recorder = active.services if active is not None else None
            if recorder is not None and recorder.active():
                record(recorder, _arguments(wrapped, args, kwargs))
        except Exception as error:
            _report("service event", error)
        return wrapped(*args, **kwargs)


def _service_success(recorder: ServiceRecorder, called: Mapping[str, Any]) -> None:
    recorder.success(
        service_value(called.get("service")), called.get("duration"), called.get("event_metadata")
    )


def _service_failure(recorder: ServiceRecorder, called: Mapping[str, Any]) -> None:
    recorder.failure(
        service_value(called.get("service")), called.get("error"), called.get("call_type")
    )


def _breaker(recorder: ServiceRecorder, called: Mapping[str, Any]) -> None:
    recorder.breaker(called.get("transitions_to"), called.get("failure_class"))


def _breaker_states(recorder: ServiceRecorder, called: Mapping[str, Any]) -> None:
    # Where LiteLLM has the breaker hook (1.108+), every services logger it builds writes
    # the live breakers per state; a proxy builds its first after reading service_callback,
    # later than our start-up write.  Before that the bridge carries LiteLLM's own family.
    if breaker_hook_available():
        recorder.breaker(None, None)


def _litellm_prometheus_registered() -> bool:
    import litellm
    from litellm.integrations.prometheus import PrometheusLogger

    return any(isinstance(callback, PrometheusLogger) for callback in litellm.callbacks)


@dataclass(frozen=True)
class Patch:
    module: str
    path: str
    wrapper: str  # a Wrappers method


PATCHES: tuple[Patch, ...] = (
    # The router's cooldown event looks its logger up here, then reports the outage to it.
    Patch(
        "litellm.router_utils.cooldown_callbacks",
        "get_prometheus_logger_from_callbacks",
        "or_stand_in",
    ),
    Patch("litellm.integrations.prometheus", "PrometheusLogger.get_instance", "or_stand_in"),
    Patch(
        "litellm.router_strategy.budget_limiter",
        "get_prometheus_logger_from_callbacks",
        "or_stand_in",
    ),
    Patch("litellm.proxy.utils", "ProxyLogging._emit_guardrail_metrics", "guardrail"),
    Patch(
        "litellm._service_logger", "ServiceLogging.async_service_success_hook", "service_success"
    ),
    Patch(
        "litellm._service_logger", "ServiceLogging.async_service_failure_hook", "service_failure"
    ),
    # LiteLLM 1.108+: the redis circuit breaker reports through this hook.
    Patch("litellm._service_logger", "ServiceLogging.redis_breaker_hook", "breaker"),
    Patch(
        "litellm.integrations.prometheus_services",
        "PrometheusServicesLogger.__init__",
        "services_logger",
    ),
)


def litellm_wraps(current: Current) -> list[Wrap]:
    wrappers = Wrappers(current)
    return [Wrap(patch.module, patch.path, getattr(wrappers, patch.wrapper)) for patch in PATCHES]
