"""The real LiteLLM proxy as a process on 127.0.0.1, with otel_litellm's callback line."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from otel_litellm.mock_upstream import MockUpstream
from tests.support.scrape import fetch

REPO = Path(__file__).resolve().parents[2]
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


@dataclass
class Proxy:
    """A running proxy: its base URL and the ``litellm`` CLI process (a server parent
    when it runs several workers)."""

    base: str
    process: subprocess.Popen[bytes]
    log: Path

    def workers(self) -> list[int]:
        """The pids of the proxy's worker processes (the CLI's children that serve)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            pids = [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []
        # uvicorn spawns its workers; gunicorn forks them (same command line as the CLI).
        own = _cmdline(self.process.pid)
        return [pid for pid in pids if b"spawn_main" in _cmdline(pid) or _cmdline(pid) == own]


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


@contextlib.contextmanager
def running_proxy(
    workdir: Path,
    extra_env: Mapping[str, str] | None = None,
    config_for: Callable[[str], str] = proxy_config,
    *,
    num_workers: int = 1,
    extra_args: Sequence[str] = (),
) -> Iterator[str]:
    """Start the proxy against a fresh mock upstream; yields its base URL.

    ``config_for``: the config.yaml text for the upstream's base URL."""
    with started_proxy(
        workdir, extra_env, num_workers=num_workers, extra_args=extra_args, config=config_for
    ) as proxy:
        yield proxy.base


@contextlib.contextmanager
def started_proxy(
    workdir: Path,
    extra_env: Mapping[str, str] | None = None,
    *,
    num_workers: int = 1,
    extra_args: Sequence[str] = (),
    port: int | None = None,
    upstream: MockUpstream | None = None,
    config: Callable[[str], str] = proxy_config,
) -> Iterator[Proxy]:
    """:func:`running_proxy`, yielding the :class:`Proxy` (for tests that signal workers).

    Several workers: the proxy is up once every worker answers (each writes a
    readiness line to the log), not when the first one does.
    """
    with contextlib.ExitStack() as stack:
        mock = upstream or stack.enter_context(MockUpstream())
        config_path = Path(workdir, "config.yaml")
        config_path.write_text(config(mock.base_url))
        port = port or free_port()
        env = {
            **os.environ,
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "LITELLM_MASTER_KEY": MASTER_KEY,
            # This checkout's otel_litellm and test helpers (a config's custom_auth may
            # name tests.support.*), whatever is installed and wherever the proxy runs.
            "PYTHONPATH": os.pathsep.join(filter(None, (str(REPO), os.environ.get("PYTHONPATH")))),
            **(extra_env or {}),
        }
        log_path = Path(workdir, "proxy.log")
        log = stack.enter_context(open(log_path, "ab"))
        since = log.tell()
        args = ["--num_workers", str(num_workers)] if num_workers > 1 else []
        if num_workers > 1 and "--run_gunicorn" not in extra_args:
            # uvicorn kills a worker that does not answer its health check within 5 s,
            # and importing LiteLLM on a busy 2-core machine takes longer.
            args += ["--timeout_worker_healthcheck", "300"]
        process = subprocess.Popen(
            [sys.executable, "-m", "litellm.proxy.proxy_cli", "--config", str(config_path),
             "--host", "127.0.0.1", "--port", str(port), *args, *extra_args],
            cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        ready = functools.partial(_ready, base, log_path, num_workers, since)
        with serving(process, log_path, ready, timeout=90 + 90 * num_workers):
            yield Proxy(base, process, log_path)


@contextlib.contextmanager
def serving(
    process: subprocess.Popen[bytes], log: Path, ready: Callable[[], bool], timeout: float
) -> Iterator[None]:
    """Wait until ``ready()`` (the log's tail if it exits or times out); stop it after."""
    try:
        deadline = time.monotonic() + timeout
        while not ready():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(log.read_text()[-3000:])
            time.sleep(0.5)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def answers(base: str) -> bool:
    try:
        fetch(base + "/health/liveliness")
    except OSError:
        return False
    return True


def _ready(base: str, log: Path, num_workers: int, since: int) -> bool:
    if not answers(base):
        return False
    with open(log, "rb") as text:
        text.seek(since)
        return num_workers <= 1 or text.read().count(b"Application startup complete") >= num_workers


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
