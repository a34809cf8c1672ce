"""A child forked while a render is in progress can render: ``server.after_fork()``
gives it render state no parent thread holds.

The workload runs in its own interpreter (``python -m tests.test_render_fork``): a
parent thread renders with an observable gauge whose callback blocks, so it holds the
render lock and leads a render other scrapes would wait for; the main thread forks.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHILD_DEADLINE_S = 8


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.test_render_fork", *args],
        cwd=REPO,
        env={**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_child_forked_during_a_render_renders_its_own_metrics() -> None:
    done = run()
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert "child rendered" in done.stdout and ", 1.0 requests" in done.stdout


def test_without_fresh_render_state_the_child_would_hang() -> None:
    # The same fork without after_fork(): the child's scrape waits for the parent's render.
    done = run("--no-after-fork")
    assert done.returncode == 3, done.stdout + done.stderr[-3000:]


def _workload(after_fork: bool) -> None:
    import otel_litellm
    from otel_litellm import server
    from tests.support.payloads import success_kwargs

    if not after_fork:  # take server.after_fork() out of the lifecycle owner's fork hook
        server.after_fork = lambda: None
    handle = otel_litellm.instrument(prometheus_port=0)
    handle.callback.record_success(success_kwargs())
    registry = handle.prometheus_reader.registry
    inside, release = threading.Event(), threading.Event()

    def blocking_callback(options: object) -> list[object]:
        inside.set()
        release.wait(timeout=60)
        return []

    meter = handle.meter_provider.get_meter("slow-collector")
    meter.create_observable_gauge("slow", callbacks=[blocking_callback])
    renderer = threading.Thread(target=server.render, args=(registry, None), daemon=True)
    renderer.start()
    if not inside.wait(timeout=30):
        sys.exit("the parent's render never started")
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        worker = otel_litellm.active()
        assert worker is not None and worker.prometheus_reader is not None
        worker.callback.record_success(success_kwargs())
        own = worker.prometheus_reader.registry
        child = threading.Thread(target=lambda: print(_child_render(own), flush=True))
        child.daemon = True
        child.start()
        child.join(timeout=CHILD_DEADLINE_S)
        os._exit(0 if not child.is_alive() else 3)
    _, status = os.waitpid(pid, 0)
    release.set()
    renderer.join(timeout=30)
    sys.exit(os.waitstatus_to_exitcode(status))


def _child_render(registry: object) -> str:
    from otel_litellm.server import render
    from tests.support.scrape import parse, value

    body, _ = render(registry, None)  # type: ignore[arg-type]
    seen = value(parse(body.decode()), "litellm_proxy_total_requests_metric_total")
    return f"child rendered {len(body)} bytes, {seen} requests"


if __name__ == "__main__":
    _workload(after_fork="--no-after-fork" not in sys.argv)
