"""A local OTLP/HTTP metrics receiver that accepts and discards every export.

The proxy benchmark points the OTLP exporter here so exporting costs what it
costs on the proxy's side, without a Collector to build.

    python -m benchmarks.otlp_sink --port 4318
"""

from __future__ import annotations

import argparse

from aiohttp import web


async def _accept(request: web.Request) -> web.Response:
    request.app["exports"] += 1
    request.app["bytes"] += len(await request.read())
    # An empty body is a valid (empty) ExportMetricsServiceResponse.
    return web.Response(body=b"", content_type="application/x-protobuf")


async def _count(request: web.Request) -> web.Response:
    return web.json_response({"exports": request.app["exports"], "bytes": request.app["bytes"]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app["exports"] = app["bytes"] = 0
    app.router.add_post("/v1/metrics", _accept)
    app.router.add_get("/exports", _count)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
