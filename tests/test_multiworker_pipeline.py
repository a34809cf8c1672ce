"""Through the Collector: a worker killed mid-run loses at most its last export interval.

The real proxy (2 uvicorn workers) pushes OTLP every second to the real Collector,
which the real Prometheus scrapes.  One worker is SIGKILLed mid-run and uvicorn
starts a replacement, whose series are new.  Each series' last value over the run
(``max_over_time``: a worker's counters only grow) summed over every series must
equal what was sent, minus at most what the killed worker answered in its last
export interval (the interval plus the time its collection and export take).
``increase()`` would extrapolate towards the range's ends, by up to a tenth of a
short run, where an exact count is there to be had.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from otel_litellm.zero_start import ZERO_EXPORTS
from tests.support import pipeline
from tests.support.collector import CollectorUnavailable
from tests.support.pipeline import EXPORT_INTERVAL_MS, Send, Stack, chat
from tests.support.prometheus import PrometheusUnavailable

pytestmark = [pytest.mark.pipeline, pytest.mark.proxy, pytest.mark.slow, pytest.mark.timeout(1500)]

INTERVAL = EXPORT_INTERVAL_MS / 1000


def workers_of(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(c) for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


class PatientStack(Stack):
    """Workers get time to import LiteLLM on a busy machine before uvicorn's health
    check restarts them."""

    def proxy_env(self) -> dict[str, str]:
        return {**super().proxy_env(), "TIMEOUT_WORKER_HEALTHCHECK": "300"}


def test_killed_worker_through_the_collector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "PROXY_START_TIMEOUT_S", 600.0)
    stack = PatientStack(tmp_path, workers=(2,))
    try:
        stack.__enter__()
    except (CollectorUnavailable, PrometheusUnavailable) as error:
        pytest.skip(str(error))
    try:
        started = time.time()
        base, proxy = stack.urls[0], stack.proxies[0]
        assert proxy.pid is not None
        done: list[float] = []

        def send(count: int) -> None:
            for _ in range(count):
                one = Send("gpt-mock", "kim", 1)
                assert chat(base, one) == 200
                stack.ledger.add(one)
                done.append(time.monotonic())

        # Past every series' zero exports (zero_start.py), so the kill costs only the
        # victim's last interval, as docs/pipeline.md says.
        while time.time() - started < (ZERO_EXPORTS + 5) * INTERVAL:
            send(2)
            time.sleep(0.2)
        victim = workers_of(proxy.pid)[0]
        os.kill(victim, signal.SIGKILL)
        killed_at = time.monotonic()
        deadline = time.monotonic() + 600
        while proxy.log_text().count("Application startup complete") < 3:
            assert time.monotonic() < deadline, "uvicorn did not replace the killed worker"
            send(1)
            time.sleep(0.5)
        for _ in range(10):
            send(2)
            time.sleep(0.2)
        time.sleep(6 * INTERVAL)  # exports and scrapes catch up
        assert stack.prometheus is not None
        window = round(time.time() - started) + 60
        query = f"sum(max_over_time(litellm_proxy_total_requests_metric_total[{window}s]))"
        counted = stack.prometheus.query_value(query) or 0.0
        lost_at_most = sum(1 for at in done if killed_at - INTERVAL - 1.0 <= at <= killed_at)
        sent = stack.ledger.requests
        print(f"collector: sent {sent}, {query} = {counted:.2f}, kill window {lost_at_most}")
        assert sent - lost_at_most <= counted <= sent
    finally:
        stack.stop()
