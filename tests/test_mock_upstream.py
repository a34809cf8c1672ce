"""The mock upstream, driven directly over HTTP and through LiteLLM's real client code."""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # before litellm: no network

import litellm

from otel_litellm.mock_upstream import LIMIT_TOKENS, REPLY_TEXT, MockUpstream

REPLY_WORDS = len(REPLY_TEXT.split())  # 9
PROMPT = [
    {"role": "system", "content": "be brief"},
    {"role": "user", "content": [{"type": "text", "text": "say something nice please"}]},
]
PROMPT_WORDS = 6
TIMEOUT = httpx.Timeout(10.0)


@pytest.fixture(scope="module")
def server() -> Iterator[MockUpstream]:
    litellm.suppress_debug_info = True
    with MockUpstream() as upstream:
        yield upstream


@pytest.fixture(autouse=True)
def _fresh_stats(server: MockUpstream) -> None:
    server.reset_stats()


def chat(
    server: MockUpstream, model: str, headers: dict[str, str] | None = None, **extra: Any
) -> httpx.Response:
    body = {"model": model, "messages": PROMPT, **extra}
    url = f"{server.base_url}/chat/completions"
    return httpx.post(url, json=body, headers=headers, timeout=TIMEOUT)


def sse_events(text: str) -> list[str]:
    return [line[len("data: ") :] for line in text.splitlines() if line.startswith("data: ")]


def litellm_kwargs(server: MockUpstream, model: str) -> dict[str, Any]:
    # No retries anywhere (LiteLLM's own and the OpenAI SDK's) so request counts are exact.
    return {
        "model": f"openai/{model}",
        "api_base": server.base_url,
        "api_key": "sk-test",
        "messages": PROMPT,
        "num_retries": 0,
        "max_retries": 0,
        "timeout": 10,
    }


# --- direct HTTP ---------------------------------------------------------------------------


def test_chat_usage_and_ratelimit_headers(server: MockUpstream) -> None:
    first, second = chat(server, "mock-ok"), chat(server, "mock-ok")
    other = chat(server, "mock-other")
    assert first.status_code == 200
    body = first.json()
    assert body["choices"][0]["message"] == {"role": "assistant", "content": REPLY_TEXT}
    assert body["choices"][0]["finish_reason"] == "stop"
    total = PROMPT_WORDS + REPLY_WORDS
    assert body["usage"] == {
        "prompt_tokens": PROMPT_WORDS,
        "completion_tokens": REPLY_WORDS,
        "total_tokens": total,
    }
    assert first.headers["x-ratelimit-limit-requests"] == "10000"
    assert first.headers["x-ratelimit-limit-tokens"] == str(LIMIT_TOKENS)
    assert first.headers["x-ratelimit-remaining-requests"] == "9999"
    assert second.headers["x-ratelimit-remaining-requests"] == "9998"
    assert first.headers["x-ratelimit-remaining-tokens"] == str(LIMIT_TOKENS - total)
    assert second.headers["x-ratelimit-remaining-tokens"] == str(LIMIT_TOKENS - 2 * total)
    # Budgets are per model, and reset with the stats.
    assert other.headers["x-ratelimit-remaining-requests"] == "9999"
    server.reset_stats()
    assert chat(server, "mock-ok").headers["x-ratelimit-remaining-requests"] == "9999"


def test_stream_chunks_usage_and_done(server: MockUpstream) -> None:
    response = chat(server, "mock-ok", stream=True, stream_options={"include_usage": True})
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["x-ratelimit-remaining-requests"] == "9999"
    events = sse_events(response.text)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    assert all(chunk["object"] == "chat.completion.chunk" for chunk in chunks)
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == REPLY_TEXT
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["total_tokens"] == PROMPT_WORDS + REPLY_WORDS

    without_usage = sse_events(chat(server, "mock-ok", stream=True).text)
    assert all("usage" not in json.loads(event) for event in without_usage[:-1])


