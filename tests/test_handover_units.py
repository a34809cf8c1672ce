"""The hand-over's parts without a proxy: file format, merge rules, identity, zero start."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    Gauge,
    InMemoryMetricReader,
    Metric,
    MetricExporter,
    MetricExportResult,
    MetricsData,
)

from otel_litellm import otlp_files, workers
from otel_litellm.handover import HandOver
from otel_litellm.merge import Source, merge_sources
from otel_litellm.zero_start import ZERO_EXPORTS, ZeroStartExporter


def recorded(
    counter: float, histogram: tuple[float, ...], gauge: float, updown: int
) -> MetricsData:
    reader = InMemoryMetricReader()
    meter = MeterProvider(metric_readers=[reader]).get_meter("t")
    meter.create_counter("requests").add(counter, {"model": "m"})
    for value in histogram:
        meter.create_histogram("latency").record(value, {"model": "m"})
    meter.create_gauge("budget").set(gauge, {"team": "a"})
    meter.create_up_down_counter("in_flight").add(updown)
    data = reader.get_metrics_data()
    assert data is not None
    return data


def metrics(data: MetricsData) -> dict[str, Metric]:
    return {
        m.name: m for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics
    }


def test_otlp_file_round_trip_keeps_every_point() -> None:
    data = recorded(3, (0.2, 7.0), 42.5, 2)
    back = metrics(otlp_files.decode(otlp_files.encode(data)))
    original = metrics(data)
    assert back.keys() == original.keys()
    for name, metric in original.items():
        assert [p.attributes for p in back[name].data.data_points] == [
            p.attributes for p in metric.data.data_points
        ]
    assert back["requests"].data.data_points[0].value == 3
    histogram = back["latency"].data.data_points[0]
    assert (histogram.count, histogram.sum) == (2, pytest.approx(7.2))
    assert histogram.bucket_counts == original["latency"].data.data_points[0].bucket_counts


def test_merge_rules_per_kind() -> None:
    live = recorded(3, (0.2,), 10.0, 2)
    exited = recorded(4, (0.3, 0.4), 99.0, 5)  # recorded later: its gauge is the newest
    merged = metrics(merge_sources([Source(live, True), Source(exited, False)]))
    assert merged["requests"].data.data_points[0].value == 7  # summed, exited included
    assert merged["latency"].data.data_points[0].count == 3
    assert merged["in_flight"].data.data_points[0].value == 2  # live workers only
    assert isinstance(merged["budget"].data, Gauge)
    assert merged["budget"].data.data_points[0].value == 99.0  # most recent observation


def test_histograms_without_min_and_max_merge() -> None:
    # A histogram bridged from prometheus_client (LiteLLM's own families) keeps no min or
    # max; workers' copies of it still sum, and a scrape still answers.
    def bridged(data: MetricsData) -> MetricsData:
        point = metrics(data)["latency"].data.data_points[0]
        return _with_point(data, "latency", replace(point, min=None, max=None))

    live, exited = recorded(3, (0.2,), 10.0, 2), recorded(4, (0.3, 0.4), 99.0, 5)
    for sources in ([bridged(live), bridged(exited)], [bridged(live), exited]):
        merged = metrics(merge_sources([Source(sources[0], True), Source(sources[1], False)]))
        point = merged["latency"].data.data_points[0]
        assert point.count == 3 and point.sum == pytest.approx(0.9)
    assert (point.min, point.max) == (pytest.approx(0.3), pytest.approx(0.4))


def _with_point(data: MetricsData, name: str, point: Any) -> MetricsData:
    def change(metric: Metric) -> Metric:
        if metric.name != name:
            return metric
        return replace(metric, data=replace(metric.data, data_points=[point]))

    return MetricsData(
        [
            replace(rm, scope_metrics=[
                replace(sm, metrics=[change(m) for m in sm.metrics]) for sm in rm.scope_metrics
            ])
            for rm in data.resource_metrics
        ]
    )  # fmt: skip


def test_scrapes_through_any_worker_agree(tmp_path: Path) -> None:
    """Two workers' hand-overs in one directory: each sees the other's writes."""
    first, second = recorded(3, (), 1.0, 0), recorded(5, (), 2.0, 0)
    me = workers.process(os.getpid())
    assert me is not None
    a = HandOver(tmp_path, me, lambda: first)
    b = HandOver(tmp_path, workers.Process(me.pid, me.started + 1), lambda: second)
    assert a.write() and b.write()
    for hand, own in ((a, first), (b, second)):
        assert metrics(hand.merge(own))["requests"].data.data_points[0].value == 8


def test_instance_is_the_parent_and_dead_instances_are_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    stale = workers.base_dir() / f"{gone.stdout.strip()}-1"
    stale.mkdir(parents=True)
    assert workers.server_parent("off") is None
    parent = workers.server_parent("on")
    assert parent is not None and parent.pid == os.getppid() and parent.alive()
    directory = workers.instance_dir(parent)
    assert directory.name == f"{parent.pid}-{parent.started}" and not stale.exists()
    # pytest's parent is no server
    assert (
        workers.server_parent("auto") is None
        or "litellm" in Path(f"/proc/{os.getppid()}/cmdline").read_text()
    )


class _Capture(MetricExporter):
    def __init__(self) -> None:
        super().__init__()
        self.values: list[float] = []

    def export(self, metrics_data: MetricsData, timeout_millis: float = 0, **kw: Any) -> Any:
        self.values.append(metrics(metrics_data)["requests"].data.data_points[0].value)
        return MetricExportResult.SUCCESS

    def force_flush(self, timeout_millis: float = 0) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 0, **kw: Any) -> None:
        return None


def test_a_new_series_is_first_exported_at_zero_then_counted() -> None:
    sink = _Capture()
    exporter = ZeroStartExporter(sink)
    for value in (4, 5, 6):
        exporter.export(recorded(value, (), 0, 0))
    assert sink.values == [0] * ZERO_EXPORTS + [6]
    fresh = ZeroStartExporter(sink)
    fresh.released = True  # a final export never holds a count back
    fresh.export(recorded(2, (), 0, 0))
    assert sink.values[-1] == 2


SIGTERMED_WORKER = """
import os, sys
from pathlib import Path
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from otel_litellm import handover, workers
from otel_litellm.effects import SigtermHook

reader = InMemoryMetricReader()
counter = MeterProvider(metric_readers=[reader]).get_meter("t").create_counter("requests")
me = workers.process(os.getpid())
hand = handover.HandOver(Path(sys.argv[1]), me, reader.get_metrics_data, interval=60).start()
SigtermHook(hand.on_sigterm).apply()
for line in sys.stdin:
    counter.add(int(line))
    print("added", flush=True)
"""


def test_sigterm_writes_the_last_counts_then_terminates(tmp_path: Path) -> None:
    worker = subprocess.Popen(
        [sys.executable, "-c", SIGTERMED_WORKER, str(tmp_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert worker.stdin is not None and worker.stdout is not None
    for value in (2, 3):
        worker.stdin.write(f"{value}\n")
        worker.stdin.flush()
        assert worker.stdout.readline() == "added\n"
    assert not list(tmp_path.glob("*.otlp"))  # the 60 s timer has not written yet
    worker.terminate()
    assert worker.wait(timeout=20) == -15  # the default action still ends the process
    (written,) = tmp_path.glob("*.otlp")
    found = metrics(otlp_files.decode(written.read_bytes()))
    assert found["requests"].data.data_points[0].value == 5
