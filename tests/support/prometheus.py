"""Run a real Prometheus server in tests.

:class:`Prometheus` starts ``/usr/bin/prometheus`` (Debian's package, 2.42 in
bookworm; override with ``OTEL_LITELLM_PROMETHEUS_BIN``) on a free loopback
port with a generated configuration that scrapes the given targets every
second, waits for ``/-/ready``, answers PromQL instant queries through the
HTTP API and is always killed again (``stop()``, end of its ``with`` block,
or interpreter exit).
"""

from __future__ import annotations

import json
import os
import shutil
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .collector import ManagedProcess, free_ports, http_get, wait_until

#: Use this Prometheus binary instead of the one on PATH / in /usr/bin.
BINARY_ENV = "OTEL_LITELLM_PROMETHEUS_BIN"


class PrometheusUnavailable(RuntimeError):
    """No Prometheus server binary is installed."""


def prometheus_binary() -> Path:
    override = os.environ.get(BINARY_ENV)
    if override:
        return Path(override)
    found = shutil.which("prometheus") or (
        "/usr/bin/prometheus" if os.access("/usr/bin/prometheus", os.X_OK) else None
    )
    if not found:
        raise PrometheusUnavailable("prometheus not found (apt-get install prometheus)")
    return Path(found)


class PrometheusQueryError(RuntimeError):
    pass


