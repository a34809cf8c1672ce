"""The OTLP endpoint down for a minute, then silent for a minute, while requests keep coming.

Recording never waits for the exporter, memory stays flat (cumulative export keeps
no backlog), the first export after recovery carries exact totals, and shutdown
against a silent endpoint returns within ``SHUTDOWN_TIMEOUT_MS``.  Figures are
printed (``pytest -s``) and listed in docs/reliability.md.
"""

from __future__ import annotations

import os
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

import otel_litellm
from otel_litellm.setup import SHUTDOWN_TIMEOUT_MS
from tests.support.collector import free_ports
from tests.support.otlp_sink import OtlpSink
from tests.support.payloads import success_kwargs

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]

WINDOW_S = float(os.environ.get("OTEL_LITELLM_OUTAGE_WINDOW_S", "60"))
RATE_PER_S = 20
FAMILY = "litellm_proxy_total_requests_metric"


@contextmanager
def silent_endpoint(port: int) -> Iterator[None]:
    """Accepts connections on ``port`` and never answers them."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(64)
    listener.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=2)
        for connection in held:
            connection.close()
        listener.close()


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class Traffic:
    """Calls the sync success hook at a steady rate and times each call."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.sent = 0

    def run(self, seconds: float) -> list[float]:
        durations: list[float] = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            kwargs = success_kwargs(team="team-outage")
            started = time.perf_counter()
            self.handle.callback.log_success_event(kwargs, None, None, None)
            durations.append(time.perf_counter() - started)
            self.sent += 1
            time.sleep(1 / RATE_PER_S)
        return durations


def p99_ms(durations: list[float]) -> float:
    return statistics.quantiles(durations, n=100)[98] * 1000


def wait_for_total(sink: OtlpSink, expected: float, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    seen = 0.0
    while time.monotonic() < deadline:
        seen = sum(sink.totals(FAMILY, team="team-outage").values())
        if seen == expected:
            break
        time.sleep(0.2)
    return seen


def test_outage_and_silent_endpoint_do_not_touch_requests_and_counts_recover(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (port,) = free_ports(1)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", f"http://127.0.0.1:{port}/v1/metrics")
    otel_litellm.uninstrument()
    handle = otel_litellm.instrument(
        exporters=("otlp",), otlp_protocol="http/protobuf", export_interval_ms=1000
    )
    traffic = Traffic(handle)
    figures: dict[str, float] = {}
    try:
        with OtlpSink(port) as sink:
            healthy = traffic.run(5)
            assert wait_for_total(sink, traffic.sent, 10) == traffic.sent
        rss_before = rss_mb()
        down = traffic.run(WINDOW_S)  # nothing listens on the port
        with silent_endpoint(port):
            slow = traffic.run(WINDOW_S)
        figures["rss_growth_mb"] = rss_mb() - rss_before
        with OtlpSink(port) as sink:
            recovered_at = time.monotonic()
            total = wait_for_total(sink, traffic.sent, 30)
            figures["recovery_s"] = time.monotonic() - recovered_at
            assert total == traffic.sent
            tokens = sum(sink.totals("litellm_input_tokens_metric", team="team-outage").values())
            assert tokens == 10 * traffic.sent
        with silent_endpoint(port):
            time.sleep(1.5)  # an export is now hanging on the silent endpoint
            started = time.monotonic()
            otel_litellm.uninstrument()
            figures["shutdown_s"] = time.monotonic() - started
    finally:
        otel_litellm.uninstrument()
    for name, durations in (("healthy", healthy), ("down", down), ("silent", slow)):
        figures[f"p99_ms_{name}"] = p99_ms(durations)
    figures["requests"] = traffic.sent
    print("\noutage figures:", {k: round(v, 3) for k, v in figures.items()})
    assert figures["shutdown_s"] < SHUTDOWN_TIMEOUT_MS / 1000 + 1
    assert figures["rss_growth_mb"] < 30
    # Recording never waits on the exporter: a blocked export would show as seconds.
    for phase in ("down", "silent"):
        assert figures[f"p99_ms_{phase}"] < figures["p99_ms_healthy"] + 20
