"""The real LiteLLM proxy under bounded load, against the local mock upstream.

Each variant starts a fresh proxy process (one worker) on 127.0.0.1 with the
same model list, and an aiohttp client keeps ``--concurrency`` requests in
flight for ``--seconds`` (at most ``--max-requests``).  Reported: throughput and
p50/p99 latency.  Then, with otel_litellm's Prometheus reader and at least
10,000 series present, p99 with and without a ``/metrics`` scrape every second.

    python -m benchmarks.proxy_load [--seconds 15] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.common import child_env, free_port, percentile, report

MASTER_KEY = "sk-bench-master-0123456789"
MODEL = "gpt-mock"
TARGET_SERIES = 10_000
METADATA_LABEL = "metadata.bench_id"


@dataclass(frozen=True)
class Variant:
    name: str
    callbacks: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)


def variants(sink_port: int) -> list[Variant]:
    otel = ("otel_litellm.proxy.callback",)
    return [
        Variant("no metrics"),
        Variant("LiteLLM PrometheusLogger", ("prometheus",)),
        Variant("otel_litellm, Prometheus reader", otel, {"OTEL_METRICS_EXPORTER": "prometheus"}),
        Variant(
            "otel_litellm, OTLP every 1 s",
            otel,
            {
                "OTEL_METRICS_EXPORTER": "otlp",
                "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL": "http/protobuf",
                "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": f"http://127.0.0.1:{sink_port}/v1/metrics",
                "OTEL_METRIC_EXPORT_INTERVAL": "1000",
            },
        ),
    ]


def _config(api_base: str, callbacks: Sequence[str]) -> str:
    listed = ", ".join(f'"{name}"' for name in callbacks)
    return f"""
model_list:
  - model_name: {MODEL}
    litellm_params: {{model: openai/mock-ok, api_base: "{api_base}", api_key: sk-upstream}}
litellm_settings:
  callbacks: [{listed}]
  require_auth_for_metrics_endpoint: false
  num_retries: 0
