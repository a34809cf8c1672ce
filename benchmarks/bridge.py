"""Cost of otel_litellm.bridge per collection.

A registry shaped like the proxy's (in-flight, admission, cleanup families: 9 families),
optionally next to a LiteLLM-logger family of ``--series`` children that the bridge skips.
Prints the microseconds one bridge pass takes, and what rendering the whole registry
(what a bridge without the per-collector skip would pay) takes for comparison.

    python -m benchmarks.bridge --series 10000
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from otel_litellm.bridge import RegistryBridge, recorded_families


def _registry(series: int) -> CollectorRegistry:
    registry = CollectorRegistry()
    Gauge("litellm_in_flight_requests", "x", registry=registry).set(1)
    Gauge("litellm_admission_admitted_requests", "x", registry=registry).set(1)
    Gauge("litellm_admission_queued_requests", "x", registry=registry).set(0)
    rejected = Counter("litellm_admission_rejected_requests", "x", ["reason"], registry=registry)
    for reason in ("queue_full", "queue_timeout"):
        rejected.labels(reason).inc()
    cleanup = Histogram(
        "litellm_spend_log_cleanup_batch_duration_seconds", "x", ["table"], registry=registry
    )
    for table in ("LiteLLM_SpendLogs", "LiteLLM_ErrorLogs"):
        cleanup.labels(table).observe(0.3)
    for name in ("runs", "rows_deleted", "batch_failures"):
        Counter(f"litellm_spend_log_cleanup_{name}", "x", ["table"], registry=registry).labels(
            "LiteLLM_SpendLogs"
        ).inc()
    Gauge("litellm_spend_log_cleanup_rows_remaining", "x", ["table"], registry=registry)
    logger = Counter("litellm_proxy_total_requests_metric", "x", ["team"], registry=registry)
    for index in range(series):
        logger.labels(f"team-{index}").inc()
    return registry


def _micros(action: Callable[[], object], seconds: float = 1.0) -> float:
    runs: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(runs) < 5:
        started = time.perf_counter()
        action()
        runs.append((time.perf_counter() - started) * 1e6)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--series", type=int, default=0)
    args = parser.parse_args()
    registry = _registry(args.series)
    stage = RegistryBridge(registry, skip=recorded_families())
    bridged = len(stage.metrics())
    print(
        f"bridge: {bridged} families bridged, logger series skipped {args.series}: "
        f"{_micros(stage.metrics):.0f} us per collection; "
        f"rendering the whole registry: {_micros(lambda: list(registry.collect())):.0f} us"
    )


if __name__ == "__main__":
    main()
