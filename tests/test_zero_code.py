"""README's zero-code start-up: `opentelemetry-instrument python app.py` with nothing else
installed gives LiteLLM's names on /metrics."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from otel_litellm.mock_upstream import MockUpstream
from tests.support.proxy import free_port

pytestmark = pytest.mark.slow

# An application that knows nothing of otel_litellm: one LiteLLM call, then its own scrape.
APP = """
import sys, time, urllib.request
import litellm
litellm.completion(model="openai/mock-ok", api_base=sys.argv[1], api_key="sk-up",
                   messages=[{"role": "user", "content": "one two three"}])
deadline = time.monotonic() + 20
while True:
    try:
        body = urllib.request.urlopen(sys.argv[2], timeout=5).read().decode()
        if "litellm_deployment_success_responses_total{" in body or time.monotonic() > deadline:
            break
    except OSError:
        if time.monotonic() > deadline:
            raise
    time.sleep(0.3)
print(body)
"""


def test_opentelemetry_instrument_gives_litellms_names(tmp_path: Path) -> None:
    instrument = Path(sys.executable).with_name("opentelemetry-instrument")
    app = tmp_path / "app.py"
    app.write_text(APP)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env |= {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "OTEL_LITELLM_PROMETHEUS_PORT": str(port)}
    with MockUpstream() as upstream:
        result = subprocess.run(
            [str(instrument), sys.executable, str(app), upstream.base_url,
             f"http://127.0.0.1:{port}/metrics"],
            env=env, capture_output=True, text=True, timeout=180,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    body = result.stdout
    assert "litellm_deployment_success_responses_total{" in body, body[-2000:]
    assert "litellm_input_tokens_metric_total{" in body
    assert "gen_ai_client_operation_duration" not in body and "target_info" not in body