"""


def _get(url: str, timeout: float = 5) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        body: bytes = response.read()
        return body


@contextlib.contextmanager
def process(
    args: Sequence[str], ready_url: str, workdir: Path, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """A child process, waited for until ``ready_url`` answers, always stopped."""
    log_path = workdir / f"{Path(args[2]).name}-{time.monotonic_ns()}.log"
    with open(log_path, "wb") as log:
        child = subprocess.Popen(
            args, cwd=workdir, env=env or child_env(), stdout=log, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    _get(ready_url, timeout=2)
                    break
                except OSError:
                    if child.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(log_path.read_text()[-3000:]) from None
                    time.sleep(0.3)
            yield child
        finally:
            child.terminate()
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


@contextlib.contextmanager
def proxy(
    variant: Variant, api_base: str, workdir: Path, extra_env: dict[str, str]
) -> Iterator[str]:
    config = workdir / "config.yaml"
    config.write_text(_config(api_base, variant.callbacks))
    port = free_port()
    env = {**child_env(), "LITELLM_MASTER_KEY": MASTER_KEY, **variant.env, **extra_env}
    base = f"http://127.0.0.1:{port}"
    args = [sys.executable, "-m", "litellm.proxy.proxy_cli", "--config", str(config),
            "--host", "127.0.0.1", "--port", str(port), "--num_workers", "1"]  # fmt: skip
    with process(args, base + "/health/liveliness", workdir, env):
        yield base


def _body(tag: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": MODEL,
        "messages": [{"role": "user", "content": "hello from the benchmark"}],
    }
    if tag is not None:
        body["metadata"] = {"bench_id": tag}
    return body


@dataclass
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    scrapes_ms: list[float]

    def summary(self) -> dict[str, float]:
        out = {
            "requests": self.requests,
            "errors": self.errors,
            "rps": self.requests / self.seconds,
            "p50_ms": percentile(self.latencies_ms, 0.50),
            "p99_ms": percentile(self.latencies_ms, 0.99),
        }
        if self.scrapes_ms:
            out["scrapes"] = len(self.scrapes_ms)
            out["scrape_p50_ms"] = percentile(self.scrapes_ms, 0.50)
            out["scrape_max_ms"] = max(self.scrapes_ms)
        return out


async def load(
    base: str,
    seconds: float,
    concurrency: int,
    max_requests: int,
    tags: Sequence[str] | None = None,
    scrape_every: float | None = None,
) -> LoadResult:
    """Keep ``concurrency`` requests in flight until time or count runs out."""
    headers = {"Authorization": f"Bearer {MASTER_KEY}"}
    latencies: list[float] = []
    scrapes: list[float] = []
    errors = 0
    issued = 0
    limit = len(tags) if tags is not None else max_requests
    connector = aiohttp.TCPConnector(limit=concurrency + 1)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        start = time.perf_counter()
        deadline = start + seconds

        async def worker() -> None:
            nonlocal errors, issued
            while issued < limit and time.perf_counter() < deadline:
                body = _body(tags[issued] if tags is not None else None)
                issued += 1
                sent = time.perf_counter()
                async with session.post(
                    base + "/chat/completions", json=body, headers=headers
                ) as response:
                    await response.read()
                    errors += response.status != 200
                latencies.append((time.perf_counter() - sent) * 1e3)

        async def scraper(every: float) -> None:
            while time.perf_counter() < deadline:
                sent = time.perf_counter()
                async with session.get(base + "/metrics") as response:
                    await response.read()
                scrapes.append((time.perf_counter() - sent) * 1e3)
                await asyncio.sleep(max(0.0, every - (time.perf_counter() - sent)))

        tasks = [asyncio.create_task(worker()) for _ in range(concurrency)]
        if scrape_every is not None:
            tasks.append(asyncio.create_task(scraper(scrape_every)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
    return LoadResult(len(latencies), errors, elapsed, latencies, scrapes)


def count_series(exposition: str) -> int:
    """Labelled series: one per counter, gauge or histogram child (not per bucket)."""
    skip = ("_bucket", "_sum", "_created")
    count = 0
    for line in exposition.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name = line.split("{", 1)[0].split(" ", 1)[0]
        count += not name.endswith(skip)
    return count


def fill_series(base: str, concurrency: int) -> tuple[int, int]:
    """Send requests with distinct custom-label values until TARGET_SERIES exist."""
    sent = 0
    series = count_series(_get(base + "/metrics", 60).decode())
    batch = 200
    while series < TARGET_SERIES and sent < 20_000:
        tags = [f"id-{sent + i}" for i in range(batch)]
        asyncio.run(load(base, 300, concurrency, batch, tags=tags))
        sent += batch
        now = count_series(_get(base + "/metrics", 60).decode())
        per_request = max(1.0, (now - series) / batch)
        series = now
        batch = max(50, int((TARGET_SERIES - series) / per_request) + 10)
    return series, sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--max-requests", type=int, default=20_000)
    parser.add_argument("--warmup", type=int, default=100)
    args = parser.parse_args()

    def measure(base: str, **options: Any) -> dict[str, float]:
        asyncio.run(load(base, 30, args.concurrency, args.warmup))
        result = asyncio.run(
            load(base, args.seconds, args.concurrency, args.max_requests, **options)
        )
        return result.summary()

    results: dict[str, Any] = {"concurrency": args.concurrency, "seconds": args.seconds}
    with tempfile.TemporaryDirectory(prefix="otel-litellm-bench-") as tmp:
        workdir = Path(tmp)
        upstream_port, sink_port = free_port(), free_port()
        mock = [sys.executable, "-m", "otel_litellm.mock_upstream", "--port", str(upstream_port)]
        sink = [sys.executable, "-m", "benchmarks.otlp_sink", "--port", str(sink_port)]
        with (
            process(mock, f"http://127.0.0.1:{upstream_port}/health", workdir),
            process(sink, f"http://127.0.0.1:{sink_port}/exports", workdir),
        ):
            api_base = f"http://127.0.0.1:{upstream_port}/v1"
            results["load"] = {}
            for variant in variants(sink_port):
                with proxy(variant, api_base, workdir, {}) as base:
                    results["load"][variant.name] = measure(base)
                print(f"{variant.name}: {results['load'][variant.name]}", file=sys.stderr)
            results["otlp_sink"] = json.loads(_get(f"http://127.0.0.1:{sink_port}/exports"))
            scraped = variants(sink_port)[2]
            labels = {"OTEL_LITELLM_CUSTOM_METADATA_LABELS": METADATA_LABEL}
            with proxy(scraped, api_base, workdir, labels) as base:
                series, sent = fill_series(base, args.concurrency)
                results["scrape"] = {
                    "series": series,
                    "fill_requests": sent,
                    "without": measure(base),
                    "with": measure(base, scrape_every=1.0),
                }
    report(results)


if __name__ == "__main__":
    main()
