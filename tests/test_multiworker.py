"""A proxy with several workers serves one exact /metrics, whichever worker answers."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from otel_litellm import exited, workers
from tests.support.proxy import Proxy, free_port, post, proxy_config, started_proxy
from tests.support.scrape import Sample, fetch, parse, value

pytestmark = [pytest.mark.proxy, pytest.mark.slow, pytest.mark.timeout(600)]

INTERVAL = 0.5  # hand-over interval in these tests, seconds
ENV = {"OTEL_LITELLM_HANDOVER_INTERVAL": str(INTERVAL)}
MESSAGES = [{"role": "user", "content": "three words here"}]  # 3 prompt tokens
PROMPT_TOKENS = 3
COMPLETION_TOKENS = 9  # the mock's reply
COST = PROMPT_TOKENS * 0.5 + COMPLETION_TOKENS * 0.25
TEAM_BUDGET = 1000.0

# Team identity from a custom auth hook; the team's recorded spend comes from a file
# the test rewrites, as a database would report it.
CUSTOM_AUTH = """
from pathlib import Path
from litellm.proxy._types import UserAPIKeyAuth

async def user_api_key_auth(request, api_key):
    spend = float(Path(__file__).with_name("team_spend").read_text())
    return UserAPIKeyAuth(
        api_key="hashed-key-a", team_id="team-a", team_alias="A",
        team_max_budget={budget}, team_spend=spend,
    )
