"""One fixed LiteLLM Router workload, recorded by either LiteLLM or otel_litellm.

Usage: ``python tests/parity_workload.py <litellm|otel> <upstream_base_url>``

Runs the same calls against the mock upstream and prints the Prometheus
exposition text of the chosen recorder to stdout:

* ``litellm``: LiteLLM's own ``PrometheusLogger`` (``litellm.callbacks =
  ["prometheus"]``), scraped from prometheus_client's default registry.
* ``otel``: ``otel_litellm.instrument(prometheus_port=0)``, scraped over HTTP.

With ``PARITY_WAIT_FOR_GO=1`` the script sets everything up, then waits for a line
on stdin before sending any traffic: the test starts both runs at once (imports
take most of the time) but lets them call the upstream one after the other.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import urllib.request
from typing import Any

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ["PROMETHEUS_DISABLE_CREATED_SERIES"] = "true"

import litellm

PROMPT = [{"role": "user", "content": "count these five words"}]  # 4 words -> 4 prompt tokens

# LiteLLM key hashes (64 hex characters): both loggers pass them through unchanged.
IDENTITIES = [
    {
        "user_api_key_hash": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1",
        "user_api_key_alias": "alias-1",
        "user_api_key_team_id": "team-1",
        "user_api_key_team_alias": "Team One",
        "user_api_key_user_id": "user-1",
    },
    {
        "user_api_key_hash": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2",
        "user_api_key_alias": "alias-2",
        "user_api_key_team_id": "team-2",
        "user_api_key_team_alias": "Team Two",
        "user_api_key_user_id": "user-2",
    },
]


def model_list(base_url: str) -> list[dict[str, Any]]:
    def deployment(group: str, model: str, model_id: str) -> dict[str, Any]:
        return {
            "model_name": group,
            "litellm_params": {
                "model": f"openai/{model}",
                "api_base": base_url,
                "api_key": "sk-upstream",
                # Custom prices, so spend is non-zero and exact.
                "input_cost_per_token": 0.5,
                "output_cost_per_token": 0.25,
            },
            "model_info": {"id": model_id},
        }

    return [
        deployment("ok-group", "mock-ok", "dep-ok"),
        deployment("stream-group", "mock-ok-chunkdelay-5", "dep-stream"),
        deployment("cached-group", "mock-ok-cached-reasoning", "dep-cached"),
        deployment("fail-group", "mock-error-500", "dep-fail"),
        deployment("broken-group", "mock-error-500-b", "dep-broken"),
        deployment("limited-group", "mock-error-429", "dep-limited"),
    ]


async def call(router: Any, group: str, identity: dict[str, str], **extra: Any) -> None:
    try:
        response = await router.acompletion(
            model=group, messages=PROMPT, metadata=dict(identity), **extra
        )
        if extra.get("stream"):
            async for _ in response:
                pass
    except Exception as error:  # failures are part of the workload
        print(f"expected failure for {group}: {type(error).__name__}", file=sys.stderr)
    await asyncio.sleep(0.05)


async def workload(base_url: str) -> None:
    router = litellm.Router(
        model_list=model_list(base_url),
        fallbacks=[{"fail-group": ["ok-group"]}],
        num_retries=0,
    )
    first, second = IDENTITIES
    await call(router, "ok-group", first)
    await call(router, "ok-group", first)
    await call(router, "ok-group", second)
    stream_options = {"include_usage": True}
    await call(router, "stream-group", first, stream=True, stream_options=stream_options)
    await call(router, "stream-group", second, stream=True, stream_options=stream_options)
    await call(router, "cached-group", second)
    await call(router, "fail-group", first)  # falls back to ok-group
    await call(router, "broken-group", second)
    await call(router, "limited-group", first)
    await asyncio.sleep(0.7)  # success/failure logging runs as tasks after each call


def scrape_litellm() -> str:
    from prometheus_client import REGISTRY, generate_latest

    return generate_latest(REGISTRY).decode()


def scrape_url(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return str(response.read().decode())


def wait_for_go() -> None:
    if os.environ.get("PARITY_WAIT_FOR_GO") == "1":
        sys.stdin.readline()


def main(argv: list[str]) -> int:
    mode, base_url = argv
    if mode == "litellm":
        litellm.callbacks = ["prometheus"]
        wait_for_go()
        asyncio.run(workload(base_url))
        text = scrape_litellm()
    elif mode == "otel":
        import otel_litellm

        handle = otel_litellm.instrument(prometheus_port=0)
        wait_for_go()
        asyncio.run(workload(base_url))
        time.sleep(0.2)
        assert handle.metrics_url is not None
        text = scrape_url(handle.metrics_url)
        otel_litellm.uninstrument()
    else:
        print(f"unknown mode {mode!r}", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
