"""LiteLLM proxy integration: one line in the proxy's ``config.yaml``.

    litellm_settings:
      callbacks: ["otel_litellm.proxy.callback"]

Importing this module (the proxy does so when it reads that line, once per
worker process) instruments LiteLLM, and serves ``/metrics`` on the proxy's own
port in LiteLLM's names.  Rendering runs on a worker thread, so a scrape never
blocks the proxy's event loop.  Settings come from ``OTEL_LITELLM_*`` and the
standard ``OTEL_*`` environment variables (see the configuration table in README.md).
"""

from __future__ import annotations

import logging
from typing import Any

from otel_litellm.server import render
from otel_litellm.setup import Instrumentation, _auth, instrument

_log = logging.getLogger("otel_litellm")

METRICS_PATH = "/metrics"


def mount_metrics(app: Any, instrumentation: Instrumentation, path: str = METRICS_PATH) -> bool:
    """Serve ``instrumentation``'s Prometheus reader at ``path`` on a Starlette/FastAPI app."""
    reader = instrumentation.prometheus_reader
    if reader is None:
        return False
    import anyio.to_thread
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    auth = _auth(instrumentation.settings)
    registry = reader.registry

    async def metrics(request: Request) -> Response:
        if not auth.allows(request.headers.get("authorization")):
            return Response(
                "unauthorized\n", status_code=401, headers={"WWW-Authenticate": "Bearer, Basic"}
            )
        names = request.query_params.getlist("name[]") or None
        body, content_type = await anyio.to_thread.run_sync(
            render, registry, request.headers.get("accept"), names
        )
        return Response(body, media_type=content_type)

    # First in the table: the proxy has catch-all pass-through routes.
    app.router.routes.insert(0, Route(path, metrics, methods=["GET"]))
    return True


def _proxy_app() -> Any:
    try:
        from litellm.proxy.proxy_server import app
    except Exception as error:
        _log.debug("otel_litellm: no LiteLLM proxy app to mount /metrics on: %s", error)
        return None
    return app


def _start() -> Instrumentation:
    # The proxy appends ``callback`` to litellm.callbacks itself.
    instrumentation = instrument(register=False)
    app = _proxy_app()
    if app is not None and mount_metrics(app, instrumentation):
        _log.info("otel_litellm: serving %s on the LiteLLM proxy", METRICS_PATH)
    return instrumentation


instrumentation = _start()
callback = instrumentation.callback
