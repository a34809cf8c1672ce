"""Cost of the multi-worker hand-over (otel_litellm.handover) with many series.

One process plays every worker: it records ``--series`` series (half counter
children of ``litellm_proxy_total_requests_metric``, half histogram children of
``litellm_request_total_latency_metric``), then measures, median of ``--repeats``:

* write: collect this worker's points, encode them as OTLP protobuf, write the file
  (what the timer thread does every interval);
* merge: a scrape's extra work with ``--workers - 1`` peers whose files all changed
  since the last scrape (decode each, then merge; the own file is written first);
* scrape: the whole ``/metrics`` render with the hand-over, and without it;
* exited workers: a scrape's merge with ``--exited`` exited workers' files left as
  they are (decoded once, then reused) and after a live worker folded them into one
  (otel_litellm.exited), and the fold's own one-off cost.

    python -m benchmarks.handover --series 10000 --workers 4 --exited 10 [--write-doc]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from benchmarks.common import REPO_ROOT, report
from benchmarks.scrape import fill_otel

DOC = REPO_ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- handover:begin -->", "<!-- handover:end -->"


def _median_ms(step: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def measure_exited(hand: Any, own_data: Any, count: int, repeats: int) -> dict[str, float]:
    """A scrape's merge with ``count`` exited workers' files, before and after the fold."""
    from otel_litellm import handover

    directory = hand.directory
    own = directory / (hand.me.name + handover.SUFFIX)
    for path in directory.glob("*" + handover.SUFFIX):
        if path != own:
            path.unlink()
    for index in range(count):
        shutil.copyfile(own, directory / f"{5_000_000 + index}-1{handover.SUFFIX}")
    hand._decoded.clear()
    first = _median_ms(lambda: hand.merge(own_data), 1)  # decodes every file
    unfolded = _median_ms(lambda: hand.merge(own_data), repeats)
    start = time.perf_counter()
    assert hand.fold() == count
    fold = (time.perf_counter() - start) * 1e3
    hand.merge(own_data)  # decodes the folded file
    folded = _median_ms(lambda: hand.merge(own_data), repeats)
    return {
        "exited": count,
        "exited_first_merge_ms": first,
        "exited_merge_ms": unfolded,
        "fold_ms": fold,
        "folded_merge_ms": folded,
    }


def measure(series: int, workers: int, repeats: int, exited: int) -> dict[str, Any]:
    from otel_litellm import handover
    from otel_litellm import workers as processes
    from otel_litellm.instrumentor import active
    from otel_litellm.server import render

    scrape = fill_otel(series)
    instrumentation = active()
    assert instrumentation is not None and instrumentation.prometheus_reader is not None
    reader = instrumentation.prometheus_reader
    plain_ms = _median_ms(scrape, repeats)

    directory = Path(tempfile.mkdtemp(prefix="otel_litellm_bench_"))
    try:
        me = processes.process(os.getpid())
        assert me is not None
        hand = handover.HandOver(directory, me, reader.collect_data)
        write_ms = _median_ms(hand.write, repeats)
        own = directory / (me.name + handover.SUFFIX)
        size = own.stat().st_size
        peers = [directory / f"{4_000_000 + i}-1{handover.SUFFIX}" for i in range(workers - 1)]

        def touch_peers() -> None:
            for path in peers:
                shutil.copyfile(own, path)
            hand._decoded.clear()  # every peer wrote since the last scrape

        own_data = reader.collect_data()
        assert own_data is not None

        def merge_once() -> None:
            touch_peers()
            start = time.perf_counter()
            hand.merge(own_data)
            merge_times.append((time.perf_counter() - start) * 1e3)

        merge_times: list[float] = []
        for _ in range(repeats):
            merge_once()
        reader.merge = hand.merge
        scrape_times: list[float] = []
        for _ in range(repeats):
            touch_peers()
            start = time.perf_counter()
            body = render(reader.registry, None)[0]
            scrape_times.append((time.perf_counter() - start) * 1e3)
        exited_figures = measure_exited(hand, own_data, exited, repeats)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return {
        "series": series,
        "workers": workers,
        "write_ms": write_ms,
        "file_bytes": size,
        "merge_ms": statistics.median(merge_times),
        "scrape_plain_ms": plain_ms,
        "scrape_merged_ms": statistics.median(scrape_times),
        "exposition_bytes": len(body),
        "repeats": repeats,
        "load_average": os.getloadavg()[0],
        **exited_figures,
    }


def section(result: dict[str, Any]) -> str:
    peers = result["workers"] - 1
    rows = "\n".join(
        f"| {step} | {ms:,.1f} ms | {size} |"
        for step, ms, size in (
            (
                "write (collect, OTLP encode, atomic replace), timer thread, every interval",
                result["write_ms"],
                f"{result['file_bytes']:,} B per worker file",
            ),
            (f"merge at a scrape ({peers} changed peer files)", result["merge_ms"], ""),
            ("`/metrics` render, one worker alone", result["scrape_plain_ms"], ""),
            (
                "`/metrics` render with the hand-over",
                result["scrape_merged_ms"],
                f"{result['exposition_bytes']:,} B",
            ),
        )
    )
    return f"""{BEGIN}
## 4. Multi-worker hand-over

{result["series"]:,} series (half counter, half 18-bucket histogram children), {result["workers"]}
workers, median of {result["repeats"]} runs (1-minute load average {result["load_average"]:.1f} on
2 cores: other work shared the machine); `python -m benchmarks.handover --series
{result["series"]} --workers {result["workers"]} --exited {result["exited"]} --write-doc`.

| step | time | size |
|---|---|---|
{rows}

Requests pay nothing: the hand-over runs on its own thread and at scrapes. A file
that did not change (an exited worker's) is decoded once and reused.

A server that replaces its workers leaves exited workers' files. With
{result["exited"]} of them (each with every series), a scrape's merge took
{result["exited_first_merge_ms"]:,.0f} ms the first time (every file decoded) and
{result["exited_merge_ms"]:,.0f} ms after; a live worker's hand-over thread folds them
into one file in {result["fold_ms"]:,.0f} ms, once, after which a scrape's merge takes
{result["folded_merge_ms"]:,.0f} ms, whatever the number of exited workers.
{END}
"""


def write_doc(result: dict[str, Any]) -> None:
    text = DOC.read_text()
    block = section(result)
    if BEGIN in text:
        text = re.sub(
            re.escape(BEGIN) + ".*?" + re.escape(END) + "\n", lambda _: block, text, flags=re.S
        )
    else:
        text = text.replace("## How it is measured", block + "\n## How it is measured")
    DOC.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--exited", type=int, default=10)
    parser.add_argument("--write-doc", action="store_true")
    args = parser.parse_args()
    result = measure(args.series, args.workers, args.repeats, args.exited)
    report(result)
    if args.write_doc:
        write_doc(result)


if __name__ == "__main__":
    main()
