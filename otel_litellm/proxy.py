"""LiteLLM proxy integration: one line in the proxy's ``config.yaml``.

    litellm_settings:
      callbacks: ["otel_litellm.proxy.callback"]

Importing this module (the proxy does so when it reads that line, once per worker
process) instruments LiteLLM and serves ``/metrics`` on the proxy's own port in
LiteLLM's names.  Settings come from ``OTEL_LITELLM_*`` and the standard ``OTEL_*``
environment variables and from the proxy config's LiteLLM Prometheus settings,
whatever their order in ``litellm_settings`` (see the configuration table in README.md).

Nothing here may stop the proxy from starting: a failure is logged, and the proxy
runs with a callback that records nothing.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from otel_litellm.instrumentor import LiteLLMInstrumentor, instrument

_log = logging.getLogger("otel_litellm")

METRICS_PATH = "/metrics"


def _proxy_app() -> Any:
    try:
        from litellm.proxy.proxy_server import app
    except Exception as error:
        _log.debug("otel_litellm: no LiteLLM proxy app to mount /metrics on: %s", error)
        return None
    return app


def _settle_later(owner: LiteLLMInstrumentor) -> None:
    """Re-read LiteLLM's settings once the proxy has read the rest of its config.

    The proxy loads its config on its event loop and imports this module in the
    middle of ``litellm_settings``; the loop runs this callback at its next turn,
    after the settings block is done and before any request is served.
    """

    def settle() -> None:
        try:
            owner.settle()
        except Exception:
            _log.exception("otel_litellm: applying the proxy's Prometheus settings failed")

    try:
        asyncio.get_running_loop().call_soon(settle)
    except RuntimeError:  # no loop: imported outside the proxy's start-up
        settle()


def _start() -> Any:
    try:
        # The proxy appends ``callback`` to litellm.callbacks itself.
        instrumentation = instrument(register=False)
        owner = LiteLLMInstrumentor()
        app = _proxy_app()
        if app is not None and owner.mount(app, METRICS_PATH):
            _log.info("otel_litellm: serving %s on the LiteLLM proxy", METRICS_PATH)
        _settle_later(owner)
        return instrumentation.callback
    except Exception:
        _log.exception("otel_litellm: not instrumenting this proxy; it runs without our metrics")
        from litellm.integrations.custom_logger import CustomLogger

        return CustomLogger()


callback = _start()
