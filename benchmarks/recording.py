"""Per-request recording cost of one LiteLLM logging hook, on a captured payload.

One fresh process per measurement: LiteLLM's ``PrometheusLogger`` registers its
metrics in prometheus_client's global registry, so it can exist once per process.

    python -m benchmarks.recording --impl otel_litellm --naming litellm --event success
    python -m benchmarks.recording --impl prometheus --event failure
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Callable
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from benchmarks.capture import EVENTS, load
from benchmarks.common import Budget, median_cost, report

IMPLEMENTATIONS = ("otel_litellm", "prometheus")
NAMINGS = ("litellm", "semconv", "both")


def make_logger(impl: str, naming: str) -> Any:
    """The ``CustomLogger`` LiteLLM would call, set up as a user would."""
    if impl == "prometheus":
        from litellm.integrations.prometheus import PrometheusLogger

        return PrometheusLogger()
    from otel_litellm import instrument

    # The Prometheus reader exists (as in production) but nothing scrapes it here.
    return instrument(prometheus_port=None, naming=naming).callback


def hook_loop(logger: Any, event: str) -> Callable[[int], None]:
    """``step(n)``: await the hook LiteLLM awaits for ``event``, n times, on one event loop."""
    call = load()[event]
    hook = logger.async_log_failure_event if event == "failure" else logger.async_log_success_event
    args = (call["kwargs"], call["response_obj"], call["start_time"], call["end_time"])
    loop = asyncio.new_event_loop()

    kwargs, rest = args[0], args[1:]

    async def many(count: int) -> None:
        # Each call its own dict and call id, as each LiteLLM call has: otel_litellm
        # counts a failure once per attempt (issue 14.5), so a replay must be a new call.
        for n in range(count):
            await hook(dict(kwargs, litellm_call_id=f"bench-{n}"), *rest)

    def step(count: int) -> None:
        loop.run_until_complete(many(count))

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--impl", choices=IMPLEMENTATIONS, required=True)
    parser.add_argument("--naming", choices=NAMINGS, default="litellm")
    parser.add_argument("--event", choices=EVENTS, required=True)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    step = hook_loop(make_logger(args.impl, args.naming), args.event)
    report(median_cost(step, Budget(args.quick)))


if __name__ == "__main__":
    main()
