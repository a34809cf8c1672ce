"""Legacy names from seeds 000/002, opt-in, and the litellm_total_tokens clash decision."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import litellm
import pytest
from litellm._service_logger import ServiceLogging
from litellm.types.services import ServiceTypes
from prometheus_client.parser import text_string_to_metric_families

import otel_litellm
from otel_litellm.aliases import BY_NAME, CLASHING, SEED_LABELS
from otel_litellm.config import load_settings
from otel_litellm.mock_upstream import MockUpstream
from otel_litellm.setup import views
from tests.support.scrape import Sample, fetch, parse, value
from tests.test_sdk_metrics import call

DATABASE = "postgresql://litellm@127.0.0.1:1/litellm"


@pytest.fixture
def fresh() -> Iterator[None]:
    otel_litellm.uninstrument()
    yield
    otel_litellm.uninstrument()


async def _traffic(upstream: MockUpstream) -> None:
    await call(upstream, "mock-ok")
    await call(upstream, "mock-ok")
    with pytest.raises(litellm.InternalServerError):
        await call(upstream, "mock-error-500")
    await ServiceLogging().async_service_failure_hook(
        service=ServiceTypes.REDIS, duration=0.1, error=ConnectionError("down"), call_type="get"
    )
    await asyncio.sleep(0.5)  # LiteLLM's callbacks run as tasks after the call


def _scrape(upstream: MockUpstream, **options: Any) -> tuple[list[Sample], str]:
    handle = otel_litellm.instrument(prometheus_port=0, services=True, **options)
    assert handle.metrics_url is not None
    asyncio.run(_traffic(upstream))
    text = fetch(handle.metrics_url)
    return parse(text), text


def _label_names(found: list[Sample], name: str) -> set[str]:
    return {label for s in found if s.name == name for label in s.labels}


@pytest.mark.slow
def test_aliases_are_off_by_default(upstream: MockUpstream, fresh: None) -> None:
    found, _ = _scrape(upstream)
    assert value(found, "litellm_requests_metric_total", model="mock-ok") == 2
    # LiteLLM 1.106's label set, larger than the seed's.
    assert "api_key_alias" in _label_names(found, "litellm_requests_metric_total")
    assert not [
        s for s in found if s.name in ("litellm_total_tokens_total", "litellm_redis_fails_total")
    ]


@pytest.mark.slow
def test_aliases_on_carry_the_seed_labels(upstream: MockUpstream, fresh: None) -> None:
    found, text = _scrape(upstream, legacy_aliases=True)
    seed = set(SEED_LABELS)
    identity = {"model": "mock-ok", "team": "team-a", "team_alias": "Team A", "user": "user-1"}
    for name in ("litellm_requests_metric_total", "litellm_total_tokens_total"):
        assert _label_names(found, name) <= seed, name
        assert _label_names(found, name) >= set(identity) | {"hashed_api_key"}, name
    assert value(found, "litellm_requests_metric_total", **identity) == 2
    assert value(found, "litellm_total_tokens_total", **identity) == value(
        found, "litellm_total_tokens_metric_total", **identity
    )
    assert value(found, "litellm_total_tokens_total", **identity) > 0
    failed = "litellm_llm_api_failed_requests_metric_total"
    assert _label_names(found, failed) <= seed
    assert value(found, failed, model="mock-error-500", team="team-a") == 1
    assert value(found, "litellm_redis_fails_total", redis="redis") == 1
    assert _label_names(found, "litellm_redis_fails_total") == {"redis"}
    types = {f.name: f.type for f in text_string_to_metric_families(text)}
    assert types["litellm_total_tokens"] == "counter"


def test_aliases_by_name_and_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().legacy_aliases == ()
    assert set(load_settings(legacy_aliases=True).legacy_aliases) == set(BY_NAME)
    monkeypatch.setenv("OTEL_LITELLM_LEGACY_ALIASES", "litellm_redis_fails")
    settings = load_settings()
    assert settings.legacy_aliases == ("litellm_redis_fails",)
    assert "litellm_requests_metric" not in settings.include_labels  # not narrowed
    monkeypatch.setenv("OTEL_LITELLM_LEGACY_ALIASES", "all")
    assert set(load_settings().legacy_aliases) == set(BY_NAME)
    with pytest.raises(ValueError, match="unknown legacy alias"):
        load_settings(legacy_aliases="litellm_no_such_metric")


def test_total_tokens_clash_the_database_gauge_keeps_the_name() -> None:
    """One exposition has one ``litellm_total_tokens`` family: the database gauge wins."""
    settings = load_settings(legacy_aliases=True, database_url=DATABASE)
    assert "litellm_total_tokens" not in settings.legacy_aliases
    assert "litellm_redis_fails" in settings.legacy_aliases
    sources = [view._instrument_name for view in views(settings) if view._name == CLASHING]
    assert sources == ["litellm.db.usage.total_tokens"]

    # Without a database the counter alias is exported (the gauge's view matches nothing).
    sources = [
        v._instrument_name for v in views(load_settings(legacy_aliases=True)) if v._name == CLASHING
    ]
    assert "litellm.usage.total_tokens" in sources

    with pytest.raises(ValueError, match="cannot be exported with the database gauges"):
        load_settings(legacy_aliases="litellm_total_tokens", database_url=DATABASE)
