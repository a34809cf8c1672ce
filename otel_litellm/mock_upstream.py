"""Deterministic OpenAI-compatible upstream for tests, benchmarks and the demo.

LiteLLM is pointed at this server (``api_base=MockUpstream().base_url``) so its
real HTTP, streaming, retry and error-mapping code runs without a network.

Usage accounting (exact, so tests can assert it):

* ``prompt_tokens``: number of whitespace-separated words across every text
  input -- chat message contents (strings or ``{"type": "text"}`` parts) and
  embedding inputs.  A pre-tokenised input (a list of ints) counts one per int.
* ``completion_tokens``: number of words in the reply, which is always
  ``REPLY_TEXT`` (9 words), cut to ``max_tokens``/``max_completion_tokens``
  words when that is smaller (then ``finish_reason`` is ``"length"``).
* ``total_tokens`` = prompt + completion (embeddings: prompt only).

Behaviour is selected by tokens in the requested model name, or by an
``X-Mock-Behaviour`` request header which, when present, replaces the name:

* ``error-<4xx|5xx>``: answer with that status and an OpenAI-style error body;
  ``error-429`` adds ``retry-after`` and zero remaining rate-limit headers.
* ``flaky-<n>``: every n-th request for that model answers 500.
* ``slow-<ms>``: wait before answering (streams: before the first chunk).
* ``chunkdelay-<ms>``: gap between stream chunks (default 2 ms).
* ``cached``: ``prompt_tokens_details.cached_tokens`` = prompt_tokens // 2.
* ``reasoning``: ``completion_tokens_details.reasoning_tokens`` = 2 (a part of
  completion_tokens, as OpenAI reports it).

Rate-limit headers per model: limits are ``LIMIT_REQUESTS``/``LIMIT_TOKENS``;
remaining requests = limit - requests received for that model (this one
included), remaining tokens = limit - total_tokens served to that model.
``reset_stats()`` (or ``POST /mock/reset``) restores them.

Stats (``MockUpstream.stats``, ``GET /mock/stats``) cover the model endpoints:
``by_model`` counts requests on arrival, ``by_outcome`` counts answers as
``"ok"`` or ``"error_<status>"``; malformed requests (no model) are not counted.

Endpoints: POST /v1/chat/completions, POST /v1/completions (prompt words count
as above), POST /v1/embeddings, GET /v1/models, GET /health, GET /mock/stats,
POST /mock/reset.

CLI: ``python -m otel_litellm.mock_upstream --host 127.0.0.1 --port 8080``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import dataclasses
import json
import logging
import re
import signal
import struct
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

from aiohttp import web

REPLY_TEXT = "The quick brown fox jumps over the lazy dog."
LIMIT_REQUESTS = 10_000
LIMIT_TOKENS = 1_000_000
REASONING_TOKENS = 2
RETRY_AFTER_SECONDS = 1
DEFAULT_CHUNK_DELAY_MS = 2
EMBEDDING_DIMENSIONS = 8

Json = dict[str, Any]
_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_log = logging.getLogger(__name__)
_INT_TOKEN = re.compile(r"(?<![a-z0-9])(error|slow|flaky|chunkdelay)-(\d+)")
_ERROR_TYPES = {401: "authentication_error", 429: "rate_limit_error"}


@dataclasses.dataclass(frozen=True)
class Behaviour:
    error_status: int | None = None
    slow_ms: int = 0
    flaky_every: int = 0
    chunk_delay_ms: int = DEFAULT_CHUNK_DELAY_MS
    cached: bool = False
    reasoning: bool = False


def parse_behaviour(spec: str) -> Behaviour:
    spec = spec.lower()
    ints = {name: int(value) for name, value in _INT_TOKEN.findall(spec)}
    words = set(re.split(r"[^a-z0-9]+", spec))
    status = ints.get("error")
    return Behaviour(
        # Outside 4xx/5xx it would not be an error, and may not even be a valid status.
        error_status=status if status is not None and 400 <= status <= 599 else None,
        slow_ms=ints.get("slow", 0),
        flaky_every=ints.get("flaky", 0),
        chunk_delay_ms=ints.get("chunkdelay", DEFAULT_CHUNK_DELAY_MS),
        cached="cached" in words,
        reasoning="reasoning" in words,
    )


@dataclasses.dataclass(frozen=True)
class StatsSnapshot:
    total: int
    by_model: dict[str, int]
    by_outcome: dict[str, int]


class MockState:
    """Per-model counters; the server thread writes while callers read, hence the lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: Counter[str] = Counter()
        self._outcomes: Counter[str] = Counter()
        self._tokens: Counter[str] = Counter()

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._outcomes.clear()
            self._tokens.clear()

    def admit(self, model: str) -> int:
        """Count a request on arrival; return its 1-based ordinal for that model."""
        with self._lock:
            self._requests[model] += 1
            return self._requests[model]

    def settle(self, model: str, outcome: str, tokens: int) -> tuple[int, int]:
        """Record how a request ended; return (remaining requests, remaining tokens)."""
        with self._lock:
            self._outcomes[outcome] += 1
            self._tokens[model] += tokens
            return (
                max(0, LIMIT_REQUESTS - self._requests[model]),
                max(0, LIMIT_TOKENS - self._tokens[model]),
            )

    def snapshot(self) -> StatsSnapshot:
        with self._lock:
            by_model = dict(self._requests)
            return StatsSnapshot(sum(by_model.values()), by_model, dict(self._outcomes))


