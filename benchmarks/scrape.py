"""Scrape cost and memory per series: otel_litellm's reader against LiteLLM's registry.

Both sides hold the same series: half are children of the counter
``litellm_proxy_total_requests_metric``, half of the histogram
``litellm_request_total_latency_metric`` (LiteLLM's 18 buckets); each series
has every label of its family set (to a one-letter value), and differs from the others by ``team``.
LiteLLM's side is its ``PrometheusLogger`` registry (prometheus_client's global
one) with the children set through the logger's own metric objects; ours is
``instrument()`` with its Prometheus reader, recorded by name.

One fresh process per measurement.  A scrape is the text exposition a plain
``GET /metrics`` returns, rendered in-process (no HTTP).  With ``--parallel N``,
N clients instead ``GET /metrics`` at once from the SDK metrics server, and the wall
time until the last has its full body is set against one render's.

    python -m benchmarks.scrape --impl otel_litellm --series 10000
    python -m benchmarks.scrape --impl otel_litellm --series 10000 --parallel 50
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from benchmarks.common import report

COUNTER, HISTOGRAM = "litellm.proxy.requests", "gen_ai.server.request.duration"


def _labels(names: tuple[str, ...], index: int) -> dict[str, str]:
    # Short values: the cost measured is per series and sample, not per byte of label.
    return {name: f"team-{index}" if name == "team" else "x" for name in names}


def _rss_bytes() -> int:
    gc.collect()
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def fill_prometheus(series: int) -> Callable[[], bytes]:
    from litellm.integrations.prometheus import PrometheusLogger
    from prometheus_client import REGISTRY, generate_latest

    logger = PrometheusLogger()
    counter = logger.litellm_proxy_total_requests_metric
    histogram = logger.litellm_request_total_latency_metric
    for i in range(series // 2):
        counter.labels(**_labels(tuple(counter._labelnames), i)).inc()
        histogram.labels(**_labels(tuple(histogram._labelnames), i)).observe(0.2)
    return lambda: bytes(generate_latest(REGISTRY))


def fill_otel(series: int) -> Callable[[], bytes]:
    from otel_litellm import instrument
    from otel_litellm.attributes import attribute_for_label
    from otel_litellm.server import render
    from otel_litellm.spec import METRICS

    # Room for every series, so none lands in the overflow series.
    handle = instrument(prometheus_port=None, cardinality_limit=series + 100)
    reader = handle.prometheus_reader
    assert reader is not None
    specs = {spec.name: spec for spec in METRICS}
    record = handle.instruments.record
    for i in range(series // 2):
        for name, value in ((COUNTER, 1.0), (HISTOGRAM, 0.2)):
            labels = _labels(specs[name].labels, i)
            record(name, value, {attribute_for_label(k): v for k, v in labels.items()})
    return lambda: render(reader.registry, None)[0]


def measure(impl: str, series: int, scrapes: int) -> dict[str, Any]:
    before = _rss_bytes()
    scrape = (fill_otel if impl == "otel_litellm" else fill_prometheus)(series)
    held = _rss_bytes() - before  # what the series cost between scrapes
    body = scrape()
    cpu: list[float] = []
    wall: list[float] = []
    for _ in range(scrapes):
        cpu0, wall0 = time.process_time(), time.perf_counter()
        scrape()
        cpu.append((time.process_time() - cpu0) * 1e3)
        wall.append((time.perf_counter() - wall0) * 1e3)
    return {
        "series": series,
        "scrape_ms": statistics.median(wall),
        "scrape_cpu_ms": statistics.median(cpu),
        "bytes": len(body),
        "bytes_per_series": held / series,
        "scrapes": scrapes,
    }


def measure_parallel(series: int, clients: int) -> dict[str, Any]:
    import http.client
    import threading

    import otel_litellm
    from otel_litellm import rendering
    from otel_litellm.server import MetricsServer

    scrape = fill_otel(series)
    handle = otel_litellm.active()
    assert handle is not None and handle.prometheus_reader is not None
    scrape()  # warm-up
    single = []
    for _ in range(3):
        started = time.perf_counter()
        scrape()
        single.append((time.perf_counter() - started) * 1e3)
    server = MetricsServer(handle.prometheus_reader.registry, 0)
    latencies: list[float] = []
    renders = 0
    render_now = rendering._render_now

    def counted(*args: Any) -> bytes:
        nonlocal renders
        renders += 1
        return render_now(*args)

    rendering._render_now = counted  # type: ignore[assignment]

    def get() -> None:
        connection = http.client.HTTPConnection(server.host, server.port, timeout=600)
        started = time.perf_counter()
        connection.request("GET", "/metrics")
        response = connection.getresponse()
        response.read()
        latencies.append((time.perf_counter() - started) * 1e3)
        connection.close()

    threads = [threading.Thread(target=get) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    total = (time.perf_counter() - started) * 1e3
    server.close()
    return {
        "series": series,
        "clients": clients,
        "answered": len(latencies),
        "render_ms": statistics.median(single),
        "all_answered_ms": total,
        "per_scrape_median_ms": statistics.median(latencies),
        "renders_worth": total / statistics.median(single),
        "renders": renders,
        "body_bytes": len(scrape()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--impl", choices=("otel_litellm", "prometheus"), required=True)
    parser.add_argument("--series", type=int, required=True)
    parser.add_argument("--scrapes", type=int, default=5)
    parser.add_argument("--parallel", type=int, default=0, help="concurrent HTTP scrapes")
    args = parser.parse_args()
    if args.parallel:
        if args.impl != "otel_litellm":
            parser.error("--parallel measures otel_litellm's metrics server")
        report(measure_parallel(args.series, args.parallel))
    else:
        report(measure(args.impl, args.series, args.scrapes))


if __name__ == "__main__":
    main()
