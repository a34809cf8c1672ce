"""Run the otel_litellm OpenTelemetry Collector in tests.

The collector binary comes from ``scripts/build-collector.sh`` (built once and
cached, see that script) unless ``OTEL_LITELLM_OTELCOL_BIN`` points at one.
:class:`Collector` starts it with the repository's ``collector-config.yaml`` on
free loopback ports, waits for the ``health_check`` extension, and always kills
it again: on :meth:`Collector.stop`, when its ``with`` block ends, and at
interpreter exit as a last resort.

The generic process helpers here (:class:`ManagedProcess`, :func:`free_ports`,
:func:`wait_until`, :func:`http_get`) are shared with ``prometheus.py``.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypeVar

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO_ROOT / "scripts" / "build-collector.sh"
COLLECTOR_CONFIG = REPO_ROOT / "collector-config.yaml"
REMOTE_WRITE_CONFIG = REPO_ROOT / "collector-remote-write.yaml"

#: Use this collector binary instead of building one.
BINARY_ENV = "OTEL_LITELLM_OTELCOL_BIN"
#: A cold build took under 3 minutes on 2 cores; a cached one is instant.
BUILD_TIMEOUT_S = 900.0
#: build-collector.sh exits with this status when no usable Go is installed.
EXIT_NO_GO = 3

#: The Accept header Prometheus 2.x sends when scraping (prefers OpenMetrics).
PROMETHEUS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0,"
    "application/openmetrics-text;version=0.0.1;q=0.75,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)

T = TypeVar("T")


class CollectorUnavailable(RuntimeError):
    """No collector binary is available and none can be built (no Go)."""


# --------------------------------------------------------------------------
# generic helpers


def free_ports(count: int) -> list[int]:
    """Return ``count`` distinct free TCP ports on 127.0.0.1.

    The sockets are held open until all ports are chosen so the kernel cannot
    hand out the same port twice; there is still a small window before the
    child process binds them.
    """
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def wait_until(
    probe: Callable[[], T | None],
    *,
    timeout: float,
    interval: float = 0.1,
    what: str = "condition",
) -> T:
    """Call ``probe`` until it returns something other than None/False.

    Raises :class:`TimeoutError` after ``timeout`` seconds.  Exceptions from
    ``probe`` propagate (so a dead process can abort the wait early).
    """
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result is not None and result is not False:
            return result
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def http_get(
    url: str, *, timeout: float = 5.0, headers: Mapping[str, str] | None = None
) -> tuple[int, str]:
    """GET ``url``; return (status, body).  Connection errors give status 0."""
    request = urllib.request.Request(url, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, ""


_LIVE_PROCESSES: set[ManagedProcess] = set()


@atexit.register
def _kill_leftovers() -> None:
    for process in list(_LIVE_PROCESSES):
        process.stop(timeout=2.0)


class ManagedProcess:
    """A child process in its own session whose output goes to a log file.

    :meth:`stop` terminates the whole process group (SIGTERM, then SIGKILL);
    it is idempotent and also resumes a paused process first.
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = [str(arg) for arg in argv]
        self.log_path = log_path
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self._popen: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def __repr__(self) -> str:
        pid = self._popen.pid if self._popen else None
        return f"<ManagedProcess {self.name} pid={pid}>"

    @property
    def pid(self) -> int | None:
        return self._popen.pid if self._popen else None

    @property
    def running(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    @property
    def returncode(self) -> int | None:
        return self._popen.poll() if self._popen else None

    def start(self) -> None:
        if self.running:
            raise RuntimeError(f"{self.name} is already running")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        try:
            self._popen = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
            )
        except BaseException:
            self._log.close()
            self._log = None
            raise
        _LIVE_PROCESSES.add(self)

    def _signal_group(self, sig: signal.Signals) -> None:
        # Only while the leader is alive (unreaped), so the group id is ours.
        if self._popen is None or self._popen.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._popen.pid, sig)

    def pause(self) -> None:
        """Freeze the process (SIGSTOP): ports stay bound but nothing answers."""
        self._signal_group(signal.SIGSTOP)

    def resume(self) -> None:
        """Undo :meth:`pause` (SIGCONT)."""
        self._signal_group(signal.SIGCONT)

    def stop(self, timeout: float = 10.0) -> int | None:
        """Terminate the process group; return the exit status (None if never started)."""
        popen = self._popen
        if popen is None:
            return None
        try:
            if popen.poll() is None:
                self._signal_group(signal.SIGCONT)
                self._signal_group(signal.SIGTERM)
                try:
                    popen.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    self._signal_group(signal.SIGKILL)
                    popen.wait(timeout=10.0)
            # Once the leader is reaped its pid may be reused: never signal
            # the group after that.
            return popen.returncode
        finally:
            self._popen = None
            _LIVE_PROCESSES.discard(self)
            if self._log is not None:
                self._log.close()
                self._log = None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_text()[-chars:]

    def check_alive(self) -> None:
        """Raise with the log tail if the process has exited."""
        if self._popen is not None and self._popen.poll() is not None:
            raise RuntimeError(
                f"{self.name} exited with status {self._popen.returncode}; "
                f"log {self.log_path}:\n{self.log_tail()}"
            )


