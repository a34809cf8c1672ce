"""The demo: LiteLLM driven against the local mock upstream, metrics on /metrics.

A Router with three model groups exercises every path a dashboard shows:
success, streaming (time to first token), upstream 500s and 429s with rate-limit
headers, a fallback from a failing group, and LiteLLM's cache.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

IDENTITIES = (
    {
        "user_api_key_hash": "demo-key-hash-1",
        "user_api_key_alias": "web-app",
        "user_api_key_team_id": "team-search",
        "user_api_key_team_alias": "Search",
        "user_api_key_user_id": "alice",
    },
    {
        "user_api_key_hash": "demo-key-hash-2",
        "user_api_key_alias": "batch-jobs",
        "user_api_key_team_id": "team-ml",
        "user_api_key_team_alias": "ML Platform",
        "user_api_key_user_id": "bob",
    },
)


def router_config(api_base: str) -> dict[str, Any]:
    def deployment(group: str, model: str, rpm: int | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": f"openai/{model}",
            "api_base": api_base,
            "api_key": "sk-mock",
        }
        if rpm is not None:
            params["rpm"] = rpm
        return {"model_name": group, "litellm_params": params}

    return {
        "model_list": [
            deployment("gpt-demo", "mock-ok", rpm=600),
            deployment("gpt-demo-stream", "mock-ok-chunkdelay-15"),
            deployment("gpt-flaky", "mock-error-500"),
            deployment("gpt-limited", "mock-error-429"),
        ],
        "fallbacks": [{"gpt-flaky": ["gpt-demo"]}],
        "num_retries": 0,
        "allowed_fails": 1000,
    }


@dataclass
class Outcomes:
    counts: Counter[str]

    def line(self) -> str:
        return "  ".join(f"{key}={value}" for key, value in sorted(self.counts.items()))


async def _one_round(router: Any, index: int, outcomes: Outcomes) -> None:
    metadata = dict(IDENTITIES[index % len(IDENTITIES)])
    messages = [{"role": "user", "content": f"demo question number {index % 5}"}]

    async def attempt(label: str, call: Callable[[], Any]) -> None:
        try:
            result = await call()
            if hasattr(result, "__aiter__"):
                async for _ in result:
                    pass
            outcomes.counts[label] += 1
        except Exception as error:
            outcomes.counts[f"{label}:{type(error).__name__}"] += 1

    await attempt("ok", lambda: router.acompletion("gpt-demo", messages, metadata=metadata))
    await attempt(
        "stream",
        lambda: router.acompletion("gpt-demo-stream", messages, stream=True, metadata=metadata),
    )
    await attempt("fallback", lambda: router.acompletion("gpt-flaky", messages, metadata=metadata))
    await attempt(
        "cached", lambda: router.acompletion("gpt-demo", messages, metadata=metadata, caching=True)
    )
    if index % 3 == 0:
        await attempt(
            "rate_limited", lambda: router.acompletion("gpt-limited", messages, metadata=metadata)
        )


def run_demo(
    port: int = 9464,
    rounds: int = 30,
    serve_seconds: float = 0.0,
    host: str = "127.0.0.1",
    out: Callable[[str], None] = print,
) -> dict[str, int]:
    """Drive the traffic, print progress, serve /metrics; returns the outcome counts."""
    import litellm
    from litellm import Router
    from litellm.caching.caching import Cache

    import otel_litellm
    from otel_litellm.mock_upstream import MockUpstream

    litellm.suppress_debug_info = True
    litellm.cache = Cache(type="local")
    handle = otel_litellm.instrument(prometheus_port=port, prometheus_host=host)
    outcomes = Outcomes(Counter())
    with MockUpstream() as upstream:
        router = Router(**router_config(upstream.base_url))
        out(f"mock upstream on {upstream.base_url}; metrics on {handle.metrics_url}")

        async def drive() -> None:
            for index in range(rounds):
                await _one_round(router, index, outcomes)
                if (index + 1) % 10 == 0 or index + 1 == rounds:
                    out(f"[{index + 1:>4}/{rounds}] {outcomes.line()}")
            await asyncio.sleep(0.5)  # LiteLLM logs from tasks: let them finish

        asyncio.run(drive())
    out(f"done. Scrape it: curl -s {handle.metrics_url} | grep ^litellm_proxy_total_requests")
    if serve_seconds > 0:
        out(f"serving {handle.metrics_url} for {serve_seconds:.0f} s (Ctrl-C to stop)")
        with contextlib.suppress(KeyboardInterrupt):
            time.sleep(serve_seconds)
    otel_litellm.uninstrument()
    return dict(outcomes.counts)
