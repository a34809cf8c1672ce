"""Threads and asyncio tasks recording at once while /metrics is scraped: exact final counts."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

import otel_litellm
from tests.support.payloads import success_kwargs
from tests.support.scrape import samples, value

THREADS, PER_THREAD = 6, 300
TASKS, FAILURES = 300, 100
TEAM = {"team": "team-conc"}
REQUESTS = "litellm_proxy_total_requests_metric_total"


def failure_kwargs() -> dict[str, Any]:
    kwargs = success_kwargs(team="team-conc")
    kwargs["exception"] = ValueError("upstream said no")
    return kwargs


async def tasks(callback: Any) -> None:
    await asyncio.gather(
        *(callback.async_log_success_event(success_kwargs(team="team-conc"), None, None, None)
          for _ in range(TASKS)),
        *(callback.async_log_failure_event(failure_kwargs(), None, None, None)
          for _ in range(FAILURES)),
    )  # fmt: skip


def test_threads_tasks_and_scrapes_at_once_give_exact_counts(
    instrumented: otel_litellm.Instrumentation,
) -> None:
    callback, url = instrumented.callback, instrumented.metrics_url
    assert url is not None
    start = threading.Barrier(THREADS + 2)
    done = threading.Event()
    seen: list[float] = []
    failed: list[Exception] = []

    def sync_worker() -> None:
        start.wait()
        for _ in range(PER_THREAD):
            callback.log_success_event(success_kwargs(team="team-conc"), None, None, None)

    def async_worker() -> None:
        start.wait()
        asyncio.run(tasks(callback))

    def scraper() -> None:
        # At least two scrapes, however fast the recording ends on this machine.
        while not done.is_set() or len(seen) < 2:
            try:
                seen.append(value(samples(url), REQUESTS, **TEAM))
            except Exception as error:  # reported below, not lost with the thread
                failed.append(error)
                return

    workers = [threading.Thread(target=sync_worker) for _ in range(THREADS)]
    workers.append(threading.Thread(target=async_worker))
    scraping = threading.Thread(target=scraper)
    scraping.start()
    for worker in workers:
        worker.start()
    start.wait()
    for worker in workers:
        worker.join(timeout=120)
    done.set()
    scraping.join(timeout=30)

    successes = THREADS * PER_THREAD + TASKS
    found = samples(url)
    assert value(found, REQUESTS, status_code="200", **TEAM) == successes
    assert value(found, "litellm_input_tokens_metric_total", **TEAM) == 10 * successes
    assert value(found, "litellm_spend_metric_total", **TEAM) == pytest.approx(0.25 * successes)
    assert value(found, "litellm_request_total_latency_metric_count", **TEAM) == successes
    assert value(found, "litellm_llm_api_failed_requests_metric_total", **TEAM) == FAILURES
    # Every scrape during the run answered, with a consistent, never-decreasing snapshot.
    assert not failed and len(seen) >= 2 and seen == sorted(seen)
