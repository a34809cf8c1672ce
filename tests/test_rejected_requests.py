"""Requests the real proxy rejects before routing: counted once, and no credential kept.

The proxy answers an unknown virtual key with 400 (no database to look it up in), and a
missing key with 500 up to LiteLLM 1.109, 401 from 1.110; it hands every rejected request
to both failure handlers.  A request whose provider refuses the deployment's own key is
not rejected by the proxy: it reached a deployment, and that deployment is failing.
"""

from __future__ import annotations

import hashlib
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.support.proxy import MASTER_KEY, proxy_config, running_proxy
from tests.support.scrape import Sample, fetch, parse, value

pytestmark = [pytest.mark.proxy, pytest.mark.slow]

MESSAGES = [{"role": "user", "content": "hi"}]
BAD_KEYS = ("sk-wrong-one-111", "sk-wrong-two-222", "AIzaSyWRONG-google-333", "hunter2-password")


def with_denied_deployment(api_base: str) -> str:
    """The test config plus a deployment whose provider answers 401 to its key."""
    return proxy_config(api_base).replace(
        "model_list:\n",
        "model_list:\n  - model_name: gpt-denied\n    litellm_params: "
        f'{{model: openai/mock-error-401, api_base: "{api_base}", api_key: sk-up}}\n',
        1,
    )


@dataclass
class Run:
    statuses: list[int]  # the proxy's answers to the rejected requests, in order
    text: str  # the scrape after them and the denied deployment's request


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
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    workdir = tmp_path_factory.mktemp("rejected")
    with running_proxy(workdir, config_for=with_denied_deployment) as base:
        ok = json.dumps({"model": "gpt-mock", "messages": MESSAGES}).encode()
        statuses = [send(base, ok, f"Bearer {key}") for key in BAD_KEYS]
        statuses.append(send(base, ok, None))
        unknown = json.dumps({"model": "no-such-model", "messages": MESSAGES}).encode()
        statuses.append(send(base, unknown, f"Bearer {MASTER_KEY}"))
        statuses.append(send(base, b"{not json", f"Bearer {MASTER_KEY}"))
        assert all(status >= 400 for status in statuses), statuses
        denied = json.dumps({"model": "gpt-denied", "messages": MESSAGES}).encode()
        assert send(base, denied, f"Bearer {MASTER_KEY}") == 401
        deadline = time.monotonic() + 20
        while True:
            body = fetch(base + "/metrics")
            done = value(parse(body), "litellm_proxy_failed_requests_metric_total") >= 8
            if done or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        time.sleep(1.0)  # the proxy's sync failure handler runs in a thread: let it finish
        yield Run(statuses, fetch(base + "/metrics"))


@pytest.fixture(scope="module")
def scraped(run: Run) -> str:
    return run.text


DENIED = {"gpt-denied", "mock-error-401"}  # the deployment's group and model names


def rejected_only(found: list[Sample], name: str) -> float:
    """``name``'s count without the denied deployment's request."""
    return sum(s.value for s in found if s.name == name and not DENIED & {*s.labels.values()})


def test_each_rejected_request_is_counted_once(run: Run) -> None:
    found = parse(run.text)
    assert rejected_only(found, "litellm_proxy_failed_requests_metric_total") == 7
    # Both failure handlers fire for these, and LiteLLM's own logger counts each once in
    # its request and deployment families, except a request answered 401: its rule for an
    # invalid client key records nothing there.  The missing key is answered 500 on 1.106
    # (LiteLLM counts 7 of 7) and 401 on 1.110 (6 of 7); a drop-in counts the same.
    counted = sum(status != 401 for status in run.statuses)
    assert counted >= 6
    for name in (
        "litellm_llm_api_failed_requests_metric_total",
        "litellm_deployment_failure_responses_total",
        "litellm_deployment_total_requests_total",
    ):
        assert rejected_only(found, name) == counted, name


def test_a_rejected_request_names_no_deployment(run: Run) -> None:
    """The proxy names gpt-mock's deployment on a request it turned down before routing;
    as in LiteLLM, that deployment is not marked failing, nor named on the failure."""
    found = parse(run.text)
    states = {
        s.labels.get("litellm_model_name") for s in found if s.name == "litellm_deployment_state"
    }
    assert states and not states & {"gpt-mock", "mock-ok"}
    for sample in found:
        if sample.name.startswith("litellm_deployment_") and not DENIED & {*sample.labels.values()}:
            assert not {"model_id", "api_base", "litellm_model_name"} & {*sample.labels}, sample


def test_a_deployment_refused_by_its_provider_is_a_failing_deployment(run: Run) -> None:
    """A 401 the provider gives the deployment's own key is not the client's invalid key.

    LiteLLM 1.110 counts it in its request and deployment families and marks the
    deployment in partial outage; 1.106 records nothing of it, so a deployment whose
    provider key was revoked never shows as failing (we count it on every version).
    """
    found = parse(run.text)
    assert value(found, "litellm_llm_api_failed_requests_metric_total", model="mock-error-401") == 1
    # The client's key was good: its label stays on the deployment's failure.
    failed = {"requested_model": "gpt-denied", "hashed_api_key": "litellm_proxy_master_key"}
    failures = "litellm_deployment_failure_responses_total"
    assert value(found, failures, exception_status="401", **failed) == 1
    assert value(found, "litellm_deployment_total_requests_total", **failed) == 1
    assert value(found, "litellm_deployment_state", litellm_model_name="mock-error-401") == 1


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
