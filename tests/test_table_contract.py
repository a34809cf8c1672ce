"""The metric table is a contract: every row has a writer (or says why not), and a
cheap workload through those writers produces every row's family."""

from __future__ import annotations

import ast
import asyncio
import types
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from otel_litellm.callback import MetricsCallback
from otel_litellm.docs import families_module
from otel_litellm.instruments import Instruments
from otel_litellm.naming import Naming
from otel_litellm.spec import METRICS, TOKEN_USAGE, MetricSpec
from otel_litellm.standin import PrometheusStandIn
from tests.support.memory import Recording, recording
from tests.support.payloads import success_kwargs

ROWS = (*METRICS, TOKEN_USAGE)
OWNERS = {"MetricsCallback": MetricsCallback, "PrometheusStandIn": PrometheusStandIn}


@pytest.mark.parametrize("spec", ROWS, ids=lambda spec: spec.name)
def test_every_row_names_a_writer_that_exists_or_a_reason(spec: MetricSpec) -> None:
    assert spec.writer or spec.no_writer_reason, f"{spec.name}: no writer and no reason"
    if spec.writer:
        owner, method = spec.writer.split(".")
        assert callable(getattr(OWNERS[owner], method, None)), spec.writer


def workload(rec: Recording) -> None:
    """One pass over every writer, with payloads that fill every optional field."""
    later = (datetime.now(timezone.utc) + timedelta(hours=3)).isoformat()
    kwargs = success_kwargs(stream=True, cost=0.5)
    slp = kwargs["standard_logging_object"]
    slp["cache_hit"] = True
    slp["zero_cost_diagnostic"] = {"reason": "missing_pricing_key"}
    meta = slp["metadata"]
    meta.update({"user_api_key_org_id": "org-1", "user_api_key_project_id": "proj-1"})
    meta["mcp_tool_call_metadata"] = {"name": "search", "mcp_server_name": "docs"}
    meta["usage_object"] = {
        "prompt_tokens_details": {"cached_tokens": 1, "cache_write_tokens": 2, "audio_tokens": 3},
        "completion_tokens_details": {"reasoning_tokens": 4, "audio_tokens": 5},
        "duration_seconds": 6,
        "output_image_count": 7,
    }
    slp["guardrail_information"] = [{"guardrail_mode": "pre_call", "duration": 0.1}]
    slp["hidden_params"]["additional_headers"].update(
        {"x_ratelimit_remaining_tokens": 1000}
        | {
            f"x-ratelimit-{scope}-{part}-{kind}": 10
            for scope in ("api_key", "team", "model_per_project")
            for part in ("limit", "remaining")
            for kind in ("requests", "tokens")
        }
    )
    kwargs["litellm_params"]["user_api_key_end_user_id"] = "customer-1"
    kwargs["litellm_params"]["metadata"] = {
        "queue_time_seconds": 0.01,
        "model_info": {"tpm": 100, "rpm": 10},
        "litellm-key-remaining-requests-gpt-4o": 5,
        "litellm-key-remaining-tokens-gpt-4o": 50,
        "user_api_end_user_max_budget": 9.0,
        **{
            f"user_api_key_{entity}{field}": value
            for entity in ("", "team_", "user_", "org_")
            for field, value in (("spend", 1.0), ("max_budget", 10.0), ("budget_reset_at", later))
        },
    }
    callback = rec.callback
    callback.record_success(kwargs)
    callback.record_success(success_kwargs())  # a cache miss
    failed = success_kwargs()
    failed["exception"] = Exception("upstream")
    failed["litellm_call_id"] = "contract-failure"
    callback.record_failure(failed)
    callback.record_proxy_failure({"model": "gpt-4o"}, failed["exception"], None)
    callback.record_fallback("litellm.fallback.successes", "gpt-4o", {"model": "b"}, None)
    callback.record_fallback("litellm.fallback.failures", "gpt-4o", {"model": "b"}, None)
    callback.increment_callback_logging_failure("langfuse")
    standin = rec.standin
    standin.increment_deployment_cooled_down(
        litellm_model_name="m", model_id="id-1", api_base="http://x", api_provider="openai",
        exception_status=429,
    )  # fmt: skip
    standin._record_guardrail_metrics("pii", 0.2, "error", "ValueError", "pre_call")
    standin.set_team_members_metric(
        types.SimpleNamespace(team_id="t", team_alias="T", members_with_roles=[1, 2])
    )
    standin.track_provider_remaining_budget("openai", 1.0, 10.0)
    standin.record_managed_batch_created("m", "openai", "u", "e", "a")
    standin.record_managed_file_created("m", "openai", "u", "e", "a")
    standin.record_managed_file_size(10, "batch", "jsonl", "m", "openai", "u")
    standin.record_managed_batch_duration(60, "m", "openai")
    standin.record_managed_file_deleted("success")
    standin.record_check_batch_cost_run(2, [("m", "openai")])
    standin.record_check_batch_cost_error("ValueError")
    standin.set_spend_capture_rate("openai", 0.9)
    standin.set_entity_counts(3, 2, 1)


