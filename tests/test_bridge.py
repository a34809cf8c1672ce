"""otel_litellm.bridge: prometheus_client families reach the scrape and OTLP unchanged."""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path

import pytest
from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricsData, Sum
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Summary, generate_latest
from prometheus_client.core import GaugeMetricFamily

import otel_litellm
from otel_litellm import bridge, collection
from otel_litellm.naming import LabelRenamer
from otel_litellm.readers import LiteLLMPrometheusMetricReader
from otel_litellm.service_spec import BREAKER_METRICS
from otel_litellm.spec import METRICS
from tests.support.scrape import Sample, parse, value

CLEANUP_BUCKETS = (0.1, 0.5, 1.0, 5.0, 30.0, 120.0)


def _source() -> CollectorRegistry:
    """A registry shaped like the proxy's: LiteLLM's own families and others."""
    registry = CollectorRegistry()
    Gauge("litellm_in_flight_requests", "In flight.", registry=registry).set(3)
    rejected = Counter(
        "litellm_admission_rejected_requests_total", "Rejected.", ["reason"], registry=registry
    )
    rejected.labels("queue_full").inc(2)
    rejected.labels("queue_timeout").inc()
    cleanup = Histogram(
        "litellm_spend_log_cleanup_batch_duration_seconds", "Batch duration.", ["table"],
        buckets=CLEANUP_BUCKETS, registry=registry,
    )  # fmt: skip
    for seconds in (0.05, 0.7, 0.7, 200.0):
        cleanup.labels("LiteLLM_SpendLogs").observe(seconds)
    Gauge("litellm_spend_log_storage_bytes", "Bytes.", ["measure"], registry=registry).labels(
        "table"
    ).set(1.5e9)
    # Recorded by otel_litellm itself: must not come twice.
    Counter("litellm_spend_metric", "LiteLLM's copy.", registry=registry).inc(99)
    Gauge("python_like_runtime", "Not LiteLLM's.", registry=registry).set(1)
    return registry


def _reader(source: CollectorRegistry, **options: object) -> LiteLLMPrometheusMetricReader:
    stage = bridge.RegistryBridge(source, skip=bridge.recorded_families(), **options)  # type: ignore[arg-type]
    reader = LiteLLMPrometheusMetricReader(LabelRenamer({}))
    MeterProvider(metric_readers=[reader])  # no instrument: the SDK alone collects None
    collection.add_stage([reader], stage)
    return reader


def _values(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for s in parse(text)
        if not s.name.endswith("_created")
    }


def _expected(source: CollectorRegistry) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    skipped = ("litellm_spend_metric", "python_")
    return {
        key: number
        for key, number in _values(generate_latest(source).decode()).items()
        if not key[0].startswith(skipped)
    }


def test_both_exposition_paths_show_the_registry_as_prometheus_client_does() -> None:
    source = _source()
    reader = _reader(source)
    expected = _expected(source)
    assert ("litellm_admission_rejected_requests_total", frozenset({("reason", "queue_full")})) in (
        expected
    )
    direct = _values(reader.render().decode())
    fallback = _values(generate_latest(reader.registry).decode())
    assert direct == expected
    assert fallback == expected
    # Buckets as LiteLLM declares them, floats as prometheus_client writes them.
    bounds = {
        dict(labels)["le"]
        for name, labels in direct
        if name == "litellm_spend_log_cleanup_batch_duration_seconds_bucket"
    }
    assert bounds == {str(float(b)) for b in CLEANUP_BUCKETS} | {"+Inf"}


def test_values_are_read_at_collection_time() -> None:
    source = _source()
    reader = _reader(source)
    gauge = Gauge("litellm_lens_export_rows_written", "Added later.", registry=source)
    gauge.set(7)
    assert _values(reader.render().decode())[("litellm_lens_export_rows_written", frozenset())] == 7
    gauge.set(8)
    assert _values(reader.render().decode())[("litellm_lens_export_rows_written", frozenset())] == 8


def test_families_otel_litellm_records_are_never_bridged() -> None:
    owned = bridge.recorded_families(breaker_fed=True)
    assert {spec.litellm_name for spec in METRICS} <= owned
    assert {spec.litellm_name for spec in BREAKER_METRICS} <= owned
    # Without LiteLLM's breaker hook (1.106) the bridge is the breaker's only way out.
    assert not {spec.litellm_name for spec in BREAKER_METRICS} & bridge.recorded_families(
        breaker_fed=False
    )


def test_a_name_already_in_the_batch_wins() -> None:
    source = _source()
    stage = bridge.RegistryBridge(source)
    ours = stage(None)
    assert ours is not None
    twice = stage(ours)
    assert twice is not None
    names = [m.name for rm in twice.resource_metrics for sm in rm.scope_metrics for m in sm.metrics]
    assert len(names) == len(set(names))
    assert "python_like_runtime" not in names


