"""collector-config.yaml against a real OpenTelemetry Collector and Prometheus.

Worker processes are simulated by running this file as a script (see
``emit_main``): each one is a separate Python process with its own
``service.instance.id`` that exports LiteLLM-named instruments over OTLP with
the plain OpenTelemetry SDK, exactly the contract otel_litellm follows
(metric names without ``_total``, LiteLLM label names, unit "").

The collector is built on first use by scripts/build-collector.sh (minutes
when cold, cached afterwards) unless OTEL_LITELLM_OTELCOL_BIN is set; the
tests are skipped when no Go toolchain is available.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.collector import (
    BUILD_TIMEOUT_S,
    COLLECTOR_CONFIG,
    REMOTE_WRITE_CONFIG,
    REPO_ROOT,
    Collector,
    CollectorUnavailable,
    collector_binary,
    validate_config,
)
from tests.support.prometheus import Prometheus, PrometheusUnavailable, prometheus_binary

# The first test may have to build the collector (a few minutes when cold),
# so allow more than the project-wide per-test timeout.
pytestmark = [pytest.mark.pipeline, pytest.mark.timeout(BUILD_TIMEOUT_S + 120)]

# LiteLLM's request latency buckets (without +Inf, as floats).
LATENCY_BUCKETS = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0,
    10.0, 30.0, 60.0, 120.0, 300.0, 420.0, 600.0,
)  # fmt: skip
# How prometheus_client (i.e. LiteLLM's own /metrics) renders them.
LITELLM_LE_VALUES = {repr(bound) for bound in LATENCY_BUCKETS} | {"+Inf"}

COUNTER = "litellm_proxy_total_requests_metric"
HISTOGRAM = "litellm_request_total_latency_metric"
GAUGE = "litellm_remaining_team_budget_metric"

EXPECTED_SAMPLE_NAMES = {
    f"{COUNTER}_total",
    f"{HISTOGRAM}_bucket",
    f"{HISTOGRAM}_sum",
    f"{HISTOGRAM}_count",
    GAUGE,
    "target_info",  # one per process: instance -> remaining resource attributes
}

# What each simulated worker records (see emit_main).
WORKERS = {"worker-a": 3, "worker-b": 5}
EXTRA_MINI_REQUESTS = 2
LATENCY_VALUE = 0.7
EMIT_TIMEOUT_S = 60.0


# --------------------------------------------------------------------------
# the simulated worker process


def emit_main(argv: list[str]) -> int:
    """Export LiteLLM-named metrics once over OTLP and exit (one "worker")."""
    parser = argparse.ArgumentParser(description=emit_main.__doc__)
    parser.add_argument("--instance", required=True, help="service.instance.id")
    parser.add_argument("--protocol", choices=("grpc", "http"), required=True)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--requests", type=int, required=True)
    parser.add_argument("--delta", action="store_true", help="DELTA temporality, two exports")
    args = parser.parse_args(argv)

    from opentelemetry.sdk.metrics import Counter, Histogram, MeterProvider
    from opentelemetry.sdk.metrics.export import (
        AggregationTemporality,
        MetricExporter,
        PeriodicExportingMetricReader,
    )
    from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
    from opentelemetry.sdk.resources import Resource

    temporality: dict[type, AggregationTemporality] | None = None
    if args.delta:
        temporality = {
            Counter: AggregationTemporality.DELTA,
            Histogram: AggregationTemporality.DELTA,
        }
    exporter: MetricExporter
    if args.protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import (
            OTLPMetricExporter as GrpcExporter,
        )

        exporter = GrpcExporter(
            endpoint=args.endpoint, insecure=True, preferred_temporality=temporality
        )
    else:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
            OTLPMetricExporter as HttpExporter,
        )

        exporter = HttpExporter(
            endpoint=f"{args.endpoint}/v1/metrics", preferred_temporality=temporality
        )

    # Effectively manual: export only on force_flush()/shutdown().
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
    provider = MeterProvider(
        metric_readers=[reader],
        resource=Resource.create({"service.name": "litellm", "service.instance.id": args.instance}),
        views=[
            View(
                instrument_name=HISTOGRAM,
                aggregation=ExplicitBucketHistogramAggregation(LATENCY_BUCKETS),
            )
        ],
    )
    meter = provider.get_meter("litellm")
    requests = meter.create_counter(COUNTER, unit="", description="Total number of requests")
    latency = meter.create_histogram(HISTOGRAM, unit="", description="Total latency (seconds)")
    budget = meter.create_gauge(GAUGE, unit="", description="Remaining budget for team")

    rounds = 2 if args.delta else 1
    for round_ in range(rounds):
        # Split the work across export rounds (all of it in round 0 if cumulative).
        share = args.requests // rounds + (args.requests % rounds if round_ == 0 else 0)
        for _ in range(share):
            requests.add(1, {"model": "gpt-4o", "team": "t1"})
            latency.record(LATENCY_VALUE, {"model": "gpt-4o"})
        if round_ == 0:
            requests.add(EXTRA_MINI_REQUESTS, {"model": "gpt-4o-mini", "team": "t2"})
        budget.set(42.5, {"team": "t1"})
        if not provider.force_flush(timeout_millis=20_000):
            print("force_flush failed", file=sys.stderr)
            return 1
    provider.shutdown()
    return 0


def run_worker(
    instance: str, protocol: str, endpoint: str, requests: int, *, delta: bool = False
) -> None:
    """Run one simulated worker process to completion."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_")}
    # The script imports this module's dependencies as `tests.support...`.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    argv = [
        sys.executable, str(Path(__file__).resolve()), "--emit",
        "--instance", instance, "--protocol", protocol, "--endpoint", endpoint,
        "--requests", str(requests),
        *(["--delta"] if delta else []),
    ]  # fmt: skip
    result = subprocess.run(
        argv, env=env, capture_output=True, text=True, timeout=EMIT_TIMEOUT_S, check=False
    )
    assert result.returncode == 0, f"worker {instance} failed:\n{result.stdout}\n{result.stderr}"