@pytest.mark.parametrize(
    ("model", "status", "error_type"),
    [
        ("mock-error-400", 400, "invalid_request_error"),
        ("mock-error-401", 401, "authentication_error"),
        ("mock-error-429", 429, "rate_limit_error"),
        ("mock-error-500", 500, "server_error"),
        ("mock-error-503", 503, "server_error"),
    ],
)
def test_error_models(server: MockUpstream, model: str, status: int, error_type: str) -> None:
    response = chat(server, model)
    assert response.status_code == status
    assert response.json()["error"]["type"] == error_type
    assert "x-ratelimit-remaining-requests" in response.headers
    assert server.stats.by_outcome == {f"error_{status}": 1}


def test_429_advertises_exhausted_budget(server: MockUpstream) -> None:
    response = chat(server, "mock-error-429")
    assert response.headers["retry-after"] == "1"
    assert response.headers["x-ratelimit-remaining-requests"] == "0"
    assert response.headers["x-ratelimit-remaining-tokens"] == "0"


def test_flaky_fails_every_nth_request(server: MockUpstream) -> None:
    statuses = [chat(server, "mock-flaky-3").status_code for _ in range(6)]
    assert statuses == [200, 200, 500, 200, 200, 500]
    assert server.stats.by_outcome == {"ok": 4, "error_500": 2}