# --------------------------------------------------------------------------
# collector binary


@functools.cache
def collector_binary() -> Path:
    """Path of the collector binary: ``$OTEL_LITELLM_OTELCOL_BIN`` or built/cached.

    Raises :class:`CollectorUnavailable` when it cannot be built because Go
    is missing, and RuntimeError for any other build failure.
    """
    override = os.environ.get(BINARY_ENV)
    if override:
        path = Path(override)
        if not os.access(path, os.X_OK):
            raise CollectorUnavailable(f"{BINARY_ENV}={override} is not an executable")
        return path
    try:
        result = subprocess.run(
            ["bash", str(BUILD_SCRIPT)],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"{BUILD_SCRIPT} did not finish in {BUILD_TIMEOUT_S:.0f}s") from exc
    if result.returncode == EXIT_NO_GO:
        raise CollectorUnavailable(result.stderr.strip().splitlines()[-1])
    if result.returncode != 0:
        raise RuntimeError(
            f"{BUILD_SCRIPT} failed with status {result.returncode}:\n{result.stderr[-4000:]}"
        )
    lines = result.stdout.strip().splitlines()
    if not lines:
        raise RuntimeError(f"{BUILD_SCRIPT} printed no binary path")
    path = Path(lines[-1])
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"{BUILD_SCRIPT} printed {path}, which is not executable")
    return path


def validate_config(
    configs: Sequence[Path] = (COLLECTOR_CONFIG,),
    *,
    binary: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 60.0,
) -> subprocess.CompletedProcess[str]:
    """Run ``otelcol-litellm validate`` on the given config files."""
    argv = [str(binary or collector_binary()), "validate"]
    for config in configs:
        argv += ["--config", str(config)]
    return subprocess.run(
        argv,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        check=False,
    )


# --------------------------------------------------------------------------
# running collector


@dataclass(frozen=True)
class CollectorPorts:
    otlp_grpc: int
    otlp_http: int
    prometheus: int
    health: int
    telemetry: int

    @classmethod
    def allocate(cls) -> CollectorPorts:
        return cls(*free_ports(5))

    def env(self) -> dict[str, str]:
        """The collector-config.yaml environment variables for these ports."""
        return {
            "OTEL_LITELLM_COLLECTOR_OTLP_GRPC_ENDPOINT": f"127.0.0.1:{self.otlp_grpc}",
            "OTEL_LITELLM_COLLECTOR_OTLP_HTTP_ENDPOINT": f"127.0.0.1:{self.otlp_http}",
            "OTEL_LITELLM_COLLECTOR_PROMETHEUS_ENDPOINT": f"127.0.0.1:{self.prometheus}",
            "OTEL_LITELLM_COLLECTOR_HEALTH_ENDPOINT": f"127.0.0.1:{self.health}",
            "OTEL_LITELLM_COLLECTOR_TELEMETRY_HOST": "127.0.0.1",
            "OTEL_LITELLM_COLLECTOR_TELEMETRY_PORT": str(self.telemetry),
        }


