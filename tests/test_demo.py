"""README's first command: `otel-litellm demo`, run as a user runs it, scraped while it serves."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from tests.support.proxy import free_port
from tests.support.scrape import Sample, fetch, parse, value

pytestmark = pytest.mark.slow


def demo(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "otel_litellm.cli", "demo", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"},
    )


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[list[str], list[Sample], str]]:
    port = free_port()
    process = demo("--rounds", "6", "--port", str(port), "--serve", "60")
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 120
    try:
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("serving ") or time.monotonic() > deadline:
                break
        assert lines and lines[-1].startswith("serving "), "\n".join(lines)
        found = parse(fetch(f"http://127.0.0.1:{port}/metrics"))
    finally:
        process.send_signal(signal.SIGINT)
        rest, err = process.communicate(timeout=30)
    lines += rest.splitlines()
    assert process.returncode == 0, err[-3000:]
    yield lines, found, err


def test_demo_records_every_kind_of_traffic(
    served: tuple[list[str], list[Sample], str],
) -> None:
    lines, found, _ = served
    progress = next(line for line in lines if line.startswith("[   6/6]"))
    # Every call did what it was meant to: no "kind:SomeError" entries.
    assert progress.split()[2:] == [
        "cached=6",
        "fallback=6",
        "ok=6",
        "rate_limited=2",
        "stream=6",
    ], progress
    assert value(found, "litellm_cache_hits_metric_total") == 6
    assert value(found, "litellm_deployment_successful_fallbacks_total") == 6
    statuses = {"500": 6, "429": 2}
    for status, count in statuses.items():
        assert (
            value(found, "litellm_deployment_failure_responses_total", exception_status=status)
            == count
        )
    assert value(found, "litellm_remaining_requests_metric", model_group="gpt-demo") > 0


def test_demo_labels_each_call_with_its_own_group(
    served: tuple[list[str], list[Sample], str],
) -> None:
    _, found, _ = served
    # gpt-limited always answers 429: a success under it means another call's labels.
    for sample in found:
        if sample.name == "litellm_deployment_success_responses_total":
            assert sample.labels["model_group"] != "gpt-limited", sample
            assert sample.labels["litellm_model_name"] != "mock-error-429", sample
    ttft = {
        sample.labels.get("model_group")
        for sample in found
        if sample.name == "litellm_llm_api_time_to_first_token_metric_count"
    }
    assert ttft == {"gpt-demo-stream"}


def test_demo_output_is_its_own_progress(served: tuple[list[str], list[Sample], str]) -> None:
    lines, _, err = served
    # LiteLLM logs every provoked 500 and 429; quiet unless --verbose.
    assert not any("LiteLLM" in line for line in lines), lines
    assert "LiteLLM" not in err, err[-2000:]
    assert len(lines) < 20, lines


def test_busy_port_is_one_line_naming_the_option() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = demo("--rounds", "1", "--port", str(port))
        _, err = process.communicate(timeout=60)
    assert process.returncode == 2
    assert err.strip().count("\n") == 0 and "--port" in err and str(port) in err, err
    assert "Traceback" not in err
