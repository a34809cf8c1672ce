"""Shared by the benchmarks: timing loops, child processes, the machine description."""

from __future__ import annotations

import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULT_MARK = "BENCH-RESULT "  # the line a child process prints its JSON result on


@dataclass(frozen=True)
class Budget:
    """How long each measurement runs: ``--quick`` shrinks every loop."""

    quick: bool

    @property
    def repeats(self) -> int:
        return 3 if self.quick else 7

    @property
    def seconds_per_repeat(self) -> float:
        return 0.1 if self.quick else 0.3


def child_env() -> dict[str, str]:
    return {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "PYTHONPATH": str(REPO_ROOT)}


def run_child(module: str, args: Sequence[str], timeout: float = 300) -> Any:
    """Run ``python -m module args`` in a fresh interpreter; return the JSON it reports."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=REPO_ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK) :])
    raise RuntimeError(
        f"{module} {' '.join(args)} exited {done.returncode} without a result:\n"
        f"{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    )


def report(result: Any) -> None:
    """Hand ``result`` to the parent process (see :func:`run_child`)."""
    print(RESULT_MARK + json.dumps(result), flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _calibrated(step: Callable[[int], None], budget: Budget) -> int:
    """Calls of ``step`` that take about ``budget.seconds_per_repeat`` of CPU time."""
    step(5)  # warm: series created, caches filled
    count = 10
    while True:
        cpu0 = time.process_time()
        step(count)
        spent = time.process_time() - cpu0
        if spent >= budget.seconds_per_repeat / 4 or count >= 1_000_000:
            break
        count *= 4
    return max(10, int(count * budget.seconds_per_repeat / max(spent, 1e-6)))


def median_cost(step: Callable[[int], None], budget: Budget) -> dict[str, float]:
    """Median CPU and wall microseconds per call of ``step(n)`` (which makes n calls).

    The call count per repeat is calibrated so one repeat lasts about
    ``budget.seconds_per_repeat`` of CPU time.
    """
    count = _calibrated(step, budget)
    cpu: list[float] = []
    wall: list[float] = []
    for _ in range(budget.repeats):
        cpu0, wall0 = time.process_time(), time.perf_counter()
        step(count)
        cpu.append((time.process_time() - cpu0) / count * 1e6)
        wall.append((time.perf_counter() - wall0) / count * 1e6)
    return {
        "cpu_us": statistics.median(cpu),
        "wall_us": statistics.median(wall),
        "calls": count,
        "repeats": budget.repeats,
    }


def paired_cost(
    steps: dict[str, Callable[[int], None]],
    budget: Budget,
    baseline: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Per ``steps`` entry its median CPU microseconds per call, measured in turns, and
    ``ratio``: the median over rounds of the first entry's cost over the second's.

    ``baseline`` (the same loop around a call that does nothing) is measured in each
    round too, and its cost taken off every entry's: the loop is neither's work.
    """
    runs = {**steps, "baseline": baseline} if baseline is not None else dict(steps)
    counts = {name: _calibrated(step, budget) for name, step in runs.items()}
    cpu: dict[str, list[float]] = {name: [] for name in runs}
    order = list(runs)
    for round_ in range(budget.repeats * 2):
        for name in order if round_ % 2 else reversed(order):
            cpu0 = time.process_time()
            runs[name](counts[name])
            cpu[name].append((time.process_time() - cpu0) / counts[name] * 1e6)
    loop = cpu.pop("baseline", [0.0] * len(cpu[order[0]]))
    for name in cpu:
        cpu[name] = [cost - overhead for cost, overhead in zip(cpu[name], loop, strict=True)]
    first, second = list(steps)
    ratios = [a / b for a, b in zip(cpu[first], cpu[second], strict=True)]
    return {
        **{name: {"cpu_us": statistics.median(cpu[name]), "calls": counts[name]} for name in steps},
        "loop_us": statistics.median(loop),
        "ratio": statistics.median(ratios),
        "rounds": len(ratios),
    }


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {
        name: _version(name)
        for name in (
            "litellm",
            "opentelemetry-sdk",
            "opentelemetry-exporter-prometheus",
            "prometheus_client",
            "otel_litellm",
        )
    }
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        **versions,
    }


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"
