"""Pre-fork workers (gunicorn ``--preload``) neither inherit nor double-count the parent's points.

The workload runs in its own interpreter (``python -m tests.test_fork ENDPOINT``): it
instruments, records in the parent, forks two workers that record their own
requests, and every process scrapes its own /metrics and pushes OTLP to a local sink.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.otlp_sink import OtlpSink

REPO = Path(__file__).resolve().parents[1]
PARENT_REQUESTS = 5
WORKER_REQUESTS = (2, 3)
FAMILY = "litellm_proxy_total_requests_metric"
BUDGET_FAMILY = "litellm_provider_remaining_budget_metric"


def run_workload(sink: OtlpSink) -> list[dict[str, Any]]:
    env = {
        **os.environ,
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": sink.endpoint,
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.test_fork"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


@pytest.fixture(scope="module")
def forked() -> tuple[list[dict[str, Any]], dict[str, float]]:
    with OtlpSink() as sink:
        reports = run_workload(sink)
        return reports, sink.totals(FAMILY, team="team-fork")


def test_each_worker_scrapes_only_its_own_requests(
    forked: tuple[list[dict[str, Any]], dict[str, float]],
) -> None:
    reports, _ = forked
    workers = sorted(r["scraped"] for r in reports if r["who"] == "worker")
    assert workers == list(WORKER_REQUESTS)
    assert all(r["url"] != reports[-1]["url"] for r in reports if r["who"] == "worker")
    parent = [r for r in reports if r["who"] == "parent"]
    assert [r["scraped"] for r in parent] == [PARENT_REQUESTS + 1]


def test_stand_in_records_into_each_workers_own_instruments(
    forked: tuple[list[dict[str, Any]], dict[str, float]],
) -> None:
    """Events LiteLLM reports only to its PrometheusLogger reach the forked worker's /metrics."""
    reports, _ = forked
    budgets = sorted(r["budget"] for r in reports if r["who"] == "worker")
    assert budgets == [10.0 * count - 1.0 for count in WORKER_REQUESTS]


def test_otlp_carries_each_process_once_and_never_the_parent_twice(
    forked: tuple[list[dict[str, Any]], dict[str, float]],
) -> None:
    _, per_instance = forked
    # One service.instance.id per process; an inherited provider exporting from a
    # worker would add an instance holding the parent's 5 (or 5 + the worker's).
    assert sorted(per_instance.values()) == sorted((*WORKER_REQUESTS, PARENT_REQUESTS + 1))


def _workload() -> None:
    import otel_litellm
    from tests.support.payloads import success_kwargs
    from tests.support.scrape import samples, value

    def record(handle: Any, count: int) -> None:
        for _ in range(count):
            handle.callback.record_success(success_kwargs(team="team-fork"))

    def report(who: str, handle: Any) -> None:
        found = samples(handle.metrics_url)
        scraped = value(found, FAMILY + "_total", team="team-fork")
        budget = value(found, BUDGET_FAMILY, api_provider="openai")
        print(
            json.dumps(
                {"who": who, "scraped": scraped, "budget": budget, "url": handle.metrics_url}
            ),
            flush=True,
        )

    handle = otel_litellm.instrument(
        prometheus_port=0,
        exporters=("prometheus", "otlp"),
        otlp_protocol="http/protobuf",
        export_interval_ms=200,
    )
    record(handle, PARENT_REQUESTS)
    time.sleep(0.5)  # the parent's points reach the sink before the fork, too
    children = []
    for count in WORKER_REQUESTS:
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            worker = otel_litellm.active()
            assert worker is not None and worker is not handle
            record(worker, count)
            # LiteLLM reports provider budgets only to the logger this look-up finds.
            from litellm.integrations.prometheus import PrometheusLogger

            PrometheusLogger.get_instance().track_provider_remaining_budget(
                provider="openai", spend=1.0, budget_limit=float(10 * count)
            )
            report("worker", worker)
            sys.exit(0)  # a normal exit: atexit handlers run, as in a real worker
        children.append(pid)
    for pid in children:
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"worker {pid} failed")
    record(handle, 1)
    report("parent", handle)
    otel_litellm.uninstrument()


if __name__ == "__main__":
    _workload()
