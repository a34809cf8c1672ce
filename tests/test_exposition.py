"""The direct exposition writer against prometheus_client's, on the same collected data."""

from __future__ import annotations

from typing import Any

import prometheus_client

from tests.support.payloads import success_kwargs
from tests.support.scrape import parse


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