def _words(value: Any) -> int:
    """Token count of one input value, per the formula in the module docstring."""
    if isinstance(value, str):
        return len(value.split())
    if isinstance(value, list):
        if value and all(isinstance(item, int) for item in value):
            return len(value)
        return sum(_words(item) for item in value)
    if isinstance(value, dict) and value.get("type", "text") == "text":
        return _words(value.get("text"))
    return 0


def _ratelimit_headers(remaining_requests: int, remaining_tokens: int) -> dict[str, str]:
    return {
        "x-ratelimit-limit-requests": str(LIMIT_REQUESTS),
        "x-ratelimit-limit-tokens": str(LIMIT_TOKENS),
        "x-ratelimit-remaining-requests": str(remaining_requests),
        "x-ratelimit-remaining-tokens": str(remaining_tokens),
    }


def _choice(chat: bool, streaming: bool, text: str | None, finish: str | None) -> Json:
    if not chat:
        return {"index": 0, "text": text or "", "logprobs": None, "finish_reason": finish}
    message = {} if text is None else {"role": "assistant", "content": text}
    return {"index": 0, "delta" if streaming else "message": message, "finish_reason": finish}


def _embedding(index: int, tokens: int, dimensions: int, encoding: str) -> Any:
    vector = [((index + 1) * (tokens + 1) * (j + 1) % 97) / 97 for j in range(dimensions)]
    if encoding == "base64":
        # The OpenAI SDK requests base64 by default and decodes it as little-endian float32.
        return base64.b64encode(struct.pack(f"<{dimensions}f", *vector)).decode()
    return vector


