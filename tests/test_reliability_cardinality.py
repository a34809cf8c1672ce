"""A million distinct end users and API keys: memory stays bounded by the series limits.

Counter families keep at most ``cardinality_limit`` series each and fold the rest
into one ``otel_metric_overflow="true"`` series, counted by
``otel_litellm_overflow_recordings_total``; histograms get the SDK's overflow
series at the same limit; gauges forget their least recently written series
(``otel_litellm_evicted_series_total``) and, with a TTL, idle ones.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest

import otel_litellm
from otel_litellm import attributes as attr
from tests.support.payloads import success_kwargs
from tests.support.scrape import Sample, samples, value

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

LIMIT = 1_000
DISTINCT = 1_000_000
HISTOGRAM_DISTINCT = 100_000  # the SDK's histogram path is ~15 µs a recording
COUNTER = "litellm_proxy_total_requests_metric_total"
HISTOGRAM = "litellm_request_total_latency_metric_count"
GAUGE = "litellm_remaining_api_key_budget_metric"


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def series(found: list[Sample], name: str) -> list[Sample]:
    return [s for s in found if s.name == name]


@pytest.fixture
def limited() -> Iterator[Any]:
    otel_litellm.uninstrument()
    handle = otel_litellm.instrument(
        prometheus_port=0,
        cardinality_limit=LIMIT,
        gauge_series_limit=LIMIT,
        end_user_labels=True,
    )
    yield handle
    otel_litellm.uninstrument()


def record_users(handle: Any, start: int, stop: int) -> None:
    instruments = handle.instruments
    for i in range(start, stop):
        who = {attr.END_USER_ID: f"user-{i}", attr.API_KEY_HASH: f"key-{i}"}
        instruments.record("litellm.proxy.requests", 1, who)
        instruments.set("litellm.api_key.budget.remaining", 1.0, who)
        if i < HISTOGRAM_DISTINCT:
            instruments.record("gen_ai.server.request.duration", 0.1, who)


def test_a_million_end_users_stay_within_the_series_limit(limited: Any) -> None:
    record_users(limited, 0, 100_000)
    warm = rss_mb()
    started = time.monotonic()
    record_users(limited, 100_000, DISTINCT)
    elapsed = time.monotonic() - started
    growth = rss_mb() - warm
    found = samples(limited.metrics_url)
    print(f"\n900k more distinct users: +{growth:.1f} MB RSS in {elapsed:.1f} s")
    assert growth < 25  # a million real series would take hundreds of MB

    counter = series(found, COUNTER)
    overflow = [s for s in counter if s.labels.get("otel_metric_overflow") == "true"]
    assert len(counter) == LIMIT + 1 and len(overflow) == 1
    assert sum(s.value for s in counter) == DISTINCT  # nothing is lost, only folded
    folded = value(
        found,
        "otel_litellm_overflow_recordings_total",
        metric="litellm_proxy_total_requests_metric",
    )
    assert folded == overflow[0].value == DISTINCT - LIMIT

    histogram = series(found, HISTOGRAM)
    assert len(histogram) <= LIMIT + 1
    assert sum(s.value for s in histogram) == HISTOGRAM_DISTINCT
    assert any(s.labels.get("otel_metric_overflow") == "true" for s in histogram)

    assert len(series(found, GAUGE)) == LIMIT
    assert value(found, "otel_litellm_evicted_series_total") == DISTINCT - LIMIT


def test_end_user_labels_are_off_unless_asked_for() -> None:
    otel_litellm.uninstrument()
    handle = otel_litellm.instrument(prometheus_port=0)
    try:
        for i in range(2_000):
            kwargs = success_kwargs(team="team-eu")
            kwargs["litellm_params"]["user_api_key_end_user_id"] = f"end-user-{i}"
            handle.callback.record_success(kwargs)
        found = samples(handle.metrics_url)
    finally:
        otel_litellm.uninstrument()
    counter = [s for s in series(found, COUNTER) if s.labels.get("team") == "team-eu"]
    assert len(counter) == 1 and counter[0].value == 2_000
    assert not any(s.labels.get("end_user") for s in found)


def test_gauge_series_expire_after_their_ttl() -> None:
    otel_litellm.uninstrument()
    handle = otel_litellm.instrument(prometheus_port=0, gauge_ttl_seconds=0.5)
    try:
        handle.instruments.set("litellm.api_key.budget.remaining", 3.0, {attr.API_KEY_HASH: "old"})
        time.sleep(0.8)
        handle.instruments.set("litellm.api_key.budget.remaining", 4.0, {attr.API_KEY_HASH: "new"})
        found = series(samples(handle.metrics_url), GAUGE)
    finally:
        otel_litellm.uninstrument()
    assert [s.labels["hashed_api_key"] for s in found] == ["new"]