def run_two_workers(collector: Collector, *, delta_worker_b: bool = False) -> None:
    """worker-a exports over gRPC, worker-b over HTTP."""
    run_worker("worker-a", "grpc", collector.otlp_grpc_endpoint, WORKERS["worker-a"])
    run_worker(
        "worker-b", "http", collector.otlp_http_endpoint, WORKERS["worker-b"], delta=delta_worker_b
    )


# --------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def otelcol_binary() -> Path:
    try:
        return collector_binary()
    except CollectorUnavailable as exc:
        pytest.skip(f"no OpenTelemetry Collector: {exc}")


@pytest.fixture(scope="module")
def prometheus_bin() -> Path:
    try:
        return prometheus_binary()
    except PrometheusUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture
def collector(otelcol_binary: Path, tmp_path: Path) -> Iterator[Collector]:
    with Collector(tmp_path / "otelcol", binary=otelcol_binary) as running:
        yield running


# --------------------------------------------------------------------------
# helpers for the exposition text

SAMPLE_RE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    samples = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = SAMPLE_RE.match(line)
        assert match, f"unparsable sample line: {line!r}"
        name, labels, value = match.groups()
        samples.append((name, dict(LABEL_RE.findall(labels or "")), float(value)))
    return samples


def has_both_workers(text: str) -> bool:
    return all(f'{COUNTER}_total{{instance="{worker}"' in text for worker in WORKERS)


# --------------------------------------------------------------------------
# tests


def test_collector_config_validates(otelcol_binary: Path) -> None:
    result = validate_config([COLLECTOR_CONFIG], binary=otelcol_binary)
    assert result.returncode == 0, result.stdout + result.stderr