class _Reject(Exception):
    """Ends a handler early with an OpenAI-style error response (see _unwrap_rejections)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        fallback = "server_error" if status >= 500 else "invalid_request_error"
        kind = _ERROR_TYPES.get(status, fallback)
        error = {"message": message, "type": kind, "param": None, "code": str(status)}
        self.response = web.json_response({"error": error}, status=status, headers=headers)


@web.middleware
async def _unwrap_rejections(request: web.Request, handler: _Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except _Reject as rejection:
        return rejection.response


async def _read(request: web.Request) -> Json:
    try:
        body = await request.json()
    except ValueError:
        raise _Reject(400, "body is not valid JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("model"), str):
        raise _Reject(400, "'model' is required")
    return body


def _sse(payload: Json) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()


async def _stream(
    request: web.Request,
    headers: dict[str, str],
    base: Json,
    choices: list[Json],
    usage: Json | None,
    delay_ms: int,
) -> web.StreamResponse:
    response = web.StreamResponse(headers=headers | {"Content-Type": "text/event-stream"})
    await response.prepare(request)
    for i, choice in enumerate(choices):
        if i and delay_ms:
            await asyncio.sleep(delay_ms / 1000)
        await response.write(_sse(base | {"choices": [choice]}))
    if usage is not None:
        await response.write(_sse(base | {"choices": [], "usage": usage}))
    await response.write(b"data: [DONE]\n\n")
    await response.write_eof()
    return response


class _Handlers:
    def __init__(self, state: MockState) -> None:
        self.state = state

    async def _admit(
        self, request: web.Request, model: str, tokens: int
    ) -> tuple[Behaviour, dict[str, str]]:
        """Front half shared by the model endpoints: count, delay, maybe fail."""
        behaviour = parse_behaviour(request.headers.get("X-Mock-Behaviour", model))
        ordinal = self.state.admit(model)
        if behaviour.slow_ms:
            await asyncio.sleep(behaviour.slow_ms / 1000)
        status = behaviour.error_status
        if status is None and behaviour.flaky_every and ordinal % behaviour.flaky_every == 0:
            status = 500
        if status is None:
            return behaviour, _ratelimit_headers(*self.state.settle(model, "ok", tokens))
        headers = _ratelimit_headers(*self.state.settle(model, f"error_{status}", 0))
        if status == 429:
            headers = _ratelimit_headers(0, 0) | {"retry-after": str(RETRY_AFTER_SECONDS)}
        raise _Reject(status, f"mock upstream: simulated HTTP {status} for {model!r}", headers)

    async def chat(self, request: web.Request) -> web.StreamResponse:
        return await self._generate(request, chat=True)

    async def completions(self, request: web.Request) -> web.StreamResponse:
        return await self._generate(request, chat=False)

    async def _generate(self, request: web.Request, chat: bool) -> web.StreamResponse:
        body = await _read(request)
        if chat:
            messages = body.get("messages") or []
            prompt = _words([m.get("content") for m in messages if isinstance(m, dict)])
        else:
            prompt = _words(body.get("prompt"))
        words = REPLY_TEXT.split()
        limit = body.get("max_completion_tokens") or body.get("max_tokens")
        finish = "length" if isinstance(limit, int) and 0 < limit < len(words) else "stop"
        words = words[:limit] if finish == "length" else words
        completion = len(words)
        behaviour, headers = await self._admit(request, body["model"], prompt + completion)
        usage: Json = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
        if behaviour.cached:
            usage["prompt_tokens_details"] = {"cached_tokens": prompt // 2}
        if behaviour.reasoning:
            usage["completion_tokens_details"] = {"reasoning_tokens": REASONING_TOKENS}
        base: Json = {
            "id": f"{'chatcmpl' if chat else 'cmpl'}-mock-{time.monotonic_ns()}",
            "object": "chat.completion" if chat else "text_completion",
            "created": int(time.time()),
            "model": body["model"],
        }
        if not body.get("stream"):
            reply = _choice(chat, False, " ".join(words), finish)
            return web.json_response(base | {"choices": [reply], "usage": usage}, headers=headers)
        if chat:
            base["object"] = "chat.completion.chunk"
        pieces = [words[0]] + [f" {word}" for word in words[1:]]
        choices = [_choice(chat, True, piece, None) for piece in pieces]
        choices.append(_choice(chat, True, None, finish))
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        usage_or_none = usage if include_usage else None
        return await _stream(
            request, headers, base, choices, usage_or_none, behaviour.chunk_delay_ms
        )

    async def embeddings(self, request: web.Request) -> web.StreamResponse:
        body = await _read(request)
        raw = body.get("input")
        # A flat int list is one pre-tokenised input; any other list is a batch.
        inputs = raw if isinstance(raw, list) and raw and not isinstance(raw[0], int) else [raw]
        counts = [_words(item) for item in inputs]
        _, headers = await self._admit(request, body["model"], sum(counts))
        dims = body.get("dimensions")
        dims = dims if isinstance(dims, int) and dims > 0 else EMBEDDING_DIMENSIONS
        encoding = str(body.get("encoding_format") or "float")
        data = [
            {"object": "embedding", "index": i, "embedding": _embedding(i, n, dims, encoding)}
            for i, n in enumerate(counts)
        ]
        usage = {"prompt_tokens": sum(counts), "total_tokens": sum(counts)}
        payload = {"object": "list", "data": data, "model": body["model"], "usage": usage}
        return web.json_response(payload, headers=headers)

    async def models(self, _: web.Request) -> web.Response:
        names = sorted(set(self.state.snapshot().by_model) | {"mock-ok"})
        data = [{"id": n, "object": "model", "created": 0, "owned_by": "mock"} for n in names]
        return web.json_response({"object": "list", "data": data})

    async def health(self, _: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def stats(self, _: web.Request) -> web.Response:
        return web.json_response(dataclasses.asdict(self.state.snapshot()))

    async def reset(self, _: web.Request) -> web.Response:
        self.state.reset()
        return web.json_response({"status": "reset"})


def build_app(state: MockState) -> web.Application:
    handlers = _Handlers(state)
    app = web.Application(middlewares=[_unwrap_rejections])
    app.router.add_post("/v1/chat/completions", handlers.chat)
    app.router.add_post("/v1/completions", handlers.completions)
    app.router.add_post("/v1/embeddings", handlers.embeddings)
    app.router.add_get("/v1/models", handlers.models)
    app.router.add_get("/health", handlers.health)
    app.router.add_get("/mock/stats", handlers.stats)
    app.router.add_post("/mock/reset", handlers.reset)
    return app


async def _start_runner(
    host: str, port: int, state: MockState, access_log: bool
) -> tuple[web.AppRunner, int]:
    # A short shutdown timeout so stop() never hangs on a client holding a stream open.
    log = _log if access_log else None
    runner = web.AppRunner(build_app(state), shutdown_timeout=1.0, access_log=log)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner, int(runner.addresses[0][1])


async def serve(
    host: str = "127.0.0.1",
    port: int = 8080,
    state: MockState | None = None,
    access_log: bool = False,
) -> None:
    """Serve until cancelled."""
    runner, bound = await _start_runner(host, port, state or MockState(), access_log)
    _log.info("mock upstream listening on http://%s:%d/v1", host, bound)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    try:
        loop.run_forever()
    finally:
        loop.close()


class MockUpstream:
    """The mock server on a daemon thread with its own event loop, for any caller."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host = host
        self._requested_port = port
        self._state = MockState()
        self._port: int | None = None
        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 10.0) -> MockUpstream:
        if self._thread is not None:
            raise RuntimeError("MockUpstream already started")
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=_run_loop, args=(loop,), name="mock-upstream", daemon=True)
        thread.start()
        starting = _start_runner(self._host, self._requested_port, self._state, access_log=False)
        try:
            started = asyncio.run_coroutine_threadsafe(starting, loop).result(timeout)
        except BaseException:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout)
            raise
        (self._runner, self._port), self._loop, self._thread = started, loop, thread
        return self

    def stop(self, timeout: float = 10.0) -> None:
        loop, thread, runner = self._loop, self._thread, self._runner
        if loop is None or thread is None or runner is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout)
            self._loop = self._thread = self._runner = self._port = None

    def __enter__(self) -> MockUpstream:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("MockUpstream is not running")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self.port}/v1"

    @property
    def stats(self) -> StatsSnapshot:
        return self._state.snapshot()

    def reset_stats(self) -> None:
        self._state.reset()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Deterministic OpenAI-compatible mock upstream")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--access-log", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    asyncio.run(_serve_until_signalled(args.host, args.port, args.access_log))


async def _serve_until_signalled(host: str, port: int, access_log: bool) -> None:
    # As PID 1 in a container SIGTERM has no default action, so stop on it explicitly.
    task = asyncio.current_task()
    assert task is not None
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await serve(host, port, access_log=access_log)


if __name__ == "__main__":
    main()
