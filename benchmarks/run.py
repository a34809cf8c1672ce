"""Run every benchmark, print the figures, write docs/benchmarks.md.

    python -m benchmarks.run [--quick] [--only recording,scrape,proxy] [--no-write]

Each measurement runs in a fresh child process (see the modules it calls).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from benchmarks import capture
from benchmarks.common import machine, run_child
from benchmarks.recording import NAMINGS
from benchmarks.report import DOC, render

SECTIONS = ("recording", "scrape", "proxy")
SERIES = (1_000, 10_000, 100_000)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def recording(quick: bool) -> dict[str, Any]:
    flags = ["--quick"] if quick else []
    costs: dict[str, dict[str, Any]] = {}
    for event in capture.EVENTS:
        costs[event] = {
            naming: run_child(
                "benchmarks.recording", ["--naming", naming, "--event", event, *flags]
            )
            for naming in NAMINGS
        }
        say(
            f"recording {event}: "
            + ", ".join(
                f"{n} {c['prometheus']['cpu_us']:.1f} / {c['otel_litellm']['cpu_us']:.1f} µs "
                f"({c['ratio']:.1f}x)"
                for n, c in costs[event].items()
            )
        )
    profile = run_child("benchmarks.profile_success", ["--calls", "1000" if quick else "3000"])
    return {"costs": costs, "profile": profile}


def scrape(quick: bool) -> list[dict[str, Any]]:
    rows = []
    for series in SERIES[:2] if quick else SERIES:
        scrapes = "5" if series <= 10_000 else "1"
        row: dict[str, Any] = {"series": series}
        for impl in ("otel_litellm", "prometheus"):
            args = ["--impl", impl, "--series", str(series), "--scrapes", scrapes]
            row[impl] = run_child("benchmarks.scrape", args, timeout=600)
        say(
            f"scrape {series}: otel_litellm {row['otel_litellm']['scrape_ms']:.0f} ms, "
            f"LiteLLM {row['prometheus']['scrape_ms']:.0f} ms"
        )
        rows.append(row)
    return rows


def proxy(quick: bool) -> dict[str, Any]:
    args = ["--seconds", "5", "--warmup", "50"] if quick else ["--seconds", "15"]
    result: dict[str, Any] = run_child("benchmarks.proxy_load", args, timeout=900)
    for name, figures in result["load"].items():
        say(f"proxy {name}: {figures['rps']:.1f} req/s, p99 {figures['p99_ms']:.0f} ms")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="shorter loops; no 100k series")
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    parser.add_argument("--no-write", action="store_true", help=f"do not write {DOC}")
    args = parser.parse_args()
    chosen = [name for name in args.only.split(",") if name]
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; choose from {SECTIONS}")
    started = time.monotonic()
    say(f"capturing payloads into {capture.capture()}")
    results: dict[str, Any] = {"machine": machine(), "quick": args.quick}
    runners = {"recording": recording, "scrape": scrape, "proxy": proxy}
    for name in chosen:
        results[name] = runners[name](args.quick)
    results["seconds"] = time.monotonic() - started
    command = "scripts/bench.sh" + "".join(f" {arg}" for arg in sys.argv[1:])
    text = render(results, command)
    print(text)
    if not args.no_write:
        DOC.write_text(text)
        say(f"wrote {DOC}")


if __name__ == "__main__":
    main()
