"""Scrape rendering: concurrent scrapes share one render, a finished one is reused only
within the configured window, and what is kept is bounded."""

from __future__ import annotations

import threading
import time
from typing import Any
from unittest import mock

from otel_litellm import rendering
from otel_litellm.server import MetricsServer, render
from tests.support.payloads import success_kwargs
from tests.support.scrape import fetch, parse, value


def requests_seen(body: bytes) -> float:
    return value(parse(body.decode()), "litellm_proxy_total_requests_metric_total")


def test_recent_render_is_reused_within_max_age(instrumented: Any) -> None:
    registry = instrumented.prometheus_reader.registry
    instrumented.callback.record_success(success_kwargs())
    first, _ = render(registry, None, max_age=60)
    instrumented.callback.record_success(success_kwargs())
    again, _ = render(registry, None, max_age=60)
    fresh, _ = render(registry, None, max_age=0)
    assert requests_seen(first) == requests_seen(again) == 1
    assert requests_seen(fresh) == 2


def test_concurrent_scrapes_all_get_complete_expositions(instrumented: Any) -> None:
    for index in range(200):
        instrumented.callback.record_success(success_kwargs(team=f"team-{index}"))
    registry = instrumented.prometheus_reader.registry
    bodies: list[bytes] = []

    def scrape() -> None:
        bodies.append(render(registry, None)[0])

    threads = [threading.Thread(target=scrape) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(bodies) == 8
    assert all(requests_seen(body) == 200 for body in bodies)


def test_fifty_parallel_scrapes_share_one_render(instrumented: Any) -> None:
    for index in range(50):
        instrumented.callback.record_success(success_kwargs(team=f"team-{index}"))
    registry = instrumented.prometheus_reader.registry
    release, calling = threading.Event(), threading.Semaphore(0)
    renders: list[float] = []
    real = rendering._render_now

    def slow_render(*args: Any) -> bytes:
        renders.append(time.monotonic())
        release.wait(timeout=30)  # holds the first render until every scrape has arrived
        return real(*args)

    bodies: list[bytes] = []

    def scrape() -> None:
        calling.release()
        bodies.append(render(registry, None)[0])

    with mock.patch.object(rendering, "_render_now", slow_render):
        threads = [threading.Thread(target=scrape) for _ in range(50)]
        for thread in threads:
            thread.start()
        for _ in threads:
            assert calling.acquire(timeout=10)
        time.sleep(0.3)  # from calling render() to waiting on the shared one: microseconds
        release.set()
        for thread in threads:
            thread.join(timeout=30)
    assert len(renders) == 1
    assert len(bodies) == 50 and len(set(bodies)) == 1
    assert requests_seen(bodies[0]) == 50


def test_a_finished_render_is_not_reused_by_default(instrumented: Any) -> None:
    registry = instrumented.prometheus_reader.registry
    instrumented.callback.record_success(success_kwargs())
    assert requests_seen(render(registry, None)[0]) == 1
    instrumented.callback.record_success(success_kwargs())
    assert requests_seen(render(registry, None)[0]) == 2
    assert rendering._state.flights == {}  # and no body is kept


def test_kept_renders_are_one_per_format_whatever_the_client_sends(instrumented: Any) -> None:
    registry = instrumented.prometheus_reader.registry
    instrumented.callback.record_success(success_kwargs())
    for index in range(100):
        render(registry, f"application/openmetrics-text; version=1.0.{index}", None, 60)
        render(registry, f"text/plain; version=1.0.{index}", [f"litellm_x{index}"], 60)
        render(registry, None, None, 60)
    assert sorted(rendering._state.flights) == ["openmetrics", "text"]


def test_the_server_takes_its_reuse_window_as_a_parameter(instrumented: Any) -> None:
    registry = instrumented.prometheus_reader.registry
    cached = MetricsServer(registry, 0, scrape_cache_seconds=60)
    try:
        instrumented.callback.record_success(success_kwargs())
        first = requests_seen(fetch(cached.url).encode())
        instrumented.callback.record_success(success_kwargs())
        assert requests_seen(fetch(cached.url).encode()) == first == 1
        assert requests_seen(fetch(instrumented.metrics_url).encode()) == 2
    finally:
        cached.close()
