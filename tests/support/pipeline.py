"""The docker-compose.yml stack as local processes, for the pipeline tests.

Mock upstream -> LiteLLM proxies (deploy/litellm-config.yaml, our callback
line, OTLP export) -> the Collector (collector-config.yaml) -> Prometheus
(prometheus/prometheus.yml with prometheus/alerts.yml).  Only the addresses
differ from the compose file: free loopback ports instead of service names.

:class:`Ledger` is what a workload sent and what the metrics must therefore
sum to, computed from the mock upstream's documented accounting and the
prices in the proxy config.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from otel_litellm.mock_upstream import REPLY_TEXT, MockUpstream

from .collector import (
    REPO_ROOT,
    Collector,
    CollectorUnavailable,
    ManagedProcess,
    free_ports,
    http_get,
    wait_until,
)
from .prometheus import Prometheus, PrometheusUnavailable

PROXY_CONFIG = REPO_ROOT / "deploy" / "litellm-config.yaml"
PROMETHEUS_CONFIG = REPO_ROOT / "prometheus" / "prometheus.yml"
MASTER_KEY = "sk-pipeline-test-0123456789"
#: Collector scrape job in prometheus/prometheus.yml.
COLLECTOR_JOB = "litellm-collector"
EXPORT_INTERVAL_MS = 1000
PROMPT = "count the words of this prompt"
PROXY_START_TIMEOUT_S = 180.0
#: Extra gpt-mock rounds allowed until every worker has served a request.
SPREAD_ROUNDS = 20


def proxy_models() -> dict[str, dict[str, Any]]:
    """model_name -> litellm_params of deploy/litellm-config.yaml."""
    config = yaml.safe_load(PROXY_CONFIG.read_text())
    return {entry["model_name"]: entry["litellm_params"] for entry in config["model_list"]}


@dataclass(frozen=True)
class Outcome:
    """What the proxy answers for a model group of deploy/litellm-config.yaml."""

    status: int
    served_by: str | None = None  # the priced model group that answered
    fallback: bool = False


OUTCOMES = {
    "gpt-mock": Outcome(200, "gpt-mock"),
    "gpt-stream": Outcome(200, "gpt-stream"),
    "gpt-broken": Outcome(500),
    "gpt-primary": Outcome(200, "gpt-mock", fallback=True),
}


@dataclass(frozen=True)
class Send:
    """``count`` chat requests for ``model`` with the client ``user`` field ``end_user``."""

    model: str
    end_user: str
    count: int
    stream: bool = False


@dataclass
class Ledger:
    requests: int = 0
    failures: int = 0
    streams: int = 0
    fallbacks: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    spend: float = 0.0
    by_end_user: Counter[str] = field(default_factory=Counter)

    def add(self, send: Send) -> None:
        outcome = OUTCOMES[send.model]
        self.requests += send.count
        self.by_end_user[send.end_user] += send.count
        if outcome.served_by is None:
            self.failures += send.count
            return
        self.streams += send.count if send.stream else 0
        self.fallbacks += send.count if outcome.fallback else 0
        prompt, reply = len(PROMPT.split()), len(REPLY_TEXT.split())
        params = proxy_models()[outcome.served_by]
        self.input_tokens += send.count * prompt
        self.output_tokens += send.count * reply
        # Prices are powers of two: these products and sums are exact.
        self.spend += send.count * (
            prompt * params["input_cost_per_token"] + reply * params["output_cost_per_token"]
        )


#: The workload both pipeline test modules send first.
WORKLOAD = (
    Send("gpt-mock", "alice", 24),
    Send("gpt-mock", "bob", 12),
    Send("gpt-stream", "bob", 10, stream=True),
    Send("gpt-stream", "carol", 6, stream=True),
    Send("gpt-broken", "carol", 8),
    Send("gpt-primary", "alice", 4),
)


def chat(base_url: str, send: Send) -> int:
    """One request through the proxy; returns the HTTP status (body read in full)."""
    body = {
        "model": send.model,
        "user": send.end_user,
        "stream": send.stream,
        "messages": [{"role": "user", "content": PROMPT}],
    }
    request = urllib.request.Request(
        base_url + "/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {MASTER_KEY}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        error.read()
        return int(error.code)


def expand(sends: Iterable[Send]) -> list[Send]:
    return [Send(s.model, s.end_user, 1, s.stream) for s in sends for _ in range(s.count)]


def wait_live(process: ManagedProcess, url: str, workers: int) -> None:
    """Until the proxy answers and each of its workers has finished startup."""

    def live() -> bool:
        process.check_alive()
        started = process.log_text().count("Application startup complete")
        return started >= workers and http_get(url + "/health/liveliness")[0] == 200

    try:
        wait_until(live, timeout=PROXY_START_TIMEOUT_S, interval=0.5, what=f"{url} liveliness")
    except (TimeoutError, RuntimeError) as error:
        raise RuntimeError(f"{process.name} did not start:\n{process.log_tail()}") from error


class ConfiguredPrometheus(Prometheus):
    """Prometheus with prometheus/prometheus.yml; targets and intervals replaced."""

    def __init__(self, workdir: Path, targets: dict[str, str]) -> None:
        super().__init__(workdir, scrape_interval="1s")
        self.job_targets = targets

    def config(self) -> dict[str, Any]:
        config: dict[str, Any] = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
        config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
        config["rule_files"] = [str(PROMETHEUS_CONFIG.parent / f) for f in config["rule_files"]]
        for job in config["scrape_configs"]:
            job["static_configs"] = [{"targets": [self.job_targets[job["job_name"]]]}]
            job["scrape_timeout"] = "1s"
        return config


class Stack:
    """Mock upstream, Collector, Prometheus and ``len(workers)`` proxy replicas.

    ``workers[i]`` is the ``--num_workers`` of replica ``i``.  All replicas
    share the config file and export OTLP/gRPC to the one Collector.
    """

    def __init__(self, workdir: Path, workers: tuple[int, ...] = (2, 1)) -> None:
        self.workdir = workdir
        self.workers = workers
        self.upstream = MockUpstream()
        self.collector = Collector(workdir / "otelcol")
        self.prometheus: ConfiguredPrometheus | None = None
        self.proxies: list[ManagedProcess] = []
        self.urls: list[str] = []
        self.ledger = Ledger()

    @property
    def process_count(self) -> int:
        return sum(self.workers)

    def start(self) -> Stack:
        self.upstream.start()
        self.collector.start()
        ports = self.collector.ports
        assert ports is not None
        self.prometheus = ConfiguredPrometheus(
            self.workdir / "prometheus",
            {
                COLLECTOR_JOB: self.collector.prometheus_target,
                "otelcol": f"127.0.0.1:{ports.telemetry}",
            },
        )
        self.prometheus.start()
        env = self.proxy_env()
        # One replica at a time: uvicorn's supervisor restarts a worker that is too
        # busy importing to answer its health ping, which parallel starts provoke.
        for index, (workers, port) in enumerate(
            zip(self.workers, free_ports(len(self.workers)), strict=True)
        ):
            argv = [
                sys.executable, "-m", "litellm.proxy.proxy_cli", "--config", str(PROXY_CONFIG),
                "--host", "127.0.0.1", "--port", str(port), "--num_workers", str(workers),
            ]  # fmt: skip
            name = f"proxy-{index}"
            process = ManagedProcess(
                name, argv, self.workdir / f"{name}.log", env=env, cwd=self.workdir
            )
            process.start()
            self.proxies.append(process)
            self.urls.append(f"http://127.0.0.1:{port}")
            wait_live(process, self.urls[-1], workers)
        return self

    def proxy_env(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_")}
        # Each worker exports its own cumulative streams: no shared multiprocess dir.
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        env.update(
            LITELLM_LOCAL_MODEL_COST_MAP="True",
            LITELLM_MASTER_KEY=MASTER_KEY,
            MOCK_UPSTREAM_API_BASE=self.upstream.base_url,
            OTEL_METRICS_EXPORTER="otlp",
            OTEL_EXPORTER_OTLP_ENDPOINT=f"http://{self.collector.otlp_grpc_endpoint}",
            OTEL_EXPORTER_OTLP_INSECURE="true",
            OTEL_METRIC_EXPORT_INTERVAL=str(EXPORT_INTERVAL_MS),
        )
        return env

    def stop(self) -> None:
        for process in self.proxies:
            process.stop()
        if self.prometheus is not None:
            self.prometheus.stop()
        self.collector.stop()
        with contextlib.suppress(Exception):
            self.upstream.stop()

    def __enter__(self) -> Stack:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def send(self, sends: Iterable[Send], concurrency: int = 8) -> list[int]:
        """Send every request (spread over the replicas, concurrently); record them."""
        sends = list(sends)
        requests = expand(sends)
        targets = [self.urls[i % len(self.urls)] for i in range(len(requests))]
        with ThreadPoolExecutor(concurrency) as pool:
            statuses = list(pool.map(chat, targets, requests))
        for send in sends:
            self.ledger.add(send)
        return statuses

    def reach_every_worker(self) -> None:
        """Send rounds of requests until every worker process has exported one.

        The kernel picks the uvicorn worker of each connection; the requests go
        into the ledger like any others.
        """
        assert self.prometheus is not None
        probe = "count(count by (instance) (litellm_proxy_total_requests_metric_total))"
        for _ in range(SPREAD_ROUNDS):
            try:
                self.prometheus.wait_for_value(probe, self.process_count, timeout=3)
                return
            except TimeoutError:
                self.send([Send("gpt-mock", "spread", 2 * self.process_count)])
        raise AssertionError(f"not every one of {self.process_count} workers served a request")

    def expected_statuses(self, sends: Iterable[Send]) -> list[int]:
        return [OUTCOMES[s.model].status for s in expand(sends)]

    def logs(self) -> Iterator[str]:
        for process in self.proxies:
            yield f"--- {process.name}\n{process.log_tail()}"


def start_stack(workdir: Path, sends: tuple[Send, ...]) -> Stack:
    """A started stack that has sent ``sends`` (all answered as expected)."""
    stack = Stack(workdir)
    try:
        stack.__enter__()
    except (CollectorUnavailable, PrometheusUnavailable) as error:
        pytest.skip(str(error))
    statuses = stack.send(sends)
    if statuses != stack.expected_statuses(sends):
        stack.stop()
        raise AssertionError(f"unexpected statuses {statuses}\n" + "\n".join(stack.logs()))
    try:
        stack.reach_every_worker()
    except BaseException:
        stack.stop()
        raise
    return stack