"""


def priced_config(api_base: str) -> str:
    return (
        proxy_config(api_base).replace(
            "api_key: sk-up}",
            "api_key: sk-up, input_cost_per_token: 0.5, output_cost_per_token: 0.25}",
        )
        + "general_settings:\n  custom_auth: custom_auth.user_api_key_auth\n"
    )


def write_auth(workdir: Path, spend: float) -> None:
    Path(workdir, "custom_auth.py").write_text(CUSTOM_AUTH.format(budget=TEAM_BUDGET))
    Path(workdir, "team_spend").write_text(str(spend))


def scrape(url: str) -> list[Sample]:
    return parse(fetch(url))  # urllib: a new connection per scrape


def totals(found: list[Sample]) -> dict[str, float]:
    return {
        "requests": value(found, "litellm_proxy_total_requests_metric_total"),
        "failures": value(found, "litellm_proxy_failed_requests_metric_total"),
        "input_tokens": value(found, "litellm_input_tokens_metric_total"),
        "spend": value(found, "litellm_spend_metric_total"),
        "latency_count": value(found, "litellm_request_total_latency_metric_count"),
    }


def expected(ok: int, failed: int) -> dict[str, float]:
    return {
        "requests": ok + failed,
        "failures": failed,
        "input_tokens": ok * PROMPT_TOKENS,
        "spend": pytest.approx(ok * COST),
        "latency_count": ok,
    }


def send(base: str, ok: int, failed: int) -> None:
    statuses = [post(base, {"model": "gpt-mock", "messages": MESSAGES}) for _ in range(ok)]
    statuses += [post(base, {"model": "gpt-broken", "messages": MESSAGES}) for _ in range(failed)]
    assert statuses.count(200) == ok, statuses


def settle(url: str, want: Callable[[list[Sample]], bool], seconds: float = 20) -> list[Sample]:
    """Scrape until ``want`` holds (callbacks finish after the response; files every interval)."""
    deadline = time.monotonic() + seconds
    while True:
        found = scrape(url)
        if want(found) or time.monotonic() > deadline:
            return found
        time.sleep(INTERVAL)


def test_four_workers_every_scrape_is_exact(tmp_path: Path) -> None:
    write_auth(tmp_path, spend=10.0)
    with started_proxy(tmp_path, ENV, num_workers=4, config=priced_config) as proxy:
        assert len(proxy.workers()) == 4
        send(proxy.base, ok=32, failed=8)
        # A later spend, seen by only the workers that answer these two requests: the
        # remaining budget every scrape shows must be the latest.
        Path(tmp_path, "team_spend").write_text("20.0")
        send(proxy.base, ok=2, failed=0)
        want = expected(ok=34, failed=8)
        url = proxy.base + "/metrics"
        settle(url, lambda found: totals(found) == want)
        time.sleep(2 * INTERVAL)
        scrapes = [scrape(url) for _ in range(20)]
    for found in scrapes:
        assert totals(found) == want
        budget = value(found, "litellm_remaining_team_budget_metric", team="team-a")
        assert budget == pytest.approx(TEAM_BUDGET - 20.0 - COST)
        assert value(found, "litellm_deployment_state", litellm_model_name="mock-error-500") == 1
        assert value(found, "litellm_deployment_state", litellm_model_name="mock-ok") == 0


def wait_for_workers(proxy: Proxy, startups: int, seconds: float = 480) -> None:
    deadline = time.monotonic() + seconds
    while proxy.log.read_text(errors="replace").count("Application startup complete") < startups:
        assert time.monotonic() < deadline, "uvicorn did not respawn the killed worker"
        time.sleep(1)


def test_killed_worker_never_lowers_a_counter(tmp_path: Path) -> None:
    write_auth(tmp_path, spend=0.0)
    seen: list[dict[str, float]] = []
    done: list[float] = []  # when each request was answered
    with started_proxy(tmp_path, ENV, num_workers=2, config=priced_config) as proxy:
        url = proxy.base + "/metrics"
        for round_ in range(24):
            for _ in range(2):
                send(proxy.base, ok=1, failed=0)
                done.append(time.monotonic())
            if round_ == 8:
                victim = proxy.workers()[0]
                os.kill(victim, signal.SIGKILL)
                killed_at = time.monotonic()
            if round_ == 12:
                wait_for_workers(proxy, startups=3)  # the replacement serves from here on
                assert victim not in proxy.workers() and len(proxy.workers()) == 2
            seen += [totals(scrape(url)) for _ in range(2)]
        final = settle(url, lambda found: totals(found)["requests"] >= len(done))
        seen.append(totals(final))
        # A live worker folded the victim's hand-over file into the exited workers' one.
        (instance,) = workers.base_dir().glob(f"{proxy.process.pid}-*")
        files = {path.name for path in instance.glob("*.otlp")}
        assert exited.FILE_NAME in files, files
        assert not any(name.startswith(f"{victim}-") for name in files), files
    for key in ("requests", "input_tokens", "spend", "latency_count"):
        series = [entry[key] for entry in seen]
        assert series == sorted(series), (key, series)
    assert len(seen) >= 49
    # What the victim answered in its last interval (plus LiteLLM's logging lag) may
    # be lost; nothing else.
    window = sum(1 for at in done if killed_at - INTERVAL - 0.5 <= at <= killed_at)
    lost = len(done) - totals(final)["requests"]
    print(f"killed worker: sent {len(done)}, final {totals(final)}, lost {lost}, window {window}")
    assert 0 <= lost <= window, (lost, window)
    assert totals(final)["spend"] == pytest.approx((len(done) - lost) * COST)


def test_two_proxies_on_one_host_stay_apart(tmp_path: Path) -> None:
    first, second = Path(tmp_path, "a"), Path(tmp_path, "b")
    for workdir in (first, second):
        workdir.mkdir()
        write_auth(workdir, spend=0.0)
    with started_proxy(first, ENV, num_workers=2, config=priced_config) as a:
        with started_proxy(second, ENV, num_workers=2, config=priced_config) as b:
            send(a.base, ok=6, failed=2)
            send(b.base, ok=3, failed=1)
            for proxy, want in ((a, expected(6, 2)), (b, expected(3, 1))):
                assert_exact_scrapes(proxy.base + "/metrics", want, count=5)
        # The second proxy restarts (a new parent process): it starts from zero and the
        # first one's series are unaffected.
        with started_proxy(second, ENV, num_workers=2, config=priced_config) as b:
            send(b.base, ok=2, failed=0)
            send(a.base, ok=1, failed=0)
            for proxy, want in ((a, expected(7, 2)), (b, expected(2, 0))):
                assert_exact_scrapes(proxy.base + "/metrics", want, count=5)


def assert_exact_scrapes(url: str, want: dict[str, float], count: int = 10) -> None:
    settle(url, lambda found: totals(found) == want)
    for _ in range(count):
        assert totals(scrape(url)) == want


def test_litellm_metrics_port_serves_the_whole_proxy(tmp_path: Path) -> None:
    write_auth(tmp_path, spend=0.0)
    metrics_port = free_port()
    args = ["--prometheus_metrics_port", str(metrics_port)]
    options = {"num_workers": 2, "extra_args": args, "config": priced_config}
    with started_proxy(tmp_path, ENV, **options) as proxy:
        send(proxy.base, ok=6, failed=2)
        want = expected(ok=6, failed=2)
        assert_exact_scrapes(f"http://127.0.0.1:{metrics_port}/metrics", want)
        assert_exact_scrapes(proxy.base + "/metrics", want)


def test_gunicorn_workers_serve_the_whole_proxy(tmp_path: Path) -> None:
    write_auth(tmp_path, spend=0.0)
    args = ["--run_gunicorn"]
    options = {"num_workers": 2, "extra_args": args, "config": priced_config}
    with started_proxy(tmp_path, ENV, **options) as proxy:
        assert len(proxy.workers()) == 2
        send(proxy.base, ok=6, failed=2)
        assert_exact_scrapes(proxy.base + "/metrics", expected(ok=6, failed=2))
