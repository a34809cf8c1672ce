"""This worker's points in prometheus_client's multiprocess files, for LiteLLM's metrics server.

``litellm --prometheus_metrics_port P`` serves ``/metrics`` on ``P`` from a separate
process that reads only ``PROMETHEUS_MULTIPROC_DIR`` (LiteLLM creates and wipes it at
boot).  Each worker writes its LiteLLM-named points there, with the merge rules of
:mod:`otel_litellm.merge` expressed as prometheus_client's file modes: counters and
histograms in ``counter_`` / ``histogram_`` files summed over every file (an exited
worker's included), state gauges as ``mostrecent`` (stamped with when the value was
set), live-process gauges as ``livesum`` (dropped when their worker is gone).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from opentelemetry.sdk.metrics.export import Gauge, Histogram, Metric, MetricsData, Sum
from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.utils import floatToGoString

from otel_litellm import workers
from otel_litellm.merge import LIVE_GAUGES

_NAME_INVALID = re.compile(r"[^a-zA-Z0-9:]+")
_LABEL_INVALID = re.compile(r"[^a-zA-Z0-9]+")
_LIVE_FILE = re.compile(r"^gauge_live[a-z]*_(\d+)\.db$")

Row = tuple[str, str, list[str], list[str], float, float, str]  # family, sample, labels, v, t, help


def write(target: Path, me: workers.Process, data: MetricsData) -> None:
    """Replace this worker's files in ``target`` with ``data`` (already in LiteLLM's names)."""
    files: dict[str, list[Row]] = {}
    for metric in _metrics(data):
        kind, rows = _rows(metric)
        files.setdefault(kind, []).extend(rows)
    for kind, rows in files.items():
        # Live gauges carry the bare pid, which LiteLLM's own dead-worker clean-up reads;
        # the rest carry pid and start time, so a reused pid never overwrites them.
        owner = str(me.pid) if kind.startswith("gauge_live") else me.name
        _replace(target / f"{kind}_{owner}.db", rows)
    _drop_dead_live_gauges(target)


def _metrics(data: MetricsData) -> Iterator[Metric]:
    for rm in data.resource_metrics:
        for sm in rm.scope_metrics:
            yield from sm.metrics


def _labels(attributes: Mapping[str, Any] | None) -> tuple[list[str], list[str]]:
    items = (attributes or {}).items()
    names = [_LABEL_INVALID.sub("_", key) for key, _ in items]
    return names, [value if isinstance(value, str) else str(value) for _, value in items]


def _rows(metric: Metric) -> tuple[str, list[Row]]:
    name = _NAME_INVALID.sub("_", metric.name)
    help_text = metric.description or ""
    data = metric.data
    rows: list[Row] = []
    if isinstance(data, Histogram):
        for point in data.data_points:
            names, values = _labels(point.attributes)
            bounds = [*map(float, point.explicit_bounds), float("inf")]
            for bound, count in zip(bounds, point.bucket_counts, strict=False):
                le = [*values, floatToGoString(bound)]
                row = (name, name + "_bucket", [*names, "le"], le, float(count), 0.0, help_text)
                rows.append(row)
            rows.append((name, name + "_sum", names, values, float(point.sum), 0.0, help_text))
        return "histogram", rows
    if isinstance(data, Sum) and data.is_monotonic:
        family = name.removesuffix("_total")
        for number in data.data_points:
            names, values = _labels(number.attributes)
            total = float(number.value)
            rows.append((family, family + "_total", names, values, total, 0.0, help_text))
        return "counter", rows
    live = isinstance(data, Sum) or name in LIVE_GAUGES
    assert isinstance(data, (Sum, Gauge))
    for number in data.data_points:
        names, values = _labels(number.attributes)
        stamp = number.time_unix_nano / 1e9
        rows.append((name, name, names, values, float(number.value), stamp, help_text))
    return ("gauge_livesum" if live else "gauge_mostrecent"), rows


def _replace(path: Path, rows: list[Row]) -> None:
    temporary = path.with_name("." + path.name + ".tmp")
    temporary.unlink(missing_ok=True)
    table = MmapedDict(str(temporary))
    try:
        for family, sample, names, values, value, stamp, help_text in rows:
            table.write_value(mmap_key(family, sample, names, values, help_text), value, stamp)
    finally:
        table.close()
    os.replace(temporary, path)


def _drop_dead_live_gauges(target: Path) -> None:
    for path in target.glob("gauge_live*_*.db"):
        match = _LIVE_FILE.match(path.name)
        if match and workers.start_time(int(match.group(1))) is None:
            path.unlink(missing_ok=True)
