"""docs/benchmarks.md from the results ``benchmarks.run`` collected."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from benchmarks.common import REPO_ROOT

DOC = REPO_ROOT / "docs" / "benchmarks.md"
BASELINE, OURS_PROMETHEUS = "no metrics", "otel_litellm, Prometheus reader"

METHOD = """\
## How it is measured

* **Payloads**: `benchmarks/capture.py` drives a LiteLLM `Router` against the local mock
  upstream (`otel_litellm.mock_upstream`) with a capturing `CustomLogger`, and pickles the
  four arguments of each `async_log_success_event` / `async_log_failure_event` call
  (non-streaming success, streaming success, upstream 500) into `benchmarks/data/`
  (regenerated each run, not committed). The requests carry the proxy's
  `user_api_key_*` metadata, so label sets are proxy-sized.
* **Recording**: one fresh process per event and naming, holding LiteLLM's
  `PrometheusLogger()` and `otel_litellm.instrument(prometheus_port=None, naming=...)`'s
  `callback`. The hook LiteLLM awaits is awaited in a loop on one event loop, each call
  with its own copy of the payload dict and call id (steady state: the series exist).
  The two loggers, and the same loop around a hook that does nothing, run in turns:
  14 rounds (6 with `--quick`) of ~0.3 s each, the order swapped every round; the empty
  loop's cost is taken off both. CPU time (`time.process_time`) per call, median over
  rounds; the ratio is the median of the rounds' ratios, so a host that speeds up or
  slows down during the run moves both sides of each ratio alike.
