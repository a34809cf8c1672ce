"""No raw API key, prompt or reply text in any scrape or OTLP payload; e-mail and end-user
labels can be turned off.  Real LiteLLM traffic to the local mock upstream carries them."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Iterator
from types import SimpleNamespace

import litellm
import pytest

import otel_litellm
from otel_litellm.mock_upstream import REPLY_TEXT, MockUpstream
from tests.support.otlp_sink import OtlpSink
from tests.support.scrape import fetch, parse, value

RAW_KEY = "sk-raw-PRIVATE-key-789"
UPSTREAM_KEY = "sk-upstream-SECRET-abc123"
PROMPT = "zebra sapphire lighthouse mandolin"
EMAIL = "person@example.com"
END_USER = "end-user-4242"
SECRETS = (RAW_KEY, UPSTREAM_KEY, PROMPT, "zebra", REPLY_TEXT, "lazy dog", EMAIL, END_USER)
METADATA = {
    "user_api_key_hash": RAW_KEY,
    "user_api_key_team_id": "team-privacy",
    "user_api_key_user_email": EMAIL,
    "user_api_key_end_user_id": END_USER,
}


async def traffic(upstream: MockUpstream) -> None:
    async def call(model: str, **extra: object) -> object:
        return await litellm.acompletion(
            model=f"openai/{model}",
            api_base=upstream.base_url,
            api_key=UPSTREAM_KEY,
            messages=[{"role": "user", "content": PROMPT}],
            metadata=dict(METADATA),
            user=END_USER,
            num_retries=0,
            max_retries=0,
            **extra,
        )

    await call("mock-ok")
    stream = await call("mock-ok", stream=True, stream_options={"include_usage": True})
    async for _ in stream:  # type: ignore[attr-defined]
        pass
    with pytest.raises(litellm.InternalServerError):
        await call("mock-error-500")
    await asyncio.sleep(0.5)  # LiteLLM logs from tasks after the call returns


@pytest.fixture(scope="module")
def exposed(
    upstream: MockUpstream, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, list[bytes]]]:
    with OtlpSink() as sink, pytest.MonkeyPatch.context() as env:
        env.setenv("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", sink.endpoint)
        otel_litellm.uninstrument()
        handle = otel_litellm.instrument(
            prometheus_port=0,
            exporters=("prometheus", "otlp"),
            otlp_protocol="http/protobuf",
            export_interval_ms=300,
            end_user_labels=False,
            user_email_labels=False,
        )
        try:
            asyncio.run(traffic(upstream))
            auth = SimpleNamespace(api_key=RAW_KEY, team_id="team-privacy", user_email=EMAIL)
            asyncio.run(
                handle.callback.async_post_call_failure_hook(
                    {"model": "x", "messages": [{"content": PROMPT}]}, ValueError(PROMPT), auth
                )
            )
            assert handle.metrics_url is not None
            deadline = time.monotonic() + 10
            while not value(parse(fetch(handle.metrics_url)), "litellm_requests_metric_total"):
                assert time.monotonic() < deadline
                time.sleep(0.2)
            bodies = [
                fetch(handle.metrics_url),
                fetch(handle.metrics_url, {"Accept": "application/openmetrics-text"}),
            ]
        finally:
            otel_litellm.uninstrument()  # the final OTLP export carries everything
        yield "\n".join(bodies), sink.bodies


def test_no_secret_or_text_in_scrapes_or_otlp(exposed: tuple[str, list[bytes]]) -> None:
    scraped, otlp = exposed
    assert otlp, "the sink received no OTLP export"
    for secret in SECRETS:
        assert secret not in scraped, secret
        assert not any(secret.encode() in body for body in otlp), secret


def test_api_keys_appear_only_as_litellm_hash(exposed: tuple[str, list[bytes]]) -> None:
    scraped, otlp = exposed
    hashed = hashlib.sha256(RAW_KEY.encode()).hexdigest()
    assert f'hashed_api_key="{hashed}"' in scraped
    assert any(hashed.encode() in body for body in otlp)


def test_email_and_end_user_labels_are_off_when_turned_off(
    exposed: tuple[str, list[bytes]],
) -> None:
    scraped, otlp = exposed
    labels = {label for s in parse(scraped) for label, v in s.labels.items() if v}
    assert "team" in labels
    assert not labels & {"user_email", "end_user"}
    assert not any(b"user_email" in body or b"end_user" in body for body in otlp)