@pytest.mark.parametrize("naming", [Naming.LITELLM, Naming.SEMCONV], ids=str)
def test_the_workload_produces_every_written_family(naming: Naming) -> None:
    rec = recording(naming=naming)
    workload(rec)
    produced = {point.name for point in rec.collect()}
    rows = ROWS if naming.semconv else METRICS
    missing = sorted(spec.name for spec in rows if spec.writer and spec.name not in produced)
    assert missing == []
    assert rec.value("otel_litellm.callback_errors") == 0


def test_an_unknown_family_name_is_an_error() -> None:
    rec = recording()
    with pytest.raises(KeyError):
        rec.instruments.record("litellm.no_such_family", 1, {})
    with pytest.raises(KeyError):
        rec.instruments.set("litellm.no_such_gauge", 1, {})


def test_in_production_an_unknown_name_logs_once_and_records_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rec = recording()
    Instruments.strict = False
    try:
        for _ in range(3):
            rec.instruments.record("litellm.no_such_family", 1, {})
    finally:
        Instruments.strict = True
    assert [r.getMessage() for r in caplog.records].count(
        "otel_litellm: 'litellm.no_such_family' is no family of the metric table; not recorded"
    ) == 1


def test_a_disabled_family_is_no_error() -> None:
    rec = recording(include_labels=None)
    rec.instruments.counters.pop("litellm.requests")  # as if switched off by configuration
    rec.instruments.record("litellm.requests", 1, {})


def test_hooks_run_on_an_event_loop_too() -> None:
    rec = recording()
    asyncio.run(rec.callback.async_log_success_event(success_kwargs(), None, None, None))
    assert rec.value("litellm.proxy.requests") == 1


def test_every_service_family_is_produced_and_no_other() -> None:
    from otel_litellm.service_spec import BREAKER_GROUP, SERVICE_METRICS, SERVICES

    rec = recording()
    for service in (*SERVICES, "a_service_litellm_adds_later"):
        rec.services.success(service, 0.01, {"gauge_value": 3, "gauge_labels": "job"})
        rec.services.failure(service, TimeoutError(), "acompletion")
    produced = {point.name for point in rec.collect() if point.name.startswith("litellm.service.")}
    # The breaker families come from the breaker hook, not service events (test_breaker.py).
    assert produced == {spec.name for spec in SERVICE_METRICS if spec.group != BREAKER_GROUP}


REPO = Path(__file__).resolve().parents[1]
# Where family names may be written out: the tables themselves and what is generated from them.
TABLES = {"spec.py", "families.py", "docs.py", "service_spec.py", "aliases.py", "db/spec.py"}


def test_the_families_module_is_generated_from_the_table() -> None:
    assert (REPO / "otel_litellm" / "families.py").read_text() == families_module(), (
        "otel_litellm/families.py is stale: otel-litellm families > otel_litellm/families.py"
    )


def test_recording_code_names_families_only_through_their_constants() -> None:
    names = {spec.name for spec in ROWS}
    package = REPO / "otel_litellm"
    spelled = [
        f"{path.relative_to(package)}:{node.lineno}: {node.value!r}"
        for path in sorted(package.rglob("*.py"))
        if str(path.relative_to(package)) not in TABLES
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and node.value in names
    ]
    assert spelled == [], "use otel_litellm.families: " + "; ".join(spelled)