def test_cached_and_reasoning_details(server: MockUpstream) -> None:
    usage = chat(server, "mock-cached-reasoning").json()["usage"]
    assert usage["prompt_tokens_details"] == {"cached_tokens": PROMPT_WORDS // 2}
    assert usage["completion_tokens_details"] == {"reasoning_tokens": 2}
    assert usage["completion_tokens"] == REPLY_WORDS


def test_behaviour_header_overrides_model_name(server: MockUpstream) -> None:
    assert chat(server, "mock-error-500", headers={"X-Mock-Behaviour": "ok"}).status_code == 200
    assert chat(server, "mock-ok", headers={"X-Mock-Behaviour": "error-429"}).status_code == 429


def test_max_tokens_truncates_reply(server: MockUpstream) -> None:
    body = chat(server, "mock-ok", max_tokens=3).json()
    assert body["choices"][0]["message"]["content"] == "The quick brown"
    assert body["choices"][0]["finish_reason"] == "length"
    assert body["usage"]["completion_tokens"] == 3


def test_slow_delays_the_answer(server: MockUpstream) -> None:
    started = time.perf_counter()
    chat(server, "mock-ok")
    fast = time.perf_counter() - started
    started = time.perf_counter()
    assert chat(server, "mock-slow-300").status_code == 200
    slow = time.perf_counter() - started
    assert slow >= 0.3
    assert fast < slow


def test_stream_first_chunk_waits_for_slow_and_chunks_are_spaced(server: MockUpstream) -> None:
    body = {"model": "mock-slow-200-chunkdelay-30", "messages": PROMPT, "stream": True}
    url = f"{server.base_url}/chat/completions"
    started = time.perf_counter()
    with httpx.stream("POST", url, json=body, timeout=TIMEOUT) as response:
        lines = response.iter_lines()
        first = next(line for line in lines if line.startswith("data: "))
        time_to_first = time.perf_counter() - started
        rest = [line for line in lines if line.startswith("data: ")]
    total = time.perf_counter() - started
    assert json.loads(first[len("data: ") :])["choices"][0]["delta"]["content"] == "The"
    assert rest[-1] == "data: [DONE]"
    assert time_to_first >= 0.2
    # Nine more chunks (eight words + finish) follow, each 30 ms after the previous one.
    assert total - time_to_first >= 9 * 0.03 * 0.9


def test_embeddings_float_and_base64(server: MockUpstream) -> None:
    url = f"{server.base_url}/embeddings"
    body = {"model": "mock-embed", "input": ["one two three", "four"], "dimensions": 4}
    floats = httpx.post(url, json=body, timeout=TIMEOUT).json()
    assert floats["usage"] == {"prompt_tokens": 4, "total_tokens": 4}
    assert [len(item["embedding"]) for item in floats["data"]] == [4, 4]
    encoded = httpx.post(url, json=body | {"encoding_format": "base64"}, timeout=TIMEOUT).json()
    decoded = struct.unpack("<4f", base64.b64decode(encoded["data"][0]["embedding"]))
    assert decoded == pytest.approx(floats["data"][0]["embedding"])
    tokenised = httpx.post(url, json=body | {"input": [5, 6, 7]}, timeout=TIMEOUT).json()
    assert tokenised["usage"]["prompt_tokens"] == 3


def test_text_completions(server: MockUpstream) -> None:
    url = f"{server.base_url}/completions"
    body = {"model": "mock-ok", "prompt": "complete this sentence"}
    plain = httpx.post(url, json=body, timeout=TIMEOUT).json()
    assert plain["object"] == "text_completion"
    assert plain["choices"][0]["text"] == REPLY_TEXT
    assert plain["usage"]["total_tokens"] == 3 + REPLY_WORDS
    streamed = httpx.post(url, json=body | {"stream": True}, timeout=TIMEOUT).text
    chunks = [json.loads(event) for event in sse_events(streamed)[:-1]]
    assert "".join(chunk["choices"][0]["text"] for chunk in chunks) == REPLY_TEXT


def test_bad_requests(server: MockUpstream) -> None:
    url = f"{server.base_url}/chat/completions"
    broken = httpx.post(url, content=b"{not json", timeout=TIMEOUT)
    assert broken.status_code == 400
    assert broken.json()["error"]["type"] == "invalid_request_error"
    assert httpx.post(url, json={"messages": []}, timeout=TIMEOUT).status_code == 400
    assert server.stats.total == 0  # rejected before any model was known


def test_stats_models_health_endpoints(server: MockUpstream) -> None:
    chat(server, "mock-ok")
    chat(server, "mock-ok")
    chat(server, "mock-error-500")
    assert server.stats.by_model == {"mock-ok": 2, "mock-error-500": 1}
    root = server.base_url.removesuffix("/v1")
    assert httpx.get(f"{root}/mock/stats", timeout=TIMEOUT).json() == {
        "total": 3,
        "by_model": {"mock-ok": 2, "mock-error-500": 1},
        "by_outcome": {"ok": 2, "error_500": 1},
    }
    assert httpx.get(f"{root}/health", timeout=TIMEOUT).json() == {"status": "ok"}
    ids = {m["id"] for m in httpx.get(f"{server.base_url}/models", timeout=TIMEOUT).json()["data"]}
    assert {"mock-ok", "mock-error-500"} <= ids
    assert httpx.post(f"{root}/mock/reset", timeout=TIMEOUT).status_code == 200
    assert server.stats.total == 0


def test_lifecycle() -> None:
    upstream = MockUpstream()
    with pytest.raises(RuntimeError):
        _ = upstream.port
    with upstream:
        with pytest.raises(RuntimeError):
            upstream.start()
        url = upstream.base_url
        assert url == f"http://127.0.0.1:{upstream.port}/v1"
        assert httpx.get(url.removesuffix("/v1") + "/health", timeout=TIMEOUT).status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(url.removesuffix("/v1") + "/health", timeout=TIMEOUT)
    upstream.stop()  # idempotent


def test_cli_serves_until_terminated() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "otel_litellm.mock_upstream", "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1.0)
                break
            except httpx.TransportError:
                assert process.poll() is None, "mock upstream CLI exited early"
                assert time.monotonic() < deadline, "mock upstream CLI never listened"
                time.sleep(0.1)
        assert health.json() == {"status": "ok"}
        process.terminate()  # SIGTERM must stop it cleanly (docker stop relies on this)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


# --- through LiteLLM ----------------------------------------------------------------------

RATELIMIT_KEYS = (
    "x-ratelimit-limit-requests",
    "x-ratelimit-limit-tokens",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-remaining-tokens",
)


@pytest.mark.asyncio
async def test_litellm_completion(server: MockUpstream) -> None:
    response = await litellm.acompletion(**litellm_kwargs(server, "mock-ok"))
    assert response.choices[0].message.content == REPLY_TEXT
    assert response.usage.prompt_tokens == PROMPT_WORDS
    assert response.usage.completion_tokens == REPLY_WORDS
    assert response.usage.total_tokens == PROMPT_WORDS + REPLY_WORDS
    headers = response._hidden_params["additional_headers"]
    # LiteLLM keeps OpenAI's hyphenated names, and repeats every upstream header
    # under an "llm_provider-" prefix.
    assert {key: headers[key] for key in RATELIMIT_KEYS} == {
        "x-ratelimit-limit-requests": "10000",
        "x-ratelimit-limit-tokens": str(LIMIT_TOKENS),
        "x-ratelimit-remaining-requests": "9999",
        "x-ratelimit-remaining-tokens": str(LIMIT_TOKENS - PROMPT_WORDS - REPLY_WORDS),
    }
    assert headers["llm_provider-x-ratelimit-remaining-requests"] == "9999"
    assert server.stats.by_model == {"mock-ok": 1}


@pytest.mark.asyncio
async def test_litellm_cached_and_reasoning_usage(server: MockUpstream) -> None:
    response = await litellm.acompletion(**litellm_kwargs(server, "mock-cached-reasoning"))
    assert response.usage.prompt_tokens_details.cached_tokens == PROMPT_WORDS // 2
    assert response.usage.completion_tokens_details.reasoning_tokens == 2


@pytest.mark.asyncio
async def test_litellm_streaming(server: MockUpstream) -> None:
    stream = await litellm.acompletion(
        **litellm_kwargs(server, "mock-ok"), stream=True, stream_options={"include_usage": True}
    )
    text, usage = "", None
    async for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            text += chunk.choices[0].delta.content
        usage = getattr(chunk, "usage", None) or usage
    assert text == REPLY_TEXT
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens) == (PROMPT_WORDS, REPLY_WORDS)
    headers = stream._hidden_params["additional_headers"]
    assert headers["x-ratelimit-remaining-requests"] == "9999"
    assert server.stats.by_model == {"mock-ok": 1}


