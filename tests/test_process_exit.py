"""Whole-process behaviour: exiting without ``uninstrument()``, and zero-code start-up."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from otel_litellm.mock_upstream import MockUpstream
from otel_litellm.setup import SHUTDOWN_TIMEOUT_MS
from tests.support.collector import free_ports
from tests.test_reliability_outage import silent_endpoint

REPO = Path(__file__).resolve().parents[1]


def _env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "PYTHONPATH": str(REPO),
        **extra,
    }


def test_exit_without_uninstrument_is_bounded_by_a_silent_otlp_endpoint() -> None:
    (port,) = free_ports(1)
    script = textwrap.dedent(
        """
        import atexit, time
        # Registered first, so it runs after every other exit hook, ours included.
        atexit.register(lambda: print(f"exit hooks took {time.monotonic() - done:.2f}"))
        import otel_litellm
        from tests.support.payloads import success_kwargs
        handle = otel_litellm.instrument(exporters=("otlp",), otlp_protocol="http/protobuf")
        for _ in range(10):
            handle.callback.record_success(success_kwargs())
        done = time.monotonic()
        """
    )
    with silent_endpoint(port):
        done = subprocess.run(
            [sys.executable, "-c", script],
            cwd=REPO,
            env=_env(OTEL_EXPORTER_OTLP_METRICS_ENDPOINT=f"http://127.0.0.1:{port}/v1/metrics"),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    took = float(done.stdout.split("exit hooks took ")[1])
    print(f"exit hooks without uninstrument against a silent endpoint: {took:.2f} s")
    # The SDK's own exit hook would wait its 30 s default for the final export.
    assert took < SHUTDOWN_TIMEOUT_MS / 1000 + 2


@pytest.mark.skipif(shutil.which("opentelemetry-instrument") is None, reason="no zero-code CLI")
def test_zero_code_start_up_exports_litellm_names() -> None:
    (port,) = free_ports(1)
    script = textwrap.dedent(
        """
        import asyncio, sys, urllib.request
        import litellm

        async def main():
            await litellm.acompletion(
                model="openai/mock-ok", api_base=sys.argv[1], api_key="sk-upstream",
                messages=[{"role": "user", "content": "hello there"}],
            )
            await asyncio.sleep(0.5)

        asyncio.run(main())
        print(urllib.request.urlopen(sys.argv[2], timeout=10).read().decode())
        """
    )
    with MockUpstream() as upstream:
        done = subprocess.run(
            ["opentelemetry-instrument", sys.executable, "-c", script,
             upstream.base_url, f"http://127.0.0.1:{port}/metrics"],
            cwd=REPO,
            env=_env(OTEL_LITELLM_PROMETHEUS_PORT=str(port), OTEL_TRACES_EXPORTER="none",
                     OTEL_LOGS_EXPORTER="none"),
            capture_output=True, text=True, timeout=180, check=False,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "litellm_proxy_total_requests_metric_total{" in done.stdout
    assert "litellm_request_total_latency_metric_bucket{" in done.stdout
    assert "gen_ai_client_operation_duration" not in done.stdout
    assert "target_info" not in done.stdout
