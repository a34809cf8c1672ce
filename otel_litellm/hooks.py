"""Hook points LiteLLM only offers to its own PrometheusLogger.

LiteLLM reports router cooldowns by looking its Prometheus logger up with
``isinstance``; a third-party callback never hears of them.  Like the OTel
contrib instrumentations, otel_litellm wraps the function that emits the event
and removes the wrapper on ``uninstrument()``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

_log = logging.getLogger("otel_litellm")

CooldownListener = Callable[[Any, Any, Any, Any, Any], None]

_COOLDOWN_MODULE = "litellm.router_utils.cooldown_handlers"
_ATTRIBUTE = "router_cooldown_event_callback"
_listeners: list[CooldownListener] = []
_original: Callable[..., Any] | None = None


def add_cooldown_listener(listener: CooldownListener) -> None:
    """Call ``listener(model_name, model_id, api_base, provider, status)`` on each cooldown."""
    global _original
    import importlib

    module = importlib.import_module(_COOLDOWN_MODULE)
    if _original is None:
        _original = getattr(module, _ATTRIBUTE)
        setattr(module, _ATTRIBUTE, _wrap(_original))
    if listener not in _listeners:
        _listeners.append(listener)


def remove_cooldown_listener(listener: CooldownListener) -> None:
    global _original
    if listener in _listeners:
        _listeners.remove(listener)
    if not _listeners and _original is not None:
        import importlib

        setattr(importlib.import_module(_COOLDOWN_MODULE), _ATTRIBUTE, _original)
        _original = None


def _wrap(original: Callable[..., Any]) -> Callable[..., Any]:
    async def router_cooldown_event_callback(
        litellm_router_instance: Any,
        deployment_id: str,
        exception_status: str | int,
        cooldown_time: float | None,
    ) -> None:
        try:
            _notify(litellm_router_instance, deployment_id, exception_status)
        except Exception as error:
            _log.warning("otel_litellm: cooldown event not recorded: %s", error)
        await original(litellm_router_instance, deployment_id, exception_status, cooldown_time)

    return router_cooldown_event_callback


def _notify(router: Any, deployment_id: str, exception_status: str | int) -> None:
    import litellm

    deployment = router.get_deployment(model_id=deployment_id)
    if deployment is None:
        return
    params = dict(deployment["litellm_params"])
    model_name = deployment.get("model_name") or ""
    api_base = litellm.get_api_base(model=model_name, optional_params=params) or ""
    provider = ""
    # An unknown provider leaves the label empty, as in LiteLLM.
    with contextlib.suppress(Exception):
        _, provider, _, _ = litellm.get_llm_provider(
            model=params.get("model") or "", custom_llm_provider=params.get("custom_llm_provider")
        )
    model_id = getattr(deployment["model_info"], "id", None)
    for listener in list(_listeners):
        listener(model_name, model_id, api_base, provider, str(exception_status))
