"""A small HTTP server for ``/metrics`` and ``/health`` on its own thread.

Rendering runs on the server's threads, never on an application event loop.
Optional bearer-token or basic authentication is checked in constant time.
"""

from __future__ import annotations

import base64
import gzip
import hmac
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

from otel_litellm import exposition
from otel_litellm.readers import reader_for

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EndpointAuth:
    """Credentials ``/metrics`` requires; none set means open."""

    bearer_token: str | None = None
    basic_user: str | None = None
    basic_password: str | None = None

    @property
    def required(self) -> bool:
        return bool(self.bearer_token or self.basic_user)

    def allows(self, header: str | None) -> bool:
        if not self.required:
            return True
        if not header:
            return False
        scheme, _, value = header.partition(" ")
        scheme = scheme.lower()
        if scheme == "bearer" and self.bearer_token:
            return hmac.compare_digest(value.strip().encode(), self.bearer_token.encode())
        if scheme == "basic" and self.basic_user:
            expected = f"{self.basic_user}:{self.basic_password or ''}".encode()
            try:
                given = base64.b64decode(value.strip(), validate=True)
            except ValueError:
                return False
            return hmac.compare_digest(given, expected)
        return False


# Renders are serialized: concurrent scrapers never render in parallel (each render
# holds the GIL for its whole length), and a render that started no more than
# SCRAPE_CACHE_SECONDS before a scrape arrived is served again instead of repeated.
SCRAPE_CACHE_SECONDS = float(os.environ.get("OTEL_LITELLM_SCRAPE_CACHE_SECONDS") or 0)
_render_lock = threading.Lock()
_rendered: dict[tuple[int, str, tuple[str, ...]], tuple[float, bytes]] = {}


def render(
    registry: CollectorRegistry,
    accept: str | None,
    names: list[str] | None = None,
    max_age: float | None = None,
) -> tuple[bytes, str]:
    """The exposition of ``registry`` in the format ``accept`` asks for."""
    encoder, content_type = choose_encoder(accept or "")
    max_age = SCRAPE_CACHE_SECONDS if max_age is None else max_age
    key = (id(registry), content_type, tuple(names or ()))
    arrived = time.monotonic()
    with _render_lock:
        cached = _rendered.get(key)
        if cached is not None and max_age > 0 and cached[0] >= arrived - max_age:
            return cached[1], content_type
        started = time.monotonic()
        body = _render_direct(registry, content_type, names)
        if body is None:
            source = registry.restricted_registry(names) if names else registry
            body = encoder(source)
        if max_age > 0:
            _rendered[key] = (started, body)
        return body, content_type


def _render_direct(
    registry: CollectorRegistry, content_type: str, names: list[str] | None
) -> bytes | None:
    reader = reader_for(registry)
    if reader is None or names:
        return None
    try:
        return reader.render(openmetrics=content_type.startswith("application/openmetrics"))
    except exposition.Unsupported as reason:
        _log.debug("otel_litellm: rendering through prometheus_client: %s", reason)
        return None


class _Handler(BaseHTTPRequestHandler):
    server: _MetricsHTTPServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path in ("/health", "/healthz"):
            healthy = self.server.health()
            self._reply(200 if healthy else 503, b"ok\n" if healthy else b"unhealthy\n")
            return
        if url.path not in ("/metrics", "/metrics/", "/"):
            self._reply(404, b"not found\n")
            return
        if not self.server.auth.allows(self.headers.get("Authorization")):
            self._reply(401, b"unauthorized\n", {"WWW-Authenticate": "Bearer, Basic"})
            return
        names = parse_qs(url.query).get("name[]")
        try:
            body, content_type = render(self.server.registry, self.headers.get("Accept"), names)
        except Exception:  # a broken collector must not kill the server thread
            _log.exception("otel_litellm: rendering /metrics failed")
            self._reply(500, b"metrics collection failed\n")
            return
        headers = {"Content-Type": content_type}
        if "gzip" in (self.headers.get("Accept-Encoding") or ""):
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        self._reply(200, body, headers)

    def do_HEAD(self) -> None:
        self._reply(405, b"", {"Allow": "GET"})

    def _method_not_allowed(self) -> None:
        self._reply(405, b"method not allowed\n", {"Allow": "GET"})

    do_POST = do_PUT = do_DELETE = do_PATCH = _method_not_allowed

    def _reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {"Content-Type": "text/plain; charset=utf-8"}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        _log.debug("metrics endpoint: " + format, *args)


class _MetricsHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        registry: CollectorRegistry,
        auth: EndpointAuth,
        health: Callable[[], bool],
    ) -> None:
        super().__init__(address, _Handler)
        self.registry = registry
        self.auth = auth
        self.health = health


class MetricsServer:
    """Serves a registry on ``host:port`` from a daemon thread."""

    def __init__(
        self,
        registry: CollectorRegistry,
        port: int,
        host: str = "127.0.0.1",
        auth: EndpointAuth | None = None,
        health: Callable[[], bool] | None = None,
    ) -> None:
        self._httpd = _MetricsHTTPServer(
            (host, port), registry, auth or EndpointAuth(), health or (lambda: True)
        )
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="otel-litellm-metrics", daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def host(self) -> str:
        return str(self._httpd.server_address[0])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/metrics"

    def abandon(self) -> None:
        """Close the listening socket a forked child inherited.  Its serving thread
        exists only in the parent, so :meth:`close` would wait for it forever."""
        self._httpd.server_close()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
