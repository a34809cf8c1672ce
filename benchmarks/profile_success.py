"""cProfile of otel_litellm's success (or failure) hook on the captured payload.

Prints the functions with the most own time and the most cumulative time, so
the cost of the recording path can be attributed.

    python -m benchmarks.profile_success [--event success|failure] [--naming litellm]
        [--calls 3000] [--top 25]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from benchmarks.common import report
from benchmarks.recording import NAMINGS, hook_loop, make_logger


def profile(naming: str, calls: int, top: int, event: str = "success") -> dict[str, str]:
    step = hook_loop(make_logger("otel_litellm", naming), event)
    step(10)  # series exist before profiling, as in steady state
    profiler = cProfile.Profile()
    profiler.runcall(step, calls)
    tables = {}
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats(order).print_stats(top)
        tables[order] = _trim(out.getvalue())
    return tables


def _trim(text: str) -> str:
    """From pstats' output keep the header line of the table and the rows."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    header = [line.strip() for line in lines[:start] if "function calls" in line]
    return "\n".join(header + [line for line in lines[start:] if line.strip()])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--event", choices=("success", "failure"), default="success")
    parser.add_argument("--naming", choices=NAMINGS, default="litellm")
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    tables = profile(args.naming, args.calls, args.top, args.event)
    for order, table in tables.items():
        print(f"-- sorted by {order} --\n{table}\n")
    report(tables)


if __name__ == "__main__":
    main()