@pytest.mark.asyncio
async def test_litellm_rate_limit_error(server: MockUpstream) -> None:
    with pytest.raises(litellm.RateLimitError) as raised:
        await litellm.acompletion(**litellm_kwargs(server, "mock-error-429"))
    assert raised.value.status_code == 429
    assert raised.value.litellm_response_headers["retry-after"] == "1"
    assert raised.value.litellm_response_headers["x-ratelimit-remaining-requests"] == "0"
    assert server.stats.by_outcome == {"error_429": 1}


@pytest.mark.asyncio
async def test_litellm_server_error(server: MockUpstream) -> None:
    with pytest.raises(litellm.InternalServerError) as raised:
        await litellm.acompletion(**litellm_kwargs(server, "mock-error-500"))
    assert raised.value.status_code == 500
    assert server.stats.by_outcome == {"error_500": 1}


@pytest.mark.asyncio
async def test_litellm_text_completion(server: MockUpstream) -> None:
    kwargs = litellm_kwargs(server, "mock-ok")
    del kwargs["messages"]
    response = await litellm.atext_completion(**kwargs, prompt="one two three")
    assert response.choices[0].text == REPLY_TEXT
    assert response.usage.prompt_tokens == 3
    assert server.stats.by_model == {"mock-ok": 1}


@pytest.mark.asyncio
async def test_litellm_embedding(server: MockUpstream) -> None:
    response = await litellm.aembedding(
        model="openai/mock-embed",
        api_base=server.base_url,
        api_key="sk-test",
        input=["one two three", "four five"],
        num_retries=0,
        max_retries=0,
    )
    assert response.usage.prompt_tokens == 5
    assert len(response.data) == 2
    assert response._hidden_params["additional_headers"]["x-ratelimit-remaining-tokens"] == str(
        LIMIT_TOKENS - 5
    )
