"""The metric table against LiteLLM's own PrometheusLogger, read from the pinned litellm."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from otel_litellm.spec import BY_LITELLM_NAME, LATENCY_BUCKETS, METRICS, Kind

# Run in a child: PrometheusLogger registers its families in the global registry.
# Label names and buckets are read from the metric objects, since labelled
# families show no samples before their first use.
DUMP_LITELLM_FAMILIES = """
import json
from litellm.integrations.prometheus import PrometheusLogger
from prometheus_client import REGISTRY
PrometheusLogger()
out = {}
for collector in list(REGISTRY._collector_to_names):
    for family in getattr(collector, "describe", list)():
        if family.name.startswith("litellm_"):
            out[family.name] = {
                "type": family.type,
                "labels": sorted(getattr(collector, "_labelnames", ())),
                "buckets": [str(b) for b in getattr(collector, "_upper_bounds", ())],
            }
print(json.dumps(out))
"""


def litellm_families() -> dict[str, dict[str, object]]:
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    result = subprocess.run(
        [sys.executable, "-c", DUMP_LITELLM_FAMILIES],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def test_every_litellm_family_is_in_the_table_with_its_type_and_labels() -> None:
    theirs = litellm_families()
    kinds = {"counter": Kind.COUNTER, "histogram": Kind.HISTOGRAM, "gauge": Kind.GAUGE}
    assert len(METRICS) == 83
    compared = 0
    for name, family in theirs.items():
        spec = BY_LITELLM_NAME.get(name)
        if spec is None:
            continue  # families of other LiteLLM loggers (services, admission...)
        compared += 1
        assert spec.kind is kinds[str(family["type"])], name
        assert set(spec.labels) == set(family["labels"]) - {"pid"}, name  # type: ignore[arg-type]
    assert compared == 83, sorted(set(BY_LITELLM_NAME) - set(theirs))


def test_latency_histograms_use_litellm_buckets_as_floats() -> None:
    theirs = litellm_families()
    bounds = [float(b) for b in theirs["litellm_request_total_latency_metric"]["buckets"]]  # type: ignore[union-attr]
    assert tuple(b for b in bounds if b != float("inf")) == LATENCY_BUCKETS
    assert all(isinstance(b, float) for b in LATENCY_BUCKETS)


def test_sample_names_follow_prometheus_conventions() -> None:
    for spec in METRICS:
        if spec.kind is Kind.COUNTER:
            assert spec.sample_name == spec.litellm_name + "_total"
        else:
            assert spec.sample_name == spec.litellm_name
        assert len(spec.attributes) <= len(spec.labels) + len(spec.extra_attributes)
