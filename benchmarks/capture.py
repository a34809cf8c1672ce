"""Capture real LiteLLM callback payloads (success, streaming, failure) to a pickle.

A LiteLLM ``Router`` calls the local mock upstream; a capturing ``CustomLogger``
deep-copies the ``kwargs`` LiteLLM hands to ``async_log_success_event`` and
``async_log_failure_event``.  Saved per event: the hook's four arguments
(``kwargs``, ``response_obj``, ``start_time``, ``end_time``).  The requests carry
the ``user_api_key_*`` metadata the proxy adds, so the payloads label like proxy
traffic.  Regenerated on every run.

    python -m benchmarks.capture [--out PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import importlib
import os
import pickle
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

DATA_DIR = Path(__file__).resolve().parent / "data"
PAYLOADS = DATA_DIR / "payloads.pkl"
EVENTS = ("success", "streaming", "failure")

# What the proxy's auth layer puts into a request's metadata.
PROXY_METADATA = {
    "user_api_key_hash": "88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b",
    "user_api_key_alias": "bench-key",
    "user_api_key_team_id": "team-bench",
    "user_api_key_team_alias": "Bench Team",
    "user_api_key_user_id": "user-bench",
    "user_api_key_user_email": "bench@example.com",
    "user_api_key_org_id": "org-bench",
    "user_api_key_request_route": "/chat/completions",
}


@dataclass(frozen=True)
class SavedException:
    """An exception LiteLLM passed, kept as class + state: its ``__init__`` may not re-run."""

    module: str
    name: str
    args: tuple[Any, ...]
    state: dict[str, Any]

    def rebuild(self) -> BaseException:
        cls = getattr(importlib.import_module(self.module), self.name)
        error: BaseException = cls.__new__(cls)
        error.args = self.args
        error.__dict__.update(self.state)
        return error


def portable(value: Any) -> Any:
    """A deep copy of ``value`` that pickles; what cannot be copied becomes None.

    LiteLLM's payload holds a few live objects (a coroutine, clients); no
    metrics code reads them.
    """
    if isinstance(value, dict):
        return {key: portable(item) for key, item in value.items()}
    if type(value) in (list, tuple):  # exact types: a namedtuple cannot be rebuilt this way
        return type(value)(portable(item) for item in value)
    if isinstance(value, BaseException):
        state = {key: portable(item) for key, item in vars(value).items()}
        args = tuple(portable(arg) for arg in value.args)
        cls = type(value)
        return SavedException(cls.__module__, cls.__qualname__, args, state)
    try:
        copied = copy.deepcopy(value)
        pickle.dumps(copied)
    except Exception:
        return None
    return copied


def _call(kwargs: Any, response_obj: Any, start_time: Any, end_time: Any) -> dict[str, Any]:
    """One hook call's arguments, as LiteLLM passed them."""
    call: dict[str, Any] = portable(
        {
            "kwargs": kwargs,
            "response_obj": response_obj,
            "start_time": start_time,
            "end_time": end_time,
        }
    )
    return call


def _restore(value: Any) -> Any:
    if isinstance(value, SavedException):
        return value.rebuild()
    if isinstance(value, dict):
        return {key: _restore(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_restore(item) for item in value]
    return value


def _model_list(api_base: str) -> list[dict[str, Any]]:
    deployments = {
        "gpt-mock": "openai/mock-ok",
        "gpt-stream": "openai/mock-ok-chunkdelay-1",
        "gpt-broken": "openai/mock-error-500",
    }
    return [
        {
            "model_name": name,
            "litellm_params": {"model": model, "api_base": api_base, "api_key": "sk-upstream"},
        }
        for name, model in deployments.items()
    ]


async def _capture(api_base: str) -> dict[str, dict[str, Any]]:
    import litellm
    from litellm.integrations.custom_logger import CustomLogger

    captured: dict[str, dict[str, Any]] = {}

    class Capture(CustomLogger):  # type: ignore[misc]
        async def async_log_success_event(
            self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any
        ) -> None:
            event = "streaming" if kwargs.get("stream") else "success"
            captured.setdefault(event, _call(kwargs, response_obj, start_time, end_time))

        async def async_log_failure_event(
            self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any
        ) -> None:
            captured.setdefault("failure", _call(kwargs, response_obj, start_time, end_time))

    capture = Capture()
    litellm.callbacks.append(capture)
    router = litellm.Router(model_list=_model_list(api_base), num_retries=0)
    messages = [{"role": "user", "content": "hello from the benchmark suite"}]
    try:
        await router.acompletion(model="gpt-mock", messages=messages, metadata=dict(PROXY_METADATA))
        stream = await router.acompletion(
            model="gpt-stream",
            messages=messages,
            stream=True,
            stream_options={"include_usage": True},
            metadata=dict(PROXY_METADATA),
        )
        async for _ in stream:
            pass
        with contextlib.suppress(Exception):  # the failure event is what we want
            await router.acompletion(
                model="gpt-broken", messages=messages, metadata=dict(PROXY_METADATA)
            )
        deadline = time.monotonic() + 20
        while set(captured) != set(EVENTS) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)  # LiteLLM runs the logging hooks as background tasks
    finally:
        litellm.callbacks.remove(capture)
    missing = set(EVENTS) - set(captured)
    if missing:
        raise RuntimeError(f"no payload captured for {sorted(missing)}")
    return captured


def capture(out: Path = PAYLOADS) -> Path:
    from otel_litellm.mock_upstream import MockUpstream

    with MockUpstream() as upstream:
        payloads = asyncio.run(_capture(upstream.base_url))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pickle.dumps(payloads))
    return out


def load(path: Path = PAYLOADS) -> dict[str, dict[str, Any]]:
    saved: dict[str, dict[str, Any]] = pickle.loads(path.read_bytes())
    return {event: _restore(kwargs) for event, kwargs in saved.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=PAYLOADS)
    # Through the package, so the pickle names benchmarks.capture, not __main__.
    from benchmarks.capture import capture as run

    path = run(parser.parse_args().out)
    print(f"captured {', '.join(EVENTS)} payloads into {path}")


if __name__ == "__main__":
    main()
