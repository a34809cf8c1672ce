"""The real LiteLLM proxy, started with our one callback line, scraped on its own /metrics."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from otel_litellm.mock_upstream import MockUpstream
from tests.support.scrape import fetch, parse, value

pytestmark = [pytest.mark.proxy, pytest.mark.slow]
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


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("proxy")
    with MockUpstream() as upstream:
        config = Path(workdir, "config.yaml")
        config.write_text(proxy_config(upstream.base_url))
        port = free_port()
        env = {
            **os.environ,
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "LITELLM_MASTER_KEY": MASTER_KEY,
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


def post(base: str, body: dict[str, object]) -> int:
    request = urllib.request.Request(
        base + "/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {MASTER_KEY}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_proxy_serves_litellm_metrics_for_its_traffic(proxy: str) -> None:
    messages = [{"role": "user", "content": "hello proxy"}]
    statuses = [post(proxy, {"model": "gpt-mock", "messages": messages}) for _ in range(3)]
    statuses.append(post(proxy, {"model": "gpt-stream", "messages": messages, "stream": True}))
    statuses.append(post(proxy, {"model": "gpt-broken", "messages": messages}))
    statuses.append(post(proxy, {"model": "no-such-model", "messages": messages}))
    assert statuses[:4] == [200, 200, 200, 200]
    assert statuses[4] >= 500 and statuses[5] == 400

    deadline = time.monotonic() + 15
    while True:
        found = parse(fetch(proxy + "/metrics"))
        done = value(found, "litellm_proxy_total_requests_metric_total") >= 6
        if done or time.monotonic() > deadline:
            break
        time.sleep(0.3)

    ok = {"requested_model": "gpt-mock", "status_code": "200"}
    assert value(found, "litellm_proxy_total_requests_metric_total", **ok) == 3
    assert (
        value(found, "litellm_proxy_total_requests_metric_total", requested_model="gpt-stream") == 1
    )
    assert (
        value(found, "litellm_proxy_failed_requests_metric_total", requested_model="gpt-broken")
        == 1
    )
    # An unknown model name from a client is bounded to "other", never a new series per name.
    assert value(found, "litellm_proxy_failed_requests_metric_total", requested_model="other") == 1
    assert value(found, "litellm_proxy_failed_requests_metric_total", exception_status="400") == 1
    assert (
        value(found, "litellm_llm_api_time_to_first_token_metric_count", model_group="gpt-stream")
        == 1
    )
    assert value(found, "litellm_input_tokens_metric_total", requested_model="gpt-mock") == 6
    assert value(found, "litellm_deployment_state", litellm_model_name="mock-ok") == 0
    assert value(found, "litellm_deployment_state", litellm_model_name="mock-error-500") == 1
    body = fetch(proxy + "/metrics")
    assert MASTER_KEY not in body and "hello proxy" not in body
    assert "otel_scope_name" not in body and "target_info" not in body
