"""Requests the real proxy rejects before routing: counted once, and no credential kept.

The proxy answers an unknown virtual key with 400 (no database to look it up in), a
missing key with 500, and hands every rejected request to both failure handlers.
"""

from __future__ import annotations

import hashlib
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from tests.support.proxy import MASTER_KEY, running_proxy
from tests.support.scrape import fetch, parse, value

pytestmark = [pytest.mark.proxy, pytest.mark.slow]

MESSAGES = [{"role": "user", "content": "hi"}]
BAD_KEYS = ("sk-wrong-one-111", "sk-wrong-two-222", "AIzaSyWRONG-google-333", "hunter2-password")


def send(base: str, body: bytes, authorization: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    request = urllib.request.Request(base + "/chat/completions", data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@pytest.fixture(scope="module")
def scraped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_proxy(tmp_path_factory.mktemp("rejected")) as base:
        ok = json.dumps({"model": "gpt-mock", "messages": MESSAGES}).encode()
        statuses = [send(base, ok, f"Bearer {key}") for key in BAD_KEYS]
        statuses.append(send(base, ok, None))
        unknown = json.dumps({"model": "no-such-model", "messages": MESSAGES}).encode()
        statuses.append(send(base, unknown, f"Bearer {MASTER_KEY}"))
        statuses.append(send(base, b"{not json", f"Bearer {MASTER_KEY}"))
        assert all(status >= 400 for status in statuses), statuses
        deadline = time.monotonic() + 20
        while True:
            body = fetch(base + "/metrics")
            done = value(parse(body), "litellm_proxy_failed_requests_metric_total") >= 7
            if done or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        time.sleep(1.0)  # the proxy's sync failure handler runs in a thread: let it finish
        yield fetch(base + "/metrics")


def test_each_rejected_request_is_counted_once(scraped: str) -> None:
    found = parse(scraped)
    assert value(found, "litellm_proxy_failed_requests_metric_total") == 7
    # Both failure handlers fire for these; LiteLLM's own logger counts each once.
    assert value(found, "litellm_llm_api_failed_requests_metric_total") == 7
    assert value(found, "litellm_deployment_failure_responses_total") == 7
    assert value(found, "litellm_deployment_total_requests_total") == 7


def test_no_presented_key_appears_in_any_form(scraped: str) -> None:
    for key in BAD_KEYS:
        assert key not in scraped
        assert hashlib.sha256(key.encode()).hexdigest() not in scraped
    keys = {
        sample.labels.get("hashed_api_key")
        for sample in parse(scraped)
        if sample.name.startswith("litellm_")
    }
    # Only the authenticated master key (LiteLLM's placeholder name for it) is a key label.
    assert keys <= {None, "", "None", "litellm_proxy_master_key"}


def test_refused_keys_share_one_series(scraped: str) -> None:
    series = [
        s
        for s in parse(scraped)
        if s.name == "litellm_proxy_failed_requests_metric_total"
        and s.labels.get("exception_status") == "400"
        and s.labels.get("requested_model") == "gpt-mock"
    ]
    assert len(series) == 1 and series[0].value == len(BAD_KEYS)
