"""The lifecycle owner: one instrumentor holds every process-global effect.

``LiteLLMInstrumentor`` (an OpenTelemetry ``BaseInstrumentor``, so also the
``opentelemetry-instrument`` entry point) owns the running
:class:`~otel_litellm.setup.Instrumentation` and every effect on LiteLLM and the
process: the ``litellm.callbacks`` entry, the wraps of :mod:`otel_litellm.patches`,
the proxy's ``/metrics`` route, the exit and SIGTERM hooks.  ``uninstrument()`` undoes them
in reverse order.  The wrappers and the route resolve :attr:`current` when they run,
so a forked child or a reconfiguration swaps one pointer.

``otel_litellm.instrument()`` / ``uninstrument()`` / ``active()`` are thin fronts.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Collection
from typing import Any

from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
from opentelemetry.metrics import MeterProvider as ApiMeterProvider
from opentelemetry.sdk.metrics import MeterProvider

from otel_litellm import handover, patches
from otel_litellm.callback import MetricsCallback
from otel_litellm.config import Settings, litellm_view, load_settings
from otel_litellm.effects import AtExit, Effect, ListEntry, Route, SigtermHook
from otel_litellm.setup import Instrumentation, build

_log = logging.getLogger("otel_litellm")

# LiteLLM's callback lists; the proxy copies a callback from the first into others.
_CALLBACK_LISTS = (
    "callbacks",
    "success_callback",
    "failure_callback",
    "_async_success_callback",
    "_async_failure_callback",
    "service_callback",
)


def _litellm_callback_lists() -> list[Any]:
    import litellm

    found = (getattr(litellm, name, None) for name in _CALLBACK_LISTS)
    return [entries for entries in found if isinstance(entries, list)]


class LiteLLMInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Records LiteLLM's metrics; owns every effect otel_litellm has on the process.

    ``instrument()`` with no arguments (as ``opentelemetry-instrument`` calls it)
    builds otel_litellm's own ``MeterProvider`` from the ``OTEL_*`` and
    ``OTEL_LITELLM_*`` environment, so the export has LiteLLM's names; pass
    ``meter_provider`` (built with ``otel_litellm.views()``) to use your own.
    """

    # Class attributes: BaseInstrumentor makes this a singleton, and runs __init__
    # on every ``LiteLLMInstrumentor()`` call.
    _current: Instrumentation | None = None
    _effects: list[Effect] = []
    _overrides: dict[str, Any] = {}
    _given_provider: ApiMeterProvider | None = None
    _litellm_seen: tuple[Any, ...] = ()
    _lock = threading.RLock()

    @property
    def current(self) -> Instrumentation | None:
        return type(self)._current

    def instrumentation_dependencies(self) -> Collection[str]:
        return ("litellm >= 1.106.0",)

    # -- BaseInstrumentor ----------------------------------------------------

    def _instrument(self, **kwargs: Any) -> Instrumentation:
        cls = type(self)
        provider = kwargs.pop("meter_provider", None)
        register = kwargs.pop("register", True)
        settings = kwargs.pop("settings", None) or load_settings(**kwargs)
        with cls._lock:
            built = _build(settings, provider)
            cls._current = built
            cls._given_provider = provider
            cls._overrides = dict(kwargs)
            cls._litellm_seen = litellm_view()
            effects: list[Effect] = [
                ListEntry(_litellm_callback_lists, built.callback, add=register),
                *patches.litellm_wraps(lambda: type(self)._current),
                AtExit(_close_at_exit),
                SigtermHook(_hand_over_on_sigterm),
            ]
            cls._effects = [effect for effect in effects if _apply(effect)]
            return built

    def _uninstrument(self, **kwargs: Any) -> None:
        cls = type(self)
        with cls._lock:
            while cls._effects:
                effect = cls._effects.pop()
                try:
                    effect.undo()
                except Exception as error:
                    _log.warning("otel_litellm: undoing %r failed: %s", effect, error)
            current, cls._current = cls._current, None
        if current is not None:
            current.close()

    # -- what the fronts and the proxy ask of the owner ----------------------------

    def configure(
        self,
        meter_provider: ApiMeterProvider | None = None,
        register: bool = True,
        **overrides: Any,
    ) -> Instrumentation:
        """Instrument with these settings; a running set-up with other settings is replaced.

        A replacement keeps every effect and the callback object LiteLLM holds, and
        swaps the set-up they record into.
        """
        settings = load_settings(**overrides)
        cls = type(self)
        with cls._lock:
            current = self.current
            if current is None:
                built = self.instrument(
                    settings=settings,
                    meter_provider=meter_provider,
                    register=register,
                    skip_dep_check=True,
                    **overrides,
                )
                if not isinstance(built, Instrumentation):  # pragma: no cover - flag out of step
                    raise RuntimeError("otel_litellm: instrumentation did not start")
                return built
            if current.settings == settings and meter_provider in (None, cls._given_provider):
                return current
            _log.info("otel_litellm: reconfiguring with new settings")
            cls._overrides = dict(overrides)
            fresh = self._replace(settings, meter_provider)
            if register:
                ListEntry(_litellm_callback_lists, fresh.callback, add=True).apply()
            return fresh

    def _replace(
        self, settings: Settings, meter_provider: ApiMeterProvider | None
    ) -> Instrumentation:
        cls = type(self)
        old = cls._current
        assert old is not None
        cls._current = _build(settings, meter_provider, old.callback)
        cls._given_provider = meter_provider
        cls._litellm_seen = litellm_view()
        old.close()
        return cls._current

    def mount(self, app: Any, path: str) -> bool:
        """Serve the current set-up's Prometheus reader at ``path`` on a Starlette app."""
        from otel_litellm.proxy_route import metrics_route

        with type(self)._lock:
            if self.current is None or self.current.prometheus_reader is None:
                return False
            effect = Route(app, metrics_route(path, lambda: type(self)._current))
            if _apply(effect):
                type(self)._effects.append(effect)
            return True

    def settle(self) -> None:
        """Re-read LiteLLM's settings once a proxy config has set them all.

        A proxy imports the callback when it reaches ``callbacks:`` in
        ``litellm_settings``; ``custom_prometheus_*`` and ``prometheus_metrics_config``
        may come later in the same block.  Called before any traffic, after the
        config is loaded; rebuilds only when what LiteLLM says has changed.
        """
        cls = type(self)
        with cls._lock:
            current = self.current
            if current is None or litellm_view() == cls._litellm_seen:
                return
            settings = load_settings(**cls._overrides)
            cls._litellm_seen = litellm_view()
            if settings != current.settings:
                _log.info("otel_litellm: applying the proxy config's Prometheus settings")
                self._replace(settings, cls._given_provider)

    def after_fork_in_child(self) -> None:
        """A forked worker starts from zero instead of reporting its parent's points.

        The SDK keeps aggregation state across ``fork()``, so a pre-fork worker
        (gunicorn ``--preload``) would report and push the parent's counts as its own.
        The child drops the inherited provider unexported and builds a fresh one; the
        callback object LiteLLM holds stays.
        """
        cls = type(self)
        cls._lock = threading.RLock()  # another parent thread may have held it at fork
        _reset_render_state()
        inherited = cls._current
        if inherited is None:
            return
        if not inherited.owns_provider:
            _log.warning(
                "otel_litellm: process %d was forked with a caller's MeterProvider, which "
                "still holds the parent's points; create the provider after fork",
                os.getpid(),
            )
            return
        try:
            _abandon(inherited)
            cls._current = _build(inherited.settings, None, inherited.callback)
        except Exception:
            _log.exception("otel_litellm: re-instrumenting forked worker %d failed", os.getpid())
            self.uninstrument()


