"""otel_litellm's OTLP export (gRPC and HTTP) through the real Collector and its config."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

import otel_litellm
from tests.support.collector import Collector
from tests.support.payloads import success_kwargs
from tests.support.scrape import parse, value

pytestmark = [pytest.mark.pipeline, pytest.mark.timeout(900)]


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_otlp_export_reaches_the_collector_under_litellm_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, protocol: str
) -> None:
    with Collector(tmp_path / "otelcol") as collector:
        endpoint = (
            collector.otlp_grpc_endpoint if protocol == "grpc" else collector.otlp_http_endpoint
        )
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_INSECURE", "true")
        otel_litellm.uninstrument()
        handle = otel_litellm.instrument(
            exporters=("otlp",), otlp_protocol=protocol, export_interval_ms=500
        )
        try:
            for _ in range(3):
                handle.callback.record_success(success_kwargs(team="team-otlp", stream=True))
            handle.meter_provider.force_flush()
            found: list[Any] = []
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                found = parse(collector.scrape())
                if value(found, "litellm_proxy_total_requests_metric_total", team="team-otlp"):
                    break
                time.sleep(0.5)
        finally:
            otel_litellm.uninstrument()
    assert value(found, "litellm_proxy_total_requests_metric_total", team="team-otlp") == 3
    assert value(found, "litellm_input_tokens_metric_total", team="team-otlp") == 30
    assert value(found, "litellm_spend_metric_total", team="team-otlp") == pytest.approx(0.75)
    buckets = {
        s.labels["le"] for s in found if s.name == "litellm_request_total_latency_metric_bucket"
    }
    assert {"0.005", "1.0", "+Inf"} <= buckets
    assert value(found, "litellm_llm_api_time_to_first_token_metric_count", team="team-otlp") == 3
    assert not any(label.startswith("otel_scope") for s in found for label in s.labels)
