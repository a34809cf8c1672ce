"""A small HTTP server for ``/metrics`` and ``/health`` on its own thread.

Rendering (otel_litellm.rendering) runs on the server's threads, never on an
application event loop, and concurrent scrapes share one render.  Optional
bearer-token or basic authentication is checked in constant time as soon as the
headers are in.  Idle connections time out, open connections and request heads are
capped (:class:`ConnectionLimits`).
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import hmac
import http.client
import io
import logging
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from prometheus_client import CollectorRegistry

from otel_litellm.rendering import after_fork, render

__all__ = ["ConnectionLimits", "EndpointAuth", "MetricsServer", "after_fork", "render"]

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


@dataclass(frozen=True)
class ConnectionLimits:
    """What clients may hold of the server; each limit is logged when hit.

    ``timeout``: seconds a connection may sit idle before its next request line or
    header arrives.  ``max_connections``: open connections at once; beyond it the
    longest-idle connection still waiting for a request is closed to make room, or,
    when none waits, the new one is closed at once.  ``max_request_bytes``: request
    line plus headers.
    """

    timeout: float = 10.0
    max_connections: int = 64
    max_request_bytes: int = 64 * 1024

    def __post_init__(self) -> None:
        if self.timeout <= 0 or self.max_connections < 1 or self.max_request_bytes < 1024:
            raise ValueError(f"unusable connection limits: {self}")


class _LimitedReader:
    """The request stream, giving each request head at most ``budget`` bytes and
    ``seconds`` (a client trickling its headers a byte at a time gets no longer)."""

    def __init__(self, stream: io.BufferedReader, budget: int, seconds: float) -> None:
        self._stream = stream
        self._budget = budget
        self._seconds = seconds
        self.next_request()

    def next_request(self) -> None:
        self._remaining = self._budget
        self._deadline = time.monotonic() + self._seconds

    def readline(self, size: int = -1) -> bytes:
        limit = self._remaining if size < 0 else min(size, self._remaining)
        if limit <= 0:
            # http.server answers this with 431 while reading headers.
            raise http.client.LineTooLong("request head")
        line = b""
        # Chunk by chunk, so a head trickled a byte at a time meets the deadline too.
        while len(line) < limit:
            if time.monotonic() > self._deadline:
                raise TimeoutError("request head too slow")  # http.server closes the connection
            chunk = self._stream.peek(1)[: limit - len(line)]
            if not chunk:
                break
            end = chunk.find(b"\n")
            line += self._stream.read(end + 1 if end >= 0 else len(chunk))
            if end >= 0:
                break
        self._remaining -= len(line)
        return line

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _Handler(BaseHTTPRequestHandler):
    server: _MetricsHTTPServer
    protocol_version = "HTTP/1.1"
    rfile: Any

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.limits.timeout)
        limits = self.server.limits
        self.rfile = _LimitedReader(self.rfile, limits.max_request_bytes, limits.timeout)

    def handle_one_request(self) -> None:
        self.rfile.next_request()
        self.server.waiting(self.connection, idle=True)
        super().handle_one_request()

    def parse_request(self) -> bool:
        self.server.waiting(self.connection, idle=False)  # its request line is in
        return super().parse_request()

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
            body, content_type = render(
                self.server.registry, self.headers.get("Accept"), names, self.server.max_age
            )
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


class _EveryMinute:
    """True at most once a minute: a flood of one event writes one line a minute."""

    def __init__(self) -> None:
        self._last = float("-inf")
        self._lock = threading.Lock()

    def due(self) -> bool:
        with self._lock:
            now = time.monotonic()
            if now - self._last < 60:
                return False
            self._last = now
            return True


class _MetricsHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default of 5 makes a burst of scrapers (or of idle sockets) wait
    # out one-second SYN retransmits; the connection limit is what bounds descriptors.
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        registry: CollectorRegistry,
        auth: EndpointAuth,
        health: Callable[[], bool],
        limits: ConnectionLimits,
        max_age: float,
    ) -> None:
        super().__init__(address, _Handler)
        self.registry = registry
        self.auth = auth
        self.health = health
        self.limits = limits
        self.max_age = max_age
        self.open_connections = 0
        self.refused_connections = 0
        self.evicted_connections = 0
        # Connections waiting for a request line, oldest first: the ones to give up
        # when the limit is reached, as a scraper sends its request at once.
        self._idle: dict[socket.socket, None] = {}
        self._count_lock = threading.Lock()
        self._limit_log = _EveryMinute()

    def process_request(self, request: Any, client_address: Any) -> None:
        victim: socket.socket | None = None
        with self._count_lock:
            admitted = self.open_connections < self.limits.max_connections
            if not admitted:
                victim = next(iter(self._idle), None)
                admitted = victim is not None
                if victim is not None:
                    del self._idle[victim]
                    self.evicted_connections += 1
                else:
                    self.refused_connections += 1
            if admitted:
                self.open_connections += 1
                self._idle[request] = None
        if victim is not None:
            with contextlib.suppress(OSError):  # its thread closes it when its read ends
                victim.shutdown(socket.SHUT_RDWR)
        if not admitted:
            self.shutdown_request(request)
        if (victim is not None or not admitted) and self._limit_log.due():
            _log.warning(
                "otel_litellm: the metrics endpoint reached its limit of %d connections "
                "(max_connections); so far %d idle connections closed, %d new ones refused",
                self.limits.max_connections,
                self.evicted_connections,
                self.refused_connections,
            )
        if admitted:
            super().process_request(request, client_address)

    def waiting(self, connection: socket.socket, idle: bool) -> None:
        """Note whether ``connection`` waits for a request (and may be given up)."""
        with self._count_lock:
            if idle:
                self._idle[connection] = None
            else:
                self._idle.pop(connection, None)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._count_lock:
                self.open_connections -= 1
                self._idle.pop(request, None)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, (OSError, http.client.HTTPException)):
            # A scraper that hung up, timed out or sent an oversized head: routine.
            _log.debug("otel_litellm: metrics connection from %s ended: %r", client_address, error)
            return
        _log.exception("otel_litellm: metrics connection from %s failed", client_address)


class MetricsServer:
    """Serves a registry on ``host:port`` from a daemon thread.

    ``scrape_cache_seconds``: a render that started at most this long before a scrape
    arrived is served again (0: only a render still running is shared).
    ``connection_timeout`` / ``max_connections``: see :class:`ConnectionLimits`.
    """

    def __init__(
        self,
        registry: CollectorRegistry,
        port: int,
        host: str = "127.0.0.1",
        auth: EndpointAuth | None = None,
        health: Callable[[], bool] | None = None,
        *,
        scrape_cache_seconds: float = 0.0,
        connection_timeout: float = ConnectionLimits.timeout,
        max_connections: int = ConnectionLimits.max_connections,
    ) -> None:
        self._httpd = _MetricsHTTPServer(
            (host, port),
            registry,
            auth or EndpointAuth(),
            health or (lambda: True),
            ConnectionLimits(connection_timeout, max_connections),
            scrape_cache_seconds,
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

    @property
    def refused_connections(self) -> int:
        """New connections closed at once: ``max_connections`` were open, none idle."""
        return self._httpd.refused_connections

    @property
    def evicted_connections(self) -> int:
        """Idle connections closed to make room for a new one at ``max_connections``."""
        return self._httpd.evicted_connections

    def abandon(self) -> None:
        """Close the listening socket a forked child inherited.  Its serving thread
        exists only in the parent, so :meth:`close` would wait for it forever."""
        self._httpd.server_close()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
