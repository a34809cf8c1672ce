"""The real LiteLLM proxy as a process on 127.0.0.1, with otel_litellm's callback line."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from otel_litellm.mock_upstream import MockUpstream
from tests.support.scrape import fetch

MASTER_KEY = "sk-master-test-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def proxy_config(api_base: str) -> str:
    return f"""
model_list:
  - model_name: gpt-mock
    litellm_params: {{model: openai/mock-ok, api_base: "{api_base}", api_key: sk-up}}
  - model_name: gpt-stream
    litellm_params: {{model: openai/mock-ok-chunkdelay-10, api_base: "{api_base}", api_key: sk-up}}
  - model_name: gpt-broken
    litellm_params: {{model: openai/mock-error-500, api_base: "{api_base}", api_key: sk-up}}
litellm_settings:
  callbacks: ["otel_litellm.proxy.callback"]
  require_auth_for_metrics_endpoint: false
  num_retries: 0
"""


@contextlib.contextmanager
def running_proxy(
    workdir: Path,
    extra_env: Mapping[str, str] | None = None,
    config_for: Callable[[str], str] = proxy_config,
) -> Iterator[str]:
    """Start the proxy against a fresh mock upstream; yields its base URL.

    ``config_for``: the config.yaml text for the upstream's base URL."""
    with MockUpstream() as upstream:
        config = Path(workdir, "config.yaml")
        config.write_text(config_for(upstream.base_url))
        port = free_port()
        env = {
            **os.environ,
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "LITELLM_MASTER_KEY": MASTER_KEY,
            **(extra_env or {}),
        }
        log = open(Path(workdir, "proxy.log"), "wb")  # noqa: SIM115 - closed below
        process = subprocess.Popen(
            [sys.executable, "-m", "litellm.proxy.proxy_cli", "--config", str(config),
             "--host", "127.0.0.1", "--port", str(port)],
            cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    fetch(base + "/health/liveliness")
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(Path(workdir, "proxy.log").read_text()[-3000:]) from None
                    time.sleep(0.5)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
            log.close()


def post(base: str, body: dict[str, object], key: str = MASTER_KEY) -> int:
    request = urllib.request.Request(
        base + "/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