class Collector:
    """The otel_litellm collector on free loopback ports.

    Usage::

        with Collector(tmp_path / "otelcol") as collector:
            export_to(collector.otlp_grpc_endpoint)
            text = collector.scrape()

    ``configs`` defaults to the repository's collector-config.yaml; pass
    ``(COLLECTOR_CONFIG, REMOTE_WRITE_CONFIG)`` plus
    ``env={"OTEL_LITELLM_REMOTE_WRITE_ENDPOINT": ...}`` for remote write.
    Ports are chosen on the first :meth:`start` and kept by :meth:`restart`,
    so clients keep their endpoints across a restart.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        binary: Path | None = None,
        configs: Sequence[Path] = (COLLECTOR_CONFIG,),
        env: Mapping[str, str] | None = None,
        ports: CollectorPorts | None = None,
    ) -> None:
        self.workdir = Path(workdir)
        self.binary = binary
        self.configs = [Path(config) for config in configs]
        self.extra_env = dict(env or {})
        self.ports = ports
        self.log_path = self.workdir / "otelcol.log"
        self._process: ManagedProcess | None = None

    # -- endpoints ----------------------------------------------------------
    def _require_ports(self) -> CollectorPorts:
        if self.ports is None:
            raise RuntimeError("collector ports are chosen by start()")
        return self.ports

    @property
    def otlp_grpc_endpoint(self) -> str:
        """host:port for an OTLP/gRPC exporter (insecure)."""
        return f"127.0.0.1:{self._require_ports().otlp_grpc}"

    @property
    def otlp_http_endpoint(self) -> str:
        """Base URL for an OTLP/HTTP exporter (append /v1/metrics for metrics)."""
        return f"http://127.0.0.1:{self._require_ports().otlp_http}"

    @property
    def prometheus_target(self) -> str:
        """host:port of the Prometheus exporter, as a scrape target."""
        return f"127.0.0.1:{self._require_ports().prometheus}"

    @property
    def metrics_url(self) -> str:
        return f"http://{self.prometheus_target}/metrics"

    @property
    def health_url(self) -> str:
        return f"http://127.0.0.1:{self._require_ports().health}/"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.running

    # -- lifecycle ------------------------------------------------------------
    def start(self, timeout: float = 30.0) -> Collector:
        """Start the collector and wait until its health check reports ready."""
        if self.running:
            raise RuntimeError("collector is already running")
        binary = self.binary or collector_binary()
        if self.ports is None:
            self.ports = CollectorPorts.allocate()
        self.workdir.mkdir(parents=True, exist_ok=True)
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("OTEL_LITELLM_COLLECTOR_", "OTEL_LITELLM_REMOTE_WRITE_"))
        }
        env.update(self.ports.env())
        env.update(self.extra_env)
        argv: list[str] = [str(binary)]
        for config in self.configs:
            argv += ["--config", str(config)]
        self._process = ManagedProcess(
            "otelcol-litellm", argv, self.log_path, env=env, cwd=self.workdir
        )
        self._process.start()
        try:
            self.wait_healthy(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def wait_healthy(self, timeout: float = 30.0) -> None:
        process = self._process
        if process is None:
            raise RuntimeError("collector is not started")

        def healthy() -> bool:
            process.check_alive()
            status, _ = http_get(self.health_url, timeout=1.0)
            if status != 200:
                return False
            # Ready also implies the Prometheus exporter's listener is up.
            status, _ = http_get(self.metrics_url, timeout=1.0)
            return status == 200

        try:
            wait_until(healthy, timeout=timeout, what="collector health check")
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}; log {self.log_path}:\n{process.log_tail()}") from exc

    def stop(self, timeout: float = 10.0) -> int | None:
        """Stop the collector (idempotent); return its exit status."""
        process, self._process = self._process, None
        return process.stop(timeout) if process is not None else None

    def restart(self, timeout: float = 30.0) -> Collector:
        """Stop and start again on the same ports.  Received data is lost."""
        self.stop()
        return self.start(timeout)

    def pause(self) -> None:
        """SIGSTOP the collector: it keeps its ports but stops answering."""
        if self._process is None:
            raise RuntimeError("collector is not started")
        self._process.pause()

    def resume(self) -> None:
        """SIGCONT a paused collector."""
        if self._process is None:
            raise RuntimeError("collector is not started")
        self._process.resume()

    def __enter__(self) -> Collector:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- inspection -------------------------------------------------------------
    def scrape(self, *, openmetrics: bool = True, timeout: float = 5.0) -> str:
        """The exporter's /metrics body.

        By default it asks for OpenMetrics exactly as Prometheus does, which
        is what a Prometheus server stores; ``openmetrics=False`` gets the
        classic text format (integral histogram bounds render as le="1").
        """
        headers = {"Accept": PROMETHEUS_ACCEPT} if openmetrics else {}
        status, body = http_get(self.metrics_url, timeout=timeout, headers=headers)
        if status != 200:
            raise RuntimeError(f"GET {self.metrics_url} returned {status}: {body[:500]}")
        return body

    def wait_for_scrape(
        self,
        predicate: Callable[[str], bool],
        *,
        timeout: float = 15.0,
        openmetrics: bool = True,
    ) -> str:
        """Scrape until ``predicate(body)`` holds; return that body."""

        last = [""]

        def probe() -> str | None:
            if self._process is not None:
                self._process.check_alive()
            last[0] = self.scrape(openmetrics=openmetrics)
            return last[0] if predicate(last[0]) else None

        try:
            return wait_until(probe, timeout=timeout, interval=0.2, what="the expected scrape")
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}; last scrape:\n{last[0][:4000]}") from exc

    def log_text(self) -> str:
        try:
            return self.log_path.read_text("utf-8", "replace")
        except FileNotFoundError:
            return ""