def _build(
    settings: Settings,
    meter_provider: ApiMeterProvider | None,
    callback: MetricsCallback | None = None,
) -> Instrumentation:
    """A set-up for this process: built, then handed over to its sibling workers, if any."""
    built = build(settings, meter_provider, callback)
    handover.start_for_process(built)
    return built


def _apply(effect: Effect) -> bool:
    try:
        return effect.apply()
    except Exception as error:
        _log.warning("otel_litellm: %r not applied: %s", effect, error)
        return False


def _close_at_exit() -> None:
    current = LiteLLMInstrumentor().current
    if current is not None:
        current.close()


def _hand_over_on_sigterm() -> None:
    current = LiteLLMInstrumentor().current
    if current is not None:
        current.on_sigterm()


def _reset_render_state() -> None:
    from otel_litellm import server

    reset = getattr(server, "after_fork", None)
    if reset is not None:
        reset()


def _collect_nothing(reader: Any, timeout_millis: float = 0) -> None:
    return None


def _abandon(inherited: Instrumentation) -> None:
    """Silence the parent's provider in a forked child: no collection, export or flush."""
    for reader in inherited.readers:
        # The SDK restarts a periodic reader's thread in the child; it now collects nothing.
        reader._set_collect_callback(_collect_nothing)  # type: ignore[arg-type]
    if inherited.prometheus_reader is not None:
        old = inherited.prometheus_reader
        old.registry.unregister(old._collector)
    if inherited.server is not None:
        inherited.server.abandon()
    # Database pools hold the parent's connections: dropped unused, never closed here.
    inherited.extras.clear()
    if isinstance(inherited.meter_provider, MeterProvider):
        inherited.owns_provider = False  # never shut down (and so flushed) by the child


def _after_fork_in_child() -> None:
    LiteLLMInstrumentor().after_fork_in_child()


# The one effect that cannot be undone (os has no unregister); it does nothing while
# nothing is instrumented.
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


# -- the public fronts ------------------------------------------------------------------


def instrument(
    *,
    meter_provider: ApiMeterProvider | None = None,
    register: bool = True,
    **settings: Any,
) -> Instrumentation:
    """Start recording LiteLLM's metrics; see the configuration table in README.md.

    Calling it again with the same settings returns the running set-up; with other
    settings, the running set-up is replaced.  An unknown setting raises ``TypeError``,
    an invalid one ``ValueError``.  ``register=False`` leaves adding the returned
    ``callback`` to LiteLLM to the caller (the proxy does it from its config).
    """
    return LiteLLMInstrumentor().configure(meter_provider, register, **settings)


def uninstrument() -> None:
    """Undo everything ``instrument()`` did: callbacks, wraps, routes, endpoint, provider."""
    owner = LiteLLMInstrumentor()
    if owner.is_instrumented_by_opentelemetry:
        owner.uninstrument()


def active() -> Instrumentation | None:
    return LiteLLMInstrumentor().current


__all__ = ["LiteLLMInstrumentor", "active", "instrument", "uninstrument"]
