"""The direct exposition writer against prometheus_client's, on the same collected data;
odd label values and ``name[]`` selection through both writers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import prometheus_client
import pytest

import otel_litellm
from otel_litellm.server import render
from tests.support.payloads import success_kwargs
from tests.support.scrape import fetch, parse, parse_openmetrics, promtool_error, value


def normalized(body: bytes) -> list[tuple[str, tuple[tuple[str, str], ...], float]]:
    return sorted(
        (s.name, tuple(sorted((k, v) for k, v in s.labels.items() if v != "")), s.value)
        for s in parse(body.decode())
    )


def test_direct_rendering_matches_prometheus_client_sample_for_sample(instrumented: Any) -> None:
    for index in range(20):
        kwargs = success_kwargs(team=f"team-{index % 4}", stream=index % 2 == 0)
        kwargs["standard_logging_object"]["metadata"]["user_api_key_alias"] = 'quote" back\\slash'
        instrumented.callback.record_success(kwargs)
    reader = instrumented.prometheus_reader
    direct = reader.render()
    reference = prometheus_client.generate_latest(reader.registry)
    assert normalized(direct) == normalized(reference)
    assert b'le="1.0"' in direct and b"# TYPE litellm_spend_metric_total counter" in direct


def test_openmetrics_variant_ends_with_eof_and_types_the_family(instrumented: Any) -> None:
    instrumented.callback.record_success(success_kwargs())
    body = instrumented.prometheus_reader.render(openmetrics=True)
    assert body.rstrip().endswith(b"# EOF")
    assert b"# TYPE litellm_spend_metric counter" in body
    assert b"litellm_spend_metric_total{" in body


# Each breaks a line for some reader (str.splitlines, editors, log shippers) or acts on a
# terminal; the last three are the format's own escapes and must survive as such.
NASTY = 'cr\rnul\x00ls\u2028ps\u2029esc\x1bnel\x85vt\x0bend"quote\\back\nnewline'
CLEANED = 'cr\ufffdnul\ufffdls\ufffdps\ufffdesc\ufffdnel\ufffdvt\ufffdend"quote\\back\nnewline'
OPENMETRICS = "application/openmetrics-text; version=1.0.0"


@pytest.fixture
def nasty_alias() -> Iterator[Callable[..., Any]]:
    def start(**options: Any) -> Any:
        otel_litellm.uninstrument()
        handle = otel_litellm.instrument(prometheus_port=0, **options)
        kwargs = success_kwargs()
        kwargs["standard_logging_object"]["metadata"]["user_api_key_alias"] = NASTY
        handle.callback.record_success(kwargs)
        return handle

    yield start
    otel_litellm.uninstrument()


# "litellm" renders through the direct writer, "both" (real units) through prometheus_client.
@pytest.mark.parametrize("naming", ["litellm", "both"])
def test_control_characters_in_label_values_keep_both_formats_valid(
    nasty_alias: Callable[..., Any], naming: str
) -> None:
    handle = nasty_alias(naming=naming)
    registry = handle.prometheus_reader.registry
    for accept, reader in ((None, parse), (OPENMETRICS, parse_openmetrics)):
        text = render(registry, accept)[0].decode()
        assert not any(char in text for char in "\r\x00\u2028\u2029\x1b\x85\x0b")
        assert len(text.splitlines()) == text.count("\n")
        aliases = {s.labels.get("api_key_alias") for s in reader(text)}
        assert CLEANED in aliases and NASTY not in aliases
        if accept is None:
            assert promtool_error(text) is None


@pytest.mark.pipeline
def test_a_real_prometheus_stores_the_cleaned_label_value(
    nasty_alias: Callable[..., Any], tmp_path: Path
) -> None:
    from tests.support.prometheus import Prometheus

    handle = nasty_alias()
    target = f"{handle.server.host}:{handle.server.port}"
    with Prometheus(tmp_path, [target], job_name="sdk") as prometheus:
        found = prometheus.wait_for(
            'litellm_requests_metric_total{job="sdk"}', lambda result: len(result) == 1
        )
        assert prometheus.query_value('up{job="sdk"}') == 1
    assert found[0]["metric"]["api_key_alias"] == CLEANED


# The direct writer (litellm naming) and prometheus_client's (semconv: real units).
@pytest.mark.parametrize(
    ("naming", "family", "sample"),
    [
        ("litellm", "litellm_request_total_latency_metric", "litellm_spend_metric_total"),
        ("semconv", "gen_ai_client_operation_duration_seconds", "litellm_spend_USD_total"),
    ],
)
def test_name_selection_keeps_named_families_and_samples_only(
    nasty_alias: Callable[..., Any], naming: str, family: str, sample: str
) -> None:
    handle = nasty_alias(naming=naming)
    whole = parse(fetch(handle.metrics_url))
    chosen = parse(fetch(f"{handle.metrics_url}?name[]={family}&name[]={sample}"))
    expected = [s for s in whole if s.name == sample or s.name.startswith(family + "_")]
    assert chosen and sorted(map(repr, chosen)) == sorted(map(repr, expected))
    buckets = parse(fetch(f"{handle.metrics_url}?name[]={family}_bucket"))
    assert buckets and {s.name for s in buckets} == {family + "_bucket"}
    assert fetch(f"{handle.metrics_url}?name[]=no_such_family") == ""


def test_the_proxy_mount_honours_name_selection(instrumented: Any) -> None:
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from otel_litellm.instrumentor import LiteLLMInstrumentor

    instrumented.callback.record_success(success_kwargs())
    app = Starlette()
    assert LiteLLMInstrumentor().mount(app, "/metrics")
    with TestClient(app) as client:
        reply = client.get("/metrics", params={"name[]": "litellm_spend_metric_total"})
    assert reply.status_code == 200
    assert {s.name for s in parse(reply.text)} == {"litellm_spend_metric_total"}


def test_custom_tag_labels_keep_litellms_exact_names() -> None:
    """``User-Agent: curl/*`` is LiteLLM's ``tag_User_Agent__curl__``, double underscores kept."""
    otel_litellm.uninstrument()
    handle = otel_litellm.instrument(prometheus_port=0, custom_tags=["User-Agent: curl/*"])
    try:
        handle.callback.record_success(success_kwargs(tags=["User-Agent: curl/8.5"]))
        assert handle.metrics_url is not None
        found = parse(fetch(handle.metrics_url))
    finally:
        otel_litellm.uninstrument()
    assert value(found, "litellm_proxy_total_requests_metric_total", tag_User_Agent__curl__="true")
