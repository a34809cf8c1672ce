"""``/metrics`` as a route on the LiteLLM proxy's own app.

The handler resolves the running set-up on each scrape (a forked or reconfigured
worker serves its own), checks otel_litellm's endpoint credentials, and renders
on a worker thread so a scrape never blocks the proxy's event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from otel_litellm.server import render

if TYPE_CHECKING:
    from otel_litellm.setup import Instrumentation


def metrics_route(path: str, current: Callable[[], Instrumentation | None]) -> Any:
    import anyio.to_thread
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def metrics(request: Request) -> Response:
        active = current()
        reader = active.prometheus_reader if active is not None else None
        if active is None or reader is None:
            return Response("otel_litellm is not instrumented\n", status_code=503)
        if not active.auth.allows(request.headers.get("authorization")):
            return Response(
                "unauthorized\n", status_code=401, headers={"WWW-Authenticate": "Bearer, Basic"}
            )
        names = request.query_params.getlist("name[]") or None
        body, content_type = await anyio.to_thread.run_sync(
            render, reader.registry, request.headers.get("accept"), names,
            active.settings.scrape_cache_seconds,
        )  # fmt: skip
        return Response(body, media_type=content_type)

    return Route(path, metrics, methods=["GET"])