def test_remote_write_overlay_validates(otelcol_binary: Path) -> None:
    configs = [COLLECTOR_CONFIG, REMOTE_WRITE_CONFIG]
    env = {"OTEL_LITELLM_REMOTE_WRITE_ENDPOINT": "http://127.0.0.1:9/api/v1/write"}
    result = validate_config(configs, binary=otelcol_binary, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    # Without the endpoint the overlay must fail loudly, not silently drop data.
    result = validate_config(
        configs, binary=otelcol_binary, env={"OTEL_LITELLM_REMOTE_WRITE_ENDPOINT": ""}
    )
    assert result.returncode != 0
    assert "endpoint" in result.stdout + result.stderr


def test_scrape_has_exact_litellm_names(collector: Collector) -> None:
    run_two_workers(collector)
    text = collector.wait_for_scrape(has_both_workers)
    samples = parse_samples(text)

    assert {name for name, _, _ in samples} == EXPECTED_SAMPLE_NAMES
    # The Go translator's default would have produced these; they must not appear.
    assert "litellm_proxy_requests_metric" not in text
    assert "otel_scope_" not in text
    assert "_ratio" not in text
    assert f"# TYPE {COUNTER} counter" in text  # OpenMetrics family name, as prometheus_client
    assert f"# TYPE {HISTOGRAM} histogram" in text
    assert f"# TYPE {GAUGE} gauge" in text

    lines = set(text.splitlines())
    for worker, count in WORKERS.items():
        prefix = f'instance="{worker}",job="litellm"'
        assert f'{COUNTER}_total{{{prefix},model="gpt-4o",team="t1"}} {count}.0' in lines
        assert (
            f'{COUNTER}_total{{{prefix},model="gpt-4o-mini",team="t2"}} {EXTRA_MINI_REQUESTS}.0'
            in lines
        )
        assert f'{HISTOGRAM}_bucket{{{prefix},model="gpt-4o",le="0.5"}} 0' in lines
        assert f'{HISTOGRAM}_bucket{{{prefix},model="gpt-4o",le="1.0"}} {count}' in lines
        assert f'{HISTOGRAM}_bucket{{{prefix},model="gpt-4o",le="+Inf"}} {count}' in lines
        assert f'{HISTOGRAM}_count{{{prefix},model="gpt-4o"}} {count}' in lines
        assert f'{GAUGE}{{{prefix},team="t1"}} 42.5' in lines

    # Label sets: LiteLLM's label names plus job/instance, nothing else.
    for name, labels, _ in samples:
        extra = set(labels) - {"job", "instance"}
        if name.startswith(COUNTER):
            assert extra == {"model", "team"}
        elif name == f"{HISTOGRAM}_bucket":
            assert extra == {"model", "le"}
        elif name.startswith(HISTOGRAM):
            assert extra == {"model"}
        elif name == GAUGE:
            assert extra == {"team"}
    le_values = {labels["le"] for name, labels, _ in samples if name == f"{HISTOGRAM}_bucket"}
    assert le_values == LITELLM_LE_VALUES

    # The classic text format has the same sample names (only `le` differs).
    plain = collector.scrape(openmetrics=False)
    assert {name for name, _, _ in parse_samples(plain)} == EXPECTED_SAMPLE_NAMES


def test_prometheus_sums_worker_counts(
    collector: Collector, prometheus_bin: Path, tmp_path: Path
) -> None:
    expected_total = sum(WORKERS.values()) + EXTRA_MINI_REQUESTS * len(WORKERS)
    with Prometheus(
        tmp_path / "prometheus", [collector.prometheus_target], binary=prometheus_bin
    ) as prom:
        run_two_workers(collector)
        prom.wait_for_value(f"sum({COUNTER}_total)", expected_total)

        # Workers stay separate series: instance = service.instance.id.
        per_instance = {
            r["metric"]["instance"]: float(r["value"][1])
            for r in prom.query(f"sum by (instance) ({COUNTER}_total)")
        }
        assert per_instance == {w: float(n + EXTRA_MINI_REQUESTS) for w, n in WORKERS.items()}
        assert prom.label_values("job", f"{COUNTER}_total") == ["litellm"]

        assert prom.query_value(f'sum({HISTOGRAM}_count{{model="gpt-4o"}})') == sum(
            WORKERS.values()
        )
        assert prom.query_value(f'sum({HISTOGRAM}_bucket{{le="1.0"}})') == sum(WORKERS.values())
        assert set(prom.label_values("le", f"{HISTOGRAM}_bucket")) == LITELLM_LE_VALUES
        assert prom.query_value(f"max({GAUGE})") == 42.5

        names = set(prom.label_values("__name__", '{job="litellm"}'))
        assert names == EXPECTED_SAMPLE_NAMES
        series = prom.series(f"{COUNTER}_total")
        assert {frozenset(s) for s in series} == {
            frozenset({"__name__", "instance", "job", "model", "team"})
        }
        assert prom.metadata(COUNTER)[COUNTER][0]["type"] == "counter"


def test_remote_write_overlay(otelcol_binary: Path, prometheus_bin: Path, tmp_path: Path) -> None:
    expected_total = sum(WORKERS.values()) + EXTRA_MINI_REQUESTS * len(WORKERS)
    with Prometheus(
        tmp_path / "prometheus", remote_write_receiver=True, binary=prometheus_bin
    ) as prom:
        overlay = Collector(
            tmp_path / "otelcol",
            binary=otelcol_binary,
            configs=[COLLECTOR_CONFIG, REMOTE_WRITE_CONFIG],
            env={"OTEL_LITELLM_REMOTE_WRITE_ENDPOINT": prom.remote_write_url},
        )
        with overlay as collector:
            # worker-b exports DELTA in two rounds: remote write drops delta
            # data, so this only adds up if delta_to_cumulative converts it.
            run_two_workers(collector, delta_worker_b=True)
            prom.wait_for_value(f"sum({COUNTER}_total)", expected_total)

            names = set(prom.label_values("__name__"))
            assert names == EXPECTED_SAMPLE_NAMES
            series = prom.series(f"{COUNTER}_total")
            assert {frozenset(s) for s in series} == {
                frozenset({"__name__", "instance", "job", "model", "team"})
            }
            assert set(prom.label_values("instance", f"{COUNTER}_total")) == set(WORKERS)
            assert prom.query_value(f"sum({HISTOGRAM}_count)") == sum(WORKERS.values())
            # Known difference: the remote-write translator formats integral
            # bucket bounds without ".0" (le="1", le="10"), unlike LiteLLM's
            # prometheus_client and the scrape path (le="1.0").
            assert set(prom.label_values("le", f"{HISTOGRAM}_bucket")) == {
                f"{bound:g}" for bound in LATENCY_BUCKETS
            } | {"+Inf"}
            # The /metrics endpoint keeps working next to remote write.
            assert has_both_workers(collector.scrape())


def test_collector_restart_and_pause(collector: Collector) -> None:
    run_worker("worker-a", "grpc", collector.otlp_grpc_endpoint, 1)
    collector.wait_for_scrape(lambda text: f"{COUNTER}_total" in text)
    endpoint = collector.otlp_grpc_endpoint

    collector.pause()
    collector.resume()
    collector.wait_healthy(timeout=10)

    # A restart keeps the ports but loses the received state.
    collector.restart()
    assert collector.otlp_grpc_endpoint == endpoint
    assert f"{COUNTER}_total" not in collector.scrape()
    run_worker("worker-b", "http", collector.otlp_http_endpoint, 2)
    text = collector.wait_for_scrape(lambda t: 'instance="worker-b"' in t)
    assert 'instance="worker-a"' not in text


if __name__ == "__main__":
    if sys.argv[1:2] == ["--emit"]:
        sys.exit(emit_main(sys.argv[2:]))
    sys.exit(f"usage: {sys.argv[0]} --emit --help")
