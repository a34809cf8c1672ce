"""The demo: LiteLLM driven against the local mock upstream, metrics on /metrics.

A Router with three model groups exercises every path a dashboard shows:
success, streaming (time to first token), upstream 500s and 429s with rate-limit
headers, a fallback from a failing group, and LiteLLM's cache.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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


LITELLM_LOGGERS = ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy")

# What the scrape should show for each kind of traffic: (what, family, labels).
RECORDED: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("successes", "litellm_deployment_success_responses_total", {}),
    ("upstream 500s", "litellm_deployment_failure_responses_total", {"exception_status": "500"}),
    ("upstream 429s", "litellm_deployment_failure_responses_total", {"exception_status": "429"}),
    ("fallbacks", "litellm_deployment_successful_fallbacks_total", {}),
    ("streams (time to first token)", "litellm_llm_api_time_to_first_token_metric_count", {}),
    ("cache hits", "litellm_cache_hits_metric_total", {}),
    ("rate-limit headroom series", "litellm_remaining_requests_metric", {}),
)


# Calls that are meant to fail, and how.
EXPECTED_ERRORS = {"rate_limited": "RateLimitError"}


class DemoError(Exception):
    """A one-line reason the demo cannot run (shown without a traceback)."""


@dataclass
class Outcomes:
    counts: Counter[str]

    def line(self) -> str:
        return "  ".join(f"{key}={value}" for key, value in sorted(self.counts.items()))


def _is_cache_hit(result: Any) -> bool:
    return bool(getattr(result, "_hidden_params", {}).get("cache_hit"))


async def _one_round(router: Any, index: int, outcomes: Outcomes) -> None:
    identity = IDENTITIES[index % len(IDENTITIES)]
    messages = [{"role": "user", "content": f"demo question number {index % 5}"}]

    async def attempt(label: str, model: str, **kwargs: Any) -> None:
        # A fresh metadata dict per call: LiteLLM's Router writes the chosen deployment
        # into it, and a shared one would carry one call's labels into the next.
        try:
            result = await router.acompletion(model, messages, metadata=dict(identity), **kwargs)
            if hasattr(result, "__aiter__"):
                async for _ in result:
                    pass
            outcomes.counts[label] += 1
        except Exception as error:
            name = type(error).__name__
            outcomes.counts[label if EXPECTED_ERRORS.get(label) == name else f"{label}:{name}"] += 1
        else:
            if label == "cached" and not _is_cache_hit(result):
                outcomes.counts["cached"] -= 1
                outcomes.counts["cache_miss"] += 1

    await attempt("ok", "gpt-demo")
    await attempt("stream", "gpt-demo-stream", stream=True)
    await attempt("fallback", "gpt-flaky")
    await attempt("cached", "gpt-demo", caching=True)
    if index % 3 == 0:
        await attempt("rate_limited", "gpt-limited")


def _recorded(url: str) -> list[str]:
    """One line per kind of traffic: how much of it the scrape shows."""
    import urllib.request

    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode()
    samples = [s for f in text_string_to_metric_families(text) for s in f.samples]
    lines = []
    for what, name, labels in RECORDED:
        matching = [
            s
            for s in samples
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
        ]
        shown = len(matching) if what.endswith("series") else int(sum(s.value for s in matching))
        lines.append(f"  {what:<31} {shown}")
    return lines


def _check_port(host: str, port: int) -> None:
    if port == 0:
        return
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError as error:
            raise DemoError(
                f"{host}:{port} is not free ({error.strerror}); "
                "choose another with --port N (0: any free port)"
            ) from None


def _quiet_litellm(verbose: bool) -> None:
    # The demo provokes 500s and 429s on purpose; LiteLLM logs each one.  Its loggers
    # have their own handler, so they never propagate (no second copy via the root).
    for name in LITELLM_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.INFO if verbose else logging.CRITICAL)
        logger.propagate = False


def run_demo(
    port: int = 9464,
    rounds: int = 30,
    serve_seconds: float = 0.0,
    host: str = "127.0.0.1",
    out: Callable[[str], None] = print,
    verbose: bool = False,
) -> dict[str, int]:
    """Drive the traffic, print progress, serve /metrics; returns the outcome counts.

    Raises :class:`DemoError` when the metrics port is taken.
    """
    _check_port(host, port)
    import litellm
    from litellm import Router
    from litellm.caching.caching import Cache

    import otel_litellm
    from otel_litellm.mock_upstream import MockUpstream

    _quiet_litellm(verbose)
    litellm.suppress_debug_info = True
    litellm.cache = Cache(type="local")
    try:
        handle = otel_litellm.instrument(prometheus_port=port, prometheus_host=host)
    except OSError as error:
        raise DemoError(f"cannot serve metrics on {host}:{port} ({error}); try --port N") from None
    url = handle.metrics_url
    if url is None:
        otel_litellm.uninstrument()
        raise DemoError(f"no metrics endpoint on {host}:{port}; choose another with --port N")
    outcomes = Outcomes(Counter())
    try:
        with MockUpstream() as upstream:
            router = Router(**router_config(upstream.base_url))
            out(f"mock upstream on {upstream.base_url}; metrics on {url}")

            async def drive() -> None:
                for index in range(rounds):
                    await _one_round(router, index, outcomes)
                    if (index + 1) % 10 == 0 or index + 1 == rounds:
                        out(f"[{index + 1:>4}/{rounds}] {outcomes.line()}")
                await asyncio.sleep(0.5)  # LiteLLM logs from tasks: let them finish

            asyncio.run(drive())
        out(f"recorded (from {url}):")
        for line in _recorded(url):
            out(line)
        out(f"scrape it: curl -s {url} | grep ^litellm_")
        if serve_seconds > 0:
            out(f"serving {url} for {serve_seconds:.0f} s (Ctrl-C to stop)")
            with contextlib.suppress(KeyboardInterrupt):
                time.sleep(serve_seconds)
    finally:
        otel_litellm.uninstrument()
    return dict(outcomes.counts)
