"""Namings, label filtering and custom labels, through real scrapes of the reader."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import otel_litellm
from otel_litellm.spec import BY_LITELLM_NAME
from tests.support.payloads import success_kwargs
from tests.support.scrape import names, parse, samples, value


@pytest.fixture
def setup() -> Iterator[Any]:
    started: list[Any] = []

    def start(**options: Any) -> Any:
        otel_litellm.uninstrument()
        handle = otel_litellm.instrument(prometheus_port=0, **options)
        started.append(handle)
        return handle

    yield start
    otel_litellm.uninstrument()


def test_semconv_naming_exports_genai_instruments_with_semantic_attributes(setup: Any) -> None:
    handle = setup(naming="semconv")
    handle.callback.record_success(success_kwargs(stream=True))
    found = samples(handle.metrics_url)
    assert value(found, "gen_ai_client_operation_duration_seconds_count") == 1
    assert value(found, "gen_ai_client_operation_time_to_first_chunk_seconds_count") == 1
    usage = [s for s in found if s.name == "gen_ai_client_token_usage_sum"]
    assert {s.labels["gen_ai_token_type"]: s.value for s in usage} == {"input": 10, "output": 5}
    assert value(found, "litellm_spend_USD_total", gen_ai_request_model="gpt-4o-mini") == 0.25
    assert not any(n.startswith("litellm_proxy_total_requests_metric") for n in names(found))
    # GenAI bucket advice, not LiteLLM's latency buckets.
    bounds = {
        s.labels["le"] for s in found if s.name == "gen_ai_client_operation_duration_seconds_bucket"
    }
    assert "81.92" in bounds and "600.0" not in bounds


def test_both_namings_come_from_one_recording(setup: Any) -> None:
    handle = setup(naming="both")
    handle.callback.record_success(success_kwargs())
    found = samples(handle.metrics_url)
    assert value(found, "litellm_input_tokens_metric_total", team="team-1") == 10
    assert value(found, "litellm_usage_input_tokens_total", litellm_team_id="team-1") == 10


def test_metric_selection_and_include_labels(setup: Any) -> None:
    handle = setup(
        metrics=("litellm_spend_metric", "litellm_proxy_total_requests_metric"),
        include_labels={"litellm_spend_metric": ("team", "model")},
    )
    handle.callback.record_success(success_kwargs())
    found = samples(handle.metrics_url)
    spend = [s for s in found if s.name == "litellm_spend_metric_total"]
    assert [s.labels for s in spend] == [{"team": "team-1", "model": "gpt-4o-mini"}]
    # The selection is of the metric table; families the process registers elsewhere
    # (otel_litellm.bridge) are served whatever it holds, as on LiteLLM's own /metrics.
    litellm_names = {n for n in names(found) if n.removesuffix("_total") in BY_LITELLM_NAME}
    assert litellm_names == {
        "litellm_spend_metric_total",
        "litellm_proxy_total_requests_metric_total",
    }


def test_custom_metadata_and_tag_labels(setup: Any) -> None:
    handle = setup(custom_metadata_labels=("metadata.tenant",), custom_tags=("prod", "exp-*"))
    handle.callback.record_success(
        success_kwargs(metadata={"tenant": "acme"}, tags=["prod", "exp-7"])
    )
    handle.callback.record_success(success_kwargs(metadata={"tenant": 42}, tags=["dev"]))
    found = samples(handle.metrics_url)
    # LiteLLM names the wildcard tag "tag_exp__"; the direct writer keeps that name.
    tagged = {"metadata_tenant": "acme", "tag_prod": "true", "tag_exp__": "true"}
    assert value(found, "litellm_requests_metric_total", **tagged) == 1
    # Non-string metadata is not a label value (as in LiteLLM); tags that do not match are "false".
    untagged = [
        s for s in found
        if s.name == "litellm_requests_metric_total" and s.labels.get("tag_prod") == "false"
    ]  # fmt: skip
    assert len(untagged) == 1 and untagged[0].labels.get("metadata_tenant", "") == ""


def test_end_user_and_email_labels_can_be_turned_off(setup: Any) -> None:
    handle = setup(user_email_labels=False, end_user_labels=False)
    kwargs = success_kwargs()
    kwargs["litellm_params"]["user_api_key_end_user_id"] = "customer-9"
    handle.callback.record_success(kwargs)
    body = [s for s in samples(handle.metrics_url) if s.name.startswith("litellm_")]
    assert not any("user@example.com" in s.labels.values() for s in body)
    assert not any(s.labels.get("end_user") for s in body)


def test_views_for_a_users_own_provider(setup: Any) -> None:
    from otel_litellm.spec import METRICS

    views = otel_litellm.views()
    renamed = {v._name for v in views}
    assert {spec.litellm_name for spec in METRICS} <= renamed
    # "both" adds one semantic view per instrument, plus the GenAI token histogram.
    assert len(otel_litellm.views(naming="both")) == 2 * len(views) + 1


def label_values(spec: Any) -> dict[str, str]:
    """A distinct value per attribute (labels sharing an attribute share it)."""
    attributes = {attribute: f"v-{label}" for label, attribute in spec.label_map}
    return {label: attributes[attribute] for label, attribute in spec.label_map}


def record_every_family(handle: Any) -> list[Any]:
    """One point in every family the setup records, with :func:`label_values`."""
    from otel_litellm.spec import METRICS, Kind

    specs = [spec for spec in METRICS if handle.instruments.enabled(spec.name)]
    for spec in specs:
        attributes = {attribute: f"v-{label}" for label, attribute in spec.label_map}
        if spec.kind is Kind.GAUGE:
            handle.instruments.set(spec.name, 1.0, attributes)
        else:
            handle.instruments.record(spec.name, 1.0, attributes)
    return specs


@pytest.mark.parametrize("openmetrics", [False, True])
def test_both_naming_gives_a_valid_exposition_with_labels_under_their_names(
    setup: Any, openmetrics: bool
) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    from otel_litellm.server import render
    from otel_litellm.spec import Kind
    from tests.support.scrape import parse_openmetrics, promtool_error

    handle = setup(naming="both")
    specs = record_every_family(handle)
    accept = "application/openmetrics-text; version=1.0.0" if openmetrics else None
    text = render(handle.prometheus_reader.registry, accept)[0].decode()
    if openmetrics:
        found = parse_openmetrics(text)  # raises on a repeated family or a bad line
    else:
        assert promtool_error(text) is None
        families = list(text_string_to_metric_families(text))
        assert len({f.name for f in families}) == len(families)
        assert all(family.samples for family in families)
        found = parse(text)
    by_name: dict[str, list[Any]] = {}
    for sample in found:
        by_name.setdefault(sample.name, []).append(sample)
    for spec in specs:
        suffixes = ("_bucket", "_count", "_sum") if spec.kind is Kind.HISTOGRAM else ("",)
        litellm = [s for suffix in suffixes for s in by_name.get(spec.sample_name + suffix, [])]
        assert litellm, spec.litellm_name
        expected = label_values(spec)
        for sample in litellm:  # one stream, LiteLLM's labels, each value its own
            labels = {k: v for k, v in sample.labels.items() if k != "le"}
            assert labels == expected, (spec.name, sample)
