"""Scrape rendering: serialized, and optionally shared between scrapes close in time."""

from __future__ import annotations

import threading
from typing import Any

from otel_litellm.server import render
from tests.support.payloads import success_kwargs
from tests.support.scrape import parse, value


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
