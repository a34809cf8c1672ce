"""The Redis circuit breaker families: recorded from LiteLLM's hook, or bridged, never both."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY, generate_latest

import otel_litellm
from otel_litellm import bridge
from otel_litellm.services import ServiceRecorder
from otel_litellm.setup import Instrumentation
from tests.support.redis import RedisServer
from tests.support.scrape import Sample, fetch, parse, value

STATE = "litellm_redis_circuit_breaker_state"


@pytest.fixture
def handle() -> Iterator[Instrumentation]:
    otel_litellm.uninstrument()
    handle = otel_litellm.instrument(prometheus_port=0, services=True, register=False)
    yield handle
    otel_litellm.uninstrument()


def _recorder(handle: Instrumentation) -> ServiceRecorder:
    assert handle.services is not None
    return handle.services


def test_breaker_events_give_litellms_families(handle: Instrumentation) -> None:
    recorder = _recorder(handle)
    recorder.breaker(None, None)  # start-up: every state present at 0
    assert handle.metrics_url is not None
    found = parse(fetch(handle.metrics_url))
    assert _states(found) == {"closed": 0, "open": 0, "half_open": 0}
    recorder.breaker("open", None)
    recorder.breaker(None, "ConnectionError")
    recorder.breaker(None, "ConnectionError")
    recorder.breaker("half_open", None)
    found = parse(fetch(handle.metrics_url))
    assert value(found, "litellm_redis_circuit_breaker_transitions_total", state="open") == 1
    assert value(found, "litellm_redis_circuit_breaker_transitions_total", state="half_open") == 1
    failures = "litellm_redis_circuit_breaker_failures_total"
    assert value(found, failures, failure_class="ConnectionError") == 2


def test_litellms_own_breaker_families_are_served_once(handle: Instrumentation) -> None:
    """Whatever the installed LiteLLM does with breaker events, one family each in the scrape."""
    from litellm.caching import redis_cache

    metrics = getattr(redis_cache, "_breaker_metrics", None)
    if metrics is None or bridge.breaker_hook_available():
        # 1.108+: the services logger owns them; recorded by ServiceRecorder.breaker.
        _recorder(handle).breaker("open", None)
    else:  # 1.106: the cache writes them straight to prometheus_client; bridged.
        metrics().record_transition("open")
        metrics().record_state_change(None, "open")
    assert handle.metrics_url is not None
    try:
        text = fetch(handle.metrics_url)
    finally:
        _forget_litellms_breaker_families()
    for family in ("transitions", "state"):
        assert text.count(f"# TYPE litellm_redis_circuit_breaker_{family}") == 1, family
    found = parse(text)
    assert value(found, "litellm_redis_circuit_breaker_transitions_total", state="open") >= 1


def test_breaker_states_follow_litellms_services_logger(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy reads ``callbacks:`` (importing ours) before ``service_callback:``; the
    breakers per state LiteLLM writes when it then builds its services logger are in our
    scrape too, with LiteLLM's labels and values (1.108+: recorded, every state present;
    1.106: its cache's own family, bridged)."""
    import litellm
    from litellm._service_logger import ServiceLogging
    from litellm.caching.redis_cache import RedisCache

    otel_litellm.uninstrument()
    monkeypatch.setattr(litellm, "service_callback", [])
    handle = otel_litellm.instrument(prometheus_port=0, register=False)
    try:
        assert handle.metrics_url is not None
        with RedisServer() as redis:
            cache = RedisCache(host="127.0.0.1", port=redis.port)  # one breaker, closed
            litellm.service_callback.append("prometheus_system")  # the config's later line
            ServiceLogging()  # as the proxy builds one (or lazily, at its first service event)
            ours = _states(parse(fetch(handle.metrics_url)))
            theirs = _states(parse(generate_latest(REGISTRY).decode()))
            del cache
    finally:
        otel_litellm.uninstrument()
        _forget_litellms_breaker_families()
    assert ours == theirs
    assert ours["closed"] == 1
    if bridge.breaker_hook_available():
        assert ours == {"closed": 1, "open": 0, "half_open": 0}


def _states(found: list[Sample]) -> dict[str, float]:
    return {s.labels["state"]: s.value for s in found if s.name == STATE}


def _forget_litellms_breaker_families() -> None:
    """LiteLLM registers them once per process; other tests must not see them."""
    from litellm.caching import redis_cache
    from prometheus_client import REGISTRY

    metrics = getattr(redis_cache, "_breaker_metrics", None)
    if metrics is None or metrics.cache_info().currsize == 0:
        return
    for collector in vars(metrics()).values():
        if collector is not None:
            REGISTRY.unregister(collector)
    metrics.cache_clear()
