"""LiteLLM's service-health families (``service_callback: ["prometheus_system"]``)."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Iterator
from typing import Any

import litellm
import pytest
from litellm._service_logger import ServiceLogging
from litellm.integrations.prometheus_services import PrometheusServicesLogger
from litellm.types.services import ServiceTypes
from prometheus_client import REGISTRY, generate_latest

import otel_litellm
from otel_litellm.effects import is_wrapped
from otel_litellm.mock_upstream import MockUpstream
from otel_litellm.service_spec import SERVICE_METRICS, SERVICES
from otel_litellm.spec import Kind
from tests.support.proxy import post, running_proxy
from tests.support.redis import RedisServer
from tests.support.scrape import Sample, fetch, parse, value

Key = tuple[str, frozenset[tuple[str, str]]]
FAMILIES = tuple(spec.litellm_name for spec in SERVICE_METRICS)
GAUGES = frozenset(spec.litellm_name for spec in SERVICE_METRICS if spec.kind is Kind.GAUGE)
HOOKS = ("async_service_success_hook", "async_service_failure_hook")


@pytest.fixture
def service_callback() -> Iterator[list[Any]]:
    """litellm.service_callback, restored after the test."""
    saved = list(litellm.service_callback)
    otel_litellm.uninstrument()
    yield litellm.service_callback
    otel_litellm.uninstrument()
    litellm.service_callback[:] = saved


def _service_samples(found: list[Sample]) -> dict[Key, float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for s in found
        if s.name.startswith(FAMILIES) and not s.name.endswith("_created")
    }


def _litellm_samples() -> dict[Key, float]:
    return _service_samples(parse(generate_latest(REGISTRY).decode()))


def test_service_table_is_litellms() -> None:
    """SERVICES lists every ServiceTypes member with the kinds LiteLLM gives it."""
    kind_of = {"histogram": Kind.HISTOGRAM, "counter": Kind.COUNTER, "gauge": Kind.GAUGE}
    expected = {
        service.value: {
            kind_of[metric.value]
            for metric in PrometheusServicesLogger._get_service_metrics_initialize(None, service)  # type: ignore[arg-type]
        }
        for service in ServiceTypes
    }
    assert {service: set(kinds) for service, kinds in SERVICES.items()} == expected


async def _events(logger: ServiceLogging) -> None:
    queue = ServiceTypes.IN_MEMORY_SPEND_UPDATE_QUEUE
    await logger.async_service_success_hook(
        service=ServiceTypes.REDIS, duration=0.02, call_type="async_get_cache"
    )
    await logger.async_service_success_hook(
        service=ServiceTypes.REDIS, duration=3.5, call_type="async_set_cache"
    )
    await logger.async_service_failure_hook(
        service=ServiceTypes.REDIS, duration=0.1, error=ConnectionError("down"),
        call_type="async_set_cache",
    )  # fmt: skip
    await logger.async_service_failure_hook(
        service=ServiceTypes.DB, duration=0.1, error="boom", call_type="update_data"
    )
    await logger.async_service_success_hook(
        service=ServiceTypes.POD_LOCK_MANAGER, duration=60, call_type="_emit_acquired_lock_event",
        event_metadata={"gauge_labels": "parity_job:pod-1", "gauge_value": 1},
    )  # fmt: skip
    await logger.async_service_success_hook(
        service=queue, duration=0.0, call_type="add_update",
        event_metadata={"gauge_labels": queue, "gauge_value": 7},
    )  # fmt: skip
    await logger.async_service_success_hook(
        service=ServiceTypes.REDIS_DAILY_ORG_SPEND_UPDATE_QUEUE, duration=0.0, call_type="q",
        event_metadata={"gauge_labels": "org", "gauge_value": 2},
    )  # fmt: skip
    await logger.async_service_success_hook(
        service=ServiceTypes.ANTHROPIC_WIF_CACHE, duration=0.0, call_type="hit"
    )


def test_families_match_litellms_services_logger(service_callback: list[Any]) -> None:
    """The same service events give LiteLLM's exposition, sample for sample.

    Also: ``service_callback: ["prometheus_system"]`` alone turns the families on.
    """
    service_callback[:] = ["prometheus_system"]
    handle = otel_litellm.instrument(prometheus_port=0)
    assert handle.metrics_url is not None
    before = _litellm_samples()
    logger = ServiceLogging()
    asyncio.run(_events(logger))
    logger.service_success_hook(service=ServiceTypes.ROUTER, duration=0.3, call_type="acompletion")
    after = _litellm_samples()
    ours = _service_samples(parse(fetch(handle.metrics_url)))
    assert ours and ours.keys() <= after.keys()
    for key, count in after.items():
        # A gauge holds its value (the breaker states: as LiteLLM re-reads them); counts add.
        expected = count if key[0] in GAUGES else count - before.get(key, 0.0)
        assert math.isclose(ours.get(key, 0.0), expected, abs_tol=1e-9), key
    assert ("litellm_redis_failed_requests_total", frozenset(
        {("redis", "redis"), ("error_class", "ConnectionError"),
         ("function_name", "async_set_cache")})) in ours  # fmt: skip
    assert value(list(_as_samples(ours)), "litellm_in_memory_spend_update_queue_size") == 7


def _as_samples(found: dict[Key, float]) -> Iterator[Sample]:
    for (name, labels), number in found.items():
        yield Sample(name, dict(labels), number)


def test_off_unless_asked(service_callback: list[Any]) -> None:
    service_callback[:] = []
    handle = otel_litellm.instrument(prometheus_port=0)
    assert handle.metrics_url is not None
    asyncio.run(_events(ServiceLogging()))
    assert not _service_samples(parse(fetch(handle.metrics_url)))
    otel_litellm.uninstrument()

    # services=False: not even LiteLLM's own switch turns them on.
    service_callback[:] = ["prometheus_system"]
    handle = otel_litellm.instrument(prometheus_port=0, services=False)
    assert handle.metrics_url is not None and handle.services is None
    asyncio.run(_events(ServiceLogging()))
    assert not _service_samples(parse(fetch(handle.metrics_url)))


def test_uninstrument_restores_service_logging(service_callback: list[Any]) -> None:
    originals = {hook: ServiceLogging.__dict__[hook] for hook in HOOKS}
    otel_litellm.instrument(prometheus_port=0, services=True)
    assert all(is_wrapped(ServiceLogging, hook) for hook in HOOKS)
    otel_litellm.uninstrument()
    assert {hook: ServiceLogging.__dict__[hook] for hook in HOOKS} == originals


def test_semconv_naming_has_the_service_as_attribute(service_callback: list[Any]) -> None:
    handle = otel_litellm.instrument(prometheus_port=0, services=True, naming="semconv")
    assert handle.metrics_url is not None
    asyncio.run(_events(ServiceLogging()))
    found = parse(fetch(handle.metrics_url))
    duration = "litellm_service_redis_operation_duration_seconds_count"
    assert value(found, duration, litellm_service_name="redis", db_system_name="redis") == 2
    failed = "litellm_service_postgres_failed_requests_total"
    assert value(found, failed, error_type="str", db_system_name="postgresql") == 1


# -- a real Redis as LiteLLM's cache ---------------------------------------------------

_NOT_CACHE_CALLS = {"cmdstat_hello", "cmdstat_ping", "cmdstat_info", "cmdstat_client"}


def _cache_commands(redis: RedisServer) -> int:
    stats = redis.client().info("commandstats")
    return sum(int(entry["calls"]) for name, entry in stats.items() if name not in _NOT_CACHE_CALLS)


def _scrape_until(url: str, name: str, at_least: float, **labels: str) -> list[Sample]:
    deadline = time.monotonic() + 10
    while True:
        found = parse(fetch(url))
        if value(found, name, **labels) >= at_least or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


@pytest.mark.slow
def test_redis_cache_calls_and_outage(upstream: MockUpstream, service_callback: list[Any]) -> None:
    saved_cache = litellm.cache
    with RedisServer() as redis:
        handle = otel_litellm.instrument(prometheus_port=0, services=True)
        url = handle.metrics_url
        assert url is not None
        litellm.cache = litellm.Cache(type="redis", host="127.0.0.1", port=redis.port)
        router = litellm.Router(
            model_list=[{"model_name": "gpt-mock", "litellm_params": {
                "model": "openai/mock-ok", "api_base": upstream.base_url, "api_key": "sk-up"}}],
        )  # fmt: skip

        async def traffic(tag: str, count: int) -> int:
            answered = 0
            for i in range(count):
                response = await router.acompletion(
                    model="gpt-mock",
                    messages=[{"role": "user", "content": f"{tag} {i}"}],
                    caching=True,
                )
                answered += bool(response.choices)
            await asyncio.sleep(0.2)  # LiteLLM writes the cache in background tasks
            return answered

        try:
            assert asyncio.run(traffic("warm", 4)) == 4
            assert asyncio.run(traffic("warm", 4)) == 4  # served from the cache
            calls = _cache_commands(redis)
            found = _scrape_until(url, "litellm_redis_total_requests_total", calls)
            assert calls >= 8
            assert value(found, "litellm_redis_total_requests_total", redis="redis") == calls
            assert value(found, "litellm_redis_latency_count", redis="redis") == calls
            assert value(found, "litellm_redis_failed_requests_total") == 0
            assert value(found, "litellm_cache_hits_metric_total") >= 1

            redis.stop()
            assert asyncio.run(traffic("outage", 4)) == 4  # LiteLLM carries on without Redis
            found = _scrape_until(url, "litellm_redis_failed_requests_total", 1)
            failed = value(
                found, "litellm_redis_failed_requests_total",
                redis="redis", error_class="ConnectionError",
            )  # fmt: skip
            assert failed >= 1
            all_failed = value(found, "litellm_redis_failed_requests_total")
            assert value(found, "litellm_redis_total_requests_total") == calls + all_failed
            assert value(found, "litellm_redis_latency_count") == calls  # failures: no latency
            assert value(found, "litellm_self_latency_count", self="self") >= 4
        finally:
            litellm.cache = saved_cache


# -- the real proxy --------------------------------------------------------------------


@pytest.fixture(scope="module")
def services_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_proxy(tmp_path_factory.mktemp("proxy"), {"OTEL_LITELLM_SERVICES": "true"}) as base:
        yield base


@pytest.mark.proxy
@pytest.mark.slow
def test_proxy_reports_self_router_auth_and_pre_call(services_proxy: str) -> None:
    messages = [{"role": "user", "content": "hello services"}]
    statuses = [post(services_proxy, {"model": "gpt-mock", "messages": messages}) for _ in range(3)]
    assert statuses == [200, 200, 200]
    found = _scrape_until(
        services_proxy + "/metrics", "litellm_proxy_pre_call_total_requests_total", 3
    )
    for service in ("self", "router", "auth", "proxy_pre_call"):
        assert value(found, f"litellm_{service}_latency_count", **{service: service}) >= 3, service
        assert value(found, f"litellm_{service}_total_requests_total", **{service: service}) >= 3
        assert value(found, f"litellm_{service}_latency_bucket", le="+Inf") >= 3
