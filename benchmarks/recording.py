"""Per-request recording cost of one LiteLLM logging hook, on a captured payload:
LiteLLM's ``PrometheusLogger`` against otel_litellm, in one process.

The two are measured in turns (a batch of one, a batch of the other, the order swapped
each round), and the ratio is the median of the rounds' ratios: on a shared machine the
speed of the host drifts by a third within seconds, and a ratio of two separate runs
would measure the drift.  One fresh process per naming and event: LiteLLM's
``PrometheusLogger`` registers in prometheus_client's global registry, so it can exist
once per process, and ``instrument()`` is configured once.

    python -m benchmarks.recording --naming litellm --event success
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
from collections.abc import Callable
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from benchmarks.capture import EVENTS, load
from benchmarks.common import Budget, paired_cost, report

CALL_POOL = 20_000
IMPLEMENTATIONS = ("prometheus", "otel_litellm")  # ratio: the first over the second
NAMINGS = ("litellm", "semconv", "both")


class NoLogger:
    """Hooks that do nothing: what the measuring loop itself costs, to subtract."""

    async def async_log_success_event(self, *args: Any) -> None:
        return None

    async def async_log_failure_event(self, *args: Any) -> None:
        return None


def make_logger(impl: str, naming: str) -> Any:
    """The ``CustomLogger`` LiteLLM would call, set up as a user would."""
    if impl == "none":
        return NoLogger()
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
    # Each call its own dict and call id, as each LiteLLM call has: otel_litellm counts a
    # failure once per attempt (issue 14.5), so a replay must be a new call.  Call ids are
    # reused after more calls than otel_litellm remembers attempts for.
    call_ids = itertools.cycle([f"bench-{n}" for n in range(CALL_POOL)])

    async def many(count: int) -> None:
        for _ in range(count):
            await hook(dict(kwargs, litellm_call_id=next(call_ids)), *rest)

    def step(count: int) -> None:
        loop.run_until_complete(many(count))

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--naming", choices=NAMINGS, default="litellm")
    parser.add_argument("--event", choices=EVENTS, required=True)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    steps = {
        impl: hook_loop(make_logger(impl, args.naming), args.event) for impl in IMPLEMENTATIONS
    }
    loop_only = hook_loop(NoLogger(), args.event)
    report(paired_cost(steps, Budget(args.quick), baseline=loop_only))


if __name__ == "__main__":
    main()