class Prometheus:
    """A throw-away Prometheus server.

    ``targets`` are ``host:port`` strings scraped at ``/metrics`` by one job
    (``job_name``) with ``honor_labels`` so the collector's ``job`` and
    ``instance`` labels (service.name / service.instance.id) are kept.
    ``remote_write_receiver=True`` enables ``/api/v1/write`` (see
    :attr:`remote_write_url`).
    """

    def __init__(
        self,
        workdir: Path,
        targets: Sequence[str] = (),
        *,
        scrape_interval: str = "1s",
        honor_labels: bool = True,
        job_name: str = "otelcol",
        remote_write_receiver: bool = False,
        binary: Path | None = None,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.workdir = Path(workdir)
        self.targets = list(targets)
        self.scrape_interval = scrape_interval
        self.honor_labels = honor_labels
        self.job_name = job_name
        self.remote_write_receiver = remote_write_receiver
        self.binary = binary
        self.extra_args = list(extra_args)
        self.port: int | None = None
        self.config_path = self.workdir / "prometheus.yml"
        self.log_path = self.workdir / "prometheus.log"
        self._process: ManagedProcess | None = None

    # -- endpoints --------------------------------------------------------------
    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("Prometheus port is chosen by start()")
        return f"http://127.0.0.1:{self.port}"

    @property
    def remote_write_url(self) -> str:
        return f"{self.url}/api/v1/write"

    # -- lifecycle ----------------------------------------------------------------
    def config(self) -> dict[str, Any]:
        scrape_configs = []
        if self.targets:
            scrape_configs.append(
                {
                    "job_name": self.job_name,
                    "honor_labels": self.honor_labels,
                    "scrape_interval": self.scrape_interval,
                    "scrape_timeout": self.scrape_interval,
                    "metrics_path": "/metrics",
                    "static_configs": [{"targets": self.targets}],
                }
            )
        return {
            "global": {
                "scrape_interval": self.scrape_interval,
                "evaluation_interval": self.scrape_interval,
            },
            "scrape_configs": scrape_configs,
        }

    def start(self, timeout: float = 60.0) -> Prometheus:
        if self._process is not None and self._process.running:
            raise RuntimeError("Prometheus is already running")
        binary = self.binary or prometheus_binary()
        if self.port is None:
            (self.port,) = free_ports(1)
        self.workdir.mkdir(parents=True, exist_ok=True)
        # JSON is valid YAML, so no YAML library is needed.
        self.config_path.write_text(json.dumps(self.config(), indent=2) + "\n")
        argv = [
            str(binary),
            f"--config.file={self.config_path}",
            f"--storage.tsdb.path={self.workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--storage.tsdb.retention.time=1d",
            *(["--web.enable-remote-write-receiver"] if self.remote_write_receiver else []),
            *self.extra_args,
        ]
        self._process = ManagedProcess("prometheus", argv, self.log_path, cwd=self.workdir)
        self._process.start()
        try:
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        process = self._process
        if process is None:
            raise RuntimeError("Prometheus is not started")

        def ready() -> bool:
            process.check_alive()
            status, _ = http_get(f"{self.url}/-/ready", timeout=1.0)
            return status == 200

        try:
            wait_until(ready, timeout=timeout, what="Prometheus /-/ready")
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}; log {self.log_path}:\n{process.log_tail()}") from exc

    def stop(self, timeout: float = 10.0) -> int | None:
        process, self._process = self._process, None
        return process.stop(timeout) if process is not None else None

    def __enter__(self) -> Prometheus:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- HTTP API -----------------------------------------------------------------
    def api(self, path: str, params: Mapping[str, str] | None = None, timeout: float = 10.0) -> Any:
        """GET /api/v1/<path>; return ``data`` or raise PrometheusQueryError."""
        url = f"{self.url}/api/v1/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        status, body = http_get(url, timeout=timeout)
        try:
            payload = json.loads(body) if body else {}
        except json.JSONDecodeError:
            payload = {}
        if status != 200 or payload.get("status") != "success":
            raise PrometheusQueryError(f"GET {url} -> {status}: {body[:500]}")
        return payload["data"]

    def query(self, promql: str) -> list[dict[str, Any]]:
        """Instant query; returns the result list of a vector.

        Each element is ``{"metric": {...labels}, "value": [ts, "value"]}``.
        A scalar result is returned as one element with empty labels.
        """
        data = self.api("query", {"query": promql})
        if data["resultType"] == "vector":
            return list(data["result"])
        if data["resultType"] == "scalar":
            return [{"metric": {}, "value": data["result"]}]
        raise PrometheusQueryError(f"{promql!r} returned a {data['resultType']}, not a vector")

    def query_value(self, promql: str) -> float | None:
        """Value of a query returning at most one sample (None when empty)."""
        result = self.query(promql)
        if not result:
            return None
        if len(result) > 1:
            raise PrometheusQueryError(f"{promql!r} returned {len(result)} samples, expected one")
        return float(result[0]["value"][1])

    def wait_for(
        self,
        promql: str,
        predicate: Callable[[list[dict[str, Any]]], bool],
        *,
        timeout: float = 30.0,
    ) -> list[dict[str, Any]]:
        """Re-run ``promql`` until ``predicate(result)`` holds; return the result."""
        last: list[list[dict[str, Any]]] = [[]]

        def probe() -> list[dict[str, Any]] | None:
            if self._process is not None:
                self._process.check_alive()
            last[0] = self.query(promql)
            return last[0] if predicate(last[0]) else None

        try:
            return wait_until(probe, timeout=timeout, interval=0.25, what=f"PromQL {promql!r}")
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}; last result: {last[0]}") from exc

    def wait_for_value(self, promql: str, expected: float, *, timeout: float = 30.0) -> float:
        """Wait until a single-sample query equals ``expected``."""

        def matches(result: list[dict[str, Any]]) -> bool:
            return len(result) == 1 and float(result[0]["value"][1]) == expected

        return float(self.wait_for(promql, matches, timeout=timeout)[0]["value"][1])

    def label_values(self, label: str, match: str | None = None) -> list[str]:
        params = {"match[]": match} if match else None
        return list(self.api(f"label/{label}/values", params))

    def series(self, match: str) -> list[dict[str, str]]:
        return list(self.api("series", {"match[]": match}))

    def metadata(self, metric: str | None = None) -> dict[str, list[dict[str, str]]]:
        return dict(self.api("metadata", {"metric": metric} if metric else None))

    def active_targets(self) -> list[dict[str, Any]]:
        return list(self.api("targets", {"state": "active"})["activeTargets"])

    def log_text(self) -> str:
        try:
            return self.log_path.read_text("utf-8", "replace")
        except FileNotFoundError:
            return ""
