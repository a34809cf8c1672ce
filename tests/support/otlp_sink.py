"""A local OTLP/HTTP metrics receiver for tests: keeps every request, raw and decoded.

``OtlpSink`` listens on 127.0.0.1 and answers ``POST /v1/metrics`` with 200.  Tests
read the raw bodies (to scan for secrets) and the latest cumulative value of each
series per sending process (``service.instance.id``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import KeyValue


@dataclass(frozen=True)
class Point:
    instance: str
    metric: str
    labels: dict[str, str]
    value: float


def _text(values: list[KeyValue]) -> dict[str, str]:
    return {
        kv.key: str(getattr(kv.value, kv.value.WhichOneof("value") or "string_value"))
        for kv in values
    }


def points(body: bytes) -> Iterator[Point]:
    """The data points of one request: sums and gauges by value, histograms by count."""
    request = ExportMetricsServiceRequest.FromString(body)
    for resource_metrics in request.resource_metrics:
        instance = _text(list(resource_metrics.resource.attributes)).get("service.instance.id", "")
        for scope in resource_metrics.scope_metrics:
            for metric in scope.metrics:
                kind = metric.WhichOneof("data")
                for point in getattr(metric, kind).data_points:
                    if kind == "histogram":
                        value = float(point.count)
                    else:
                        value = point.as_double if point.HasField("as_double") else point.as_int
                    yield Point(instance, metric.name, _text(list(point.attributes)), value)


class _Handler(BaseHTTPRequestHandler):
    server: _SinkServer

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.lock:
            self.server.bodies.append(body)
        reply = ExportMetricsServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _SinkServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.lock = threading.Lock()
        self.bodies: list[bytes] = []


class OtlpSink:
    """``with OtlpSink() as sink:`` export to ``sink.endpoint``, then read ``sink.latest()``."""

    def __init__(self, port: int = 0) -> None:
        self._server = _SinkServer(port)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> OtlpSink:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def endpoint(self) -> str:
        """The full metrics URL, for ``OTEL_EXPORTER_OTLP_METRICS_ENDPOINT``."""
        return f"http://127.0.0.1:{self.port}/v1/metrics"

    @property
    def bodies(self) -> list[bytes]:
        with self._server.lock:
            return list(self._server.bodies)

    def latest(self) -> dict[tuple[str, str, tuple[tuple[str, str], ...]], float]:
        """(instance, metric, labels) -> the value in the last request that carried it."""
        found: dict[tuple[str, str, tuple[tuple[str, str], ...]], float] = {}
        for body in self.bodies:
            for point in points(body):
                found[(point.instance, point.metric, tuple(sorted(point.labels.items())))] = (
                    point.value
                )
        return found

    def totals(self, metric: str, **labels: str) -> dict[str, float]:
        """Per sending instance: the latest value of ``metric`` summed over matching series."""
        sums: dict[str, float] = {}
        for (instance, name, pairs), value in self.latest().items():
            have = dict(pairs)
            if name == metric and all(have.get(k) == v for k, v in labels.items()):
                sums[instance] = sums.get(instance, 0.0) + value
        return sums