* **Scrape**: one fresh process per cell. *N* series = *N*/2 children of
  `litellm_proxy_total_requests_metric` (counter) + *N*/2 of
  `litellm_request_total_latency_metric` (histogram, LiteLLM's 18 buckets), every label set,
  `team` distinct per series. LiteLLM: its `PrometheusLogger` metric objects and
  prometheus_client's `generate_latest`; ours: recordings through
  `instrument()`'s instruments and the reader's registry rendered as `GET /metrics` does.
  Median of 5 scrapes (1 at 100,000). Memory per series: RSS growth while the series
  were recorded, before any scrape, divided by *N*.
* **Proxy**: `litellm.proxy.proxy_cli` (one worker, master key, no database) in front of the
  mock upstream (own process); an aiohttp client in the benchmark process keeps 8
  non-streaming chat requests in flight for a fixed time after a warm-up. OTLP goes over
  http/protobuf every second to `benchmarks/otlp_sink.py`, which discards it. Client,
  proxy and upstream share the machine's cores, so absolute figures are the machine's, and
  differences of a few percent are within run-to-run noise.
* **Scrapes under load**: the otel_litellm proxy with
  `OTEL_LITELLM_CUSTOM_METADATA_LABELS=metadata.bench_id` is filled with requests carrying
  distinct `bench_id`s until `/metrics` holds at least 10,000 series (histograms counted
  once), then measured without and with a `GET /metrics` every second.
"""


def _us(value: float) -> str:
    return f"{value:,.1f} µs"


def _ms(value: float) -> str:
    return f"{value:,.1f} ms"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


def _verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def _recording(section: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    costs = section["costs"]
    rows = [
        [event, f"`{naming}`", _us(cell["prometheus"]["cpu_us"]),
         _us(cell["otel_litellm"]["cpu_us"]), f"{cell['ratio']:.1f}x"]
        for event, cells in costs.items()
        for naming, cell in cells.items()
    ]  # fmt: skip
    lines = ["## 1. Per-request recording cost", ""]
    lines += _table(["event", "naming", "PrometheusLogger", "otel_litellm", "ratio"], rows)
    lines += [
        "CPU per hook call, the two measured in turns in one process; ratio = the median over",
        "rounds of PrometheusLogger ÷ otel_litellm (target ≥ 20x, issue 13).",
        "",
        "### Profile of otel_litellm's success hook (`litellm` naming)",
        "",
        "cProfile inflates cheap calls; use it for shares, not absolute times.",
        "",
        "```",
        section["profile"]["tottime"],
        "```",
        "",
        "```",
        section["profile"]["cumulative"],
        "```",
        "",
    ]
    targets = []
    for event, cells in costs.items():
        worst = min(cell["ratio"] for cell in cells.values())
        targets.append(
            [
                f"recording ≤ 1/20 of PrometheusLogger ({event})",
                f"{worst:.1f}x (worst naming)",
                _verdict(worst >= 20),
            ]
        )
    return lines, targets


def _scrape(rows_in: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    rows = []
    targets = []
    for row in rows_in:
        ours, theirs = row["otel_litellm"], row["prometheus"]
        rows.append(
            [
                f"{row['series']:,}",
                f"{_ms(ours['scrape_ms'])} ({_ms(ours['scrape_cpu_ms'])} CPU)",
                f"{_ms(theirs['scrape_ms'])} ({_ms(theirs['scrape_cpu_ms'])} CPU)",
                f"{ours['scrape_ms'] / theirs['scrape_ms']:.2f}",
                f"{ours['bytes'] / 1e6:.1f} / {theirs['bytes'] / 1e6:.1f} MB",
                f"{ours['bytes_per_series']:,.0f} / {theirs['bytes_per_series']:,.0f} B",
            ]
        )
        if row["series"] == 10_000:
            targets.append(
                [
                    "scrape of 10,000 series no slower than LiteLLM's registry",
                    f"{_ms(ours['scrape_ms'])} vs {_ms(theirs['scrape_ms'])}",
                    _verdict(ours["scrape_ms"] <= theirs["scrape_ms"]),
                ]
            )
    lines = ["## 2. Scrape cost and memory", ""]
    lines += _table(
        [
            "series",
            "otel_litellm scrape",
            "LiteLLM registry scrape",
            "ours ÷ LiteLLM",
            "exposition (ours / LiteLLM)",
            "memory per series (ours / LiteLLM)",
        ],
        rows,
    )
    return lines, targets


def _proxy(section: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    load = section["load"]
    base = load[BASELINE]["rps"]
    rows = [
        [
            name,
            f"{figures['rps']:.1f}",
            f"{(figures['rps'] / base - 1) * 100:+.1f} %",
            _ms(figures["p50_ms"]),
            _ms(figures["p99_ms"]),
            str(figures["errors"]),
        ]
        for name, figures in load.items()
    ]
    lines = [
        "## 3. Proxy end to end",
        "",
        f"{section['concurrency']} requests in flight, {section['seconds']:.0f} s per variant.",
        "",
    ]
    lines += _table(["variant", "req/s", "vs no metrics", "p50", "p99", "errors"], rows)
    sink = section.get("otlp_sink", {})
    lines += [
        f"The OTLP sink received {sink.get('exports', 0)} exports, {sink.get('bytes', 0):,} bytes.",
        "",
    ]
    drop = 1 - load[OURS_PROMETHEUS]["rps"] / base
    targets = [
        [
            "proxy throughput with otel_litellm within 3 % of no metrics",
            f"{-drop * 100:+.1f} %",
            _verdict(drop <= 0.03),
        ]
    ]
    scrape = section.get("scrape")
    if scrape:
        without, with_ = scrape["without"], scrape["with"]
        lines += [
            f"### p99 while `/metrics` is scraped every second ({scrape['series']:,} series)",
            "",
        ]
        lines += _table(
            ["", "req/s", "p50", "p99", "scrapes", "scrape p50", "scrape max"],
            [
                ["no scrapes", f"{without['rps']:.1f}", _ms(without["p50_ms"]),
                 _ms(without["p99_ms"]), "0", "", ""],
                ["scrape every 1 s", f"{with_['rps']:.1f}", _ms(with_["p50_ms"]),
                 _ms(with_["p99_ms"]), str(with_.get("scrapes", 0)),
                 _ms(with_.get("scrape_p50_ms", 0.0)), _ms(with_.get("scrape_max_ms", 0.0))],
            ],
        )  # fmt: skip
        growth = with_["p99_ms"] / without["p99_ms"] - 1
        targets.append(
            [
                "p99 during scrapes within 5 % of p99 without",
                f"{growth * 100:+.1f} %",
                _verdict(growth <= 0.05),
            ]
        )
    return lines, targets


def render(results: dict[str, Any], command: str) -> str:
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmarks",
        "",
        "Generated by `scripts/bench.sh` (`python -m benchmarks.run`); do not edit by hand.",
        "",
        f"Command: `{command}` — {when}, {results['seconds']:.0f} s"
        + (" (quick mode)" if results.get("quick") else ""),
        "",
    ]
    lines += _table(["machine / package", ""], [[k, v] for k, v in results["machine"].items()])
    body: list[str] = []
    targets: list[list[str]] = []
    for key, section in (("recording", _recording), ("scrape", _scrape), ("proxy", _proxy)):
        if key in results:
            part, met = section(results[key])
            body += part
            targets += met
    lines += ["## Targets", ""]
    lines += _table(["target", "measured", ""], targets)
    return "\n".join(lines + body + [METHOD])