def test_counters_are_monotonic_sums_named_without_total_for_otlp() -> None:
    """The Collector's transform appends ``_total`` to monotonic sums lacking it: once."""
    data = bridge.RegistryBridge(_source())(None)
    assert data is not None
    metrics = {
        m.name: m for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics
    }
    rejected = metrics["litellm_admission_rejected_requests"].data
    assert isinstance(rejected, Sum) and rejected.is_monotonic
    request = encode_metrics(data)
    (histogram,) = (
        m.histogram
        for rm in request.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
        if m.name == "litellm_spend_log_cleanup_batch_duration_seconds"
    )
    point = histogram.data_points[0]
    assert list(point.bucket_counts) == [1, 0, 2, 0, 0, 0, 1]
    assert point.count == 4 and math.isclose(point.sum, 201.45)
    assert not point.HasField("min") and not point.HasField("max")


def test_series_are_bounded_and_unsupported_types_logged(caplog: pytest.LogCaptureFixture) -> None:
    source = CollectorRegistry()
    wide = Gauge("litellm_wide", "Many series.", ["n"], registry=source)
    for n in range(50):
        wide.labels(str(n)).set(n)
    Summary("litellm_summary", "Unsupported.", registry=source).observe(1)
    with caplog.at_level(logging.WARNING, logger="otel_litellm"):
        text = _reader(source, max_series=10).render().decode()
        text = _reader(source, max_series=10).render().decode()
    assert sum(1 for s in parse(text) if s.name == "litellm_wide") == 10
    assert "litellm_summary" not in text
    assert sum("litellm_wide" in r.getMessage() for r in caplog.records) == 2  # once per bridge


def test_a_failing_collector_costs_only_the_bridged_families(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Broken:
        def describe(self) -> list[object]:
            return [GaugeMetricFamily("litellm_broken", "Fails at collection.")]

        def collect(self) -> list[object]:
            raise RuntimeError("broken third-party collector")

    source = CollectorRegistry()
    source.register(Broken())  # type: ignore[arg-type]
    ours = MetricsData([])
    with caplog.at_level(logging.WARNING, logger="otel_litellm"):
        assert bridge.RegistryBridge(source)(ours) is ours
    assert "not bridged" in caplog.text


@pytest.mark.pipeline
@pytest.mark.timeout(300)
def test_bridged_families_keep_their_names_through_otlp_and_the_collector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """instrument() bridges the default registry; collector-config.yaml's ``_total`` rule
    and buckets give the names and samples prometheus_client would have served."""
    from prometheus_client import REGISTRY

    from tests.support.collector import Collector

    registry_families = [
        Counter("litellm_bridge_probe_rejected", "Probe.", ["reason"]),
        Gauge("litellm_bridge_probe_in_flight", "Probe."),
        Histogram("litellm_bridge_probe_seconds", "Probe.", buckets=CLEANUP_BUCKETS),
    ]
    rejected, in_flight, seconds = registry_families
    rejected.labels("queue_full").inc(2)  # type: ignore[union-attr]
    in_flight.set(4)  # type: ignore[union-attr]
    seconds.observe(0.7)  # type: ignore[union-attr]
    try:
        with Collector(tmp_path / "otelcol") as collector:
            monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.otlp_grpc_endpoint)
            monkeypatch.setenv("OTEL_EXPORTER_OTLP_INSECURE", "true")
            otel_litellm.uninstrument()
            handle = otel_litellm.instrument(
                exporters=("otlp",), otlp_protocol="grpc", export_interval_ms=500
            )
            try:
                handle.meter_provider.force_flush()
                found: list[Sample] = []
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline:
                    found = parse(collector.scrape())
                    # A new counter series is first exported at zero (so increase() counts
                    # it): wait for its real value, as a scraper sees it a few exports on.
                    rejected_now = value(
                        found, "litellm_bridge_probe_rejected_total", reason="queue_full"
                    )
                    if rejected_now == 2 and value(found, "litellm_bridge_probe_seconds_count"):
                        break
                    time.sleep(0.5)
            finally:
                otel_litellm.uninstrument()
    finally:
        for family in registry_families:
            REGISTRY.unregister(family)
    assert value(found, "litellm_bridge_probe_rejected_total", reason="queue_full") == 2
    assert value(found, "litellm_bridge_probe_in_flight") == 4
    assert value(found, "litellm_bridge_probe_seconds_bucket", le="1.0") == 1
    assert value(found, "litellm_bridge_probe_seconds_bucket", le="0.5") == 0
    assert value(found, "litellm_bridge_probe_seconds_count") == 1
    assert not {s.name for s in found} & {"litellm_bridge_probe_rejected_total_total"}


def test_collectors_of_skipped_families_are_not_asked() -> None:
    """With LiteLLM's own logger on, its families are not rendered a second time."""
    calls: list[str] = []

    class Watched:
        def __init__(self, name: str) -> None:
            self.name = name

        def describe(self) -> list[object]:
            return [GaugeMetricFamily(self.name, "Watched.")]

        def collect(self) -> list[object]:
            calls.append(self.name)
            return [GaugeMetricFamily(self.name, "Watched.", value=1)]

    source = CollectorRegistry()
    for name in ("litellm_spend_metric", "python_like", "litellm_in_flight_requests"):
        source.register(Watched(name))  # type: ignore[arg-type]
    stage = bridge.RegistryBridge(source, skip=bridge.recorded_families())
    assert [m.name for m in stage.metrics()] == ["litellm_in_flight_requests"]
    assert calls == ["litellm_in_flight_requests"]
