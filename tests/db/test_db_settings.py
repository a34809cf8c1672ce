"""Settings, connection strings and the metric table: no database needed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from psycopg.conninfo import conninfo_to_dict

from otel_litellm.db.connection import conninfo
from otel_litellm.db.queries import build_queries
from otel_litellm.db.settings import DatabaseSettings, parse_duration
from otel_litellm.db.spec import BY_NAME, DB_METRICS, REFRESH_METRICS, SEED_METRICS

# The seed README's metrics and the labels it documents (None: it names none).
SEED_README: dict[str, tuple[str, ...] | None] = {
    "litellm_total_spend": ("model",),
    "litellm_user_spend": ("user_id", "user_alias", "model"),
    "litellm_team_spend": ("team_id", "team_alias", "model"),
    "litellm_org_spend": ("organization_id", "organization_alias", "model"),
    "litellm_tag_spend": None,
    "litellm_key_spend": ("key_name", "key_alias"),
    "litellm_total_tokens": ("model",),
    "litellm_prompt_tokens": ("model",),
    "litellm_completion_tokens": ("model",),
    "litellm_request_duration_seconds": None,
    "litellm_requests_total": ("model", "status"),
    "litellm_parallel_requests": ("entity_type", "entity_id", "entity_alias"),
    "litellm_tpm_limit": ("entity_type", "entity_id", "entity_alias"),
    "litellm_rpm_limit": ("entity_type", "entity_id", "entity_alias"),
    "litellm_current_tpm": ("model", "entity_type", "entity_id", "entity_alias"),
    "litellm_current_rpm": ("model", "entity_type", "entity_id", "entity_alias"),
    "litellm_cache_hits_total": ("model",),
    "litellm_cache_misses_total": ("model",),
    "litellm_budget_utilization": ("entity_type", "entity_id", "entity_alias"),
    "litellm_max_budget": ("entity_type", "entity_id", "entity_alias"),
    "litellm_soft_budget": ("entity_type", "entity_id", "entity_alias"),
    "litellm_budget_reset_time": ("entity_type", "entity_id", "entity_alias"),
    "litellm_errors_total": ("model", "error_type"),
    "litellm_error_rate": ("model",),
    "litellm_blocked_status": ("entity_type", "entity_id", "entity_alias"),
    "litellm_member_count": ("team_id", "team_alias"),
    "litellm_admin_count": ("team_id", "team_alias"),
    "litellm_active_keys": ("entity_type", "entity_id", "entity_alias"),
    "litellm_expired_keys": ("entity_type", "entity_id", "entity_alias"),
    "litellm_key_expiry": ("key_name", "key_alias"),
    "litellm_key_budget": ("key_name", "key_alias"),
    "litellm_key_budget_spend": ("key_name", "key_alias"),
    "litellm_available_models": ("entity_type", "entity_id", "entity_alias"),
    "litellm_model_info": None,
}
KEY_FAMILIES = {name for name, labels in SEED_README.items() if labels == ("key_name", "key_alias")}


def test_every_seed_metric_is_a_gauge_with_the_seed_labels() -> None:
    by_litellm = {spec.litellm_name: spec for spec in SEED_METRICS}
    assert set(by_litellm) == set(SEED_README)
    for name, labels in SEED_README.items():
        spec = by_litellm[name]
        assert spec.kind.value == "gauge"
        if labels is None:
            continue
        # Key families add hashed_api_key: the masked key_name alone merges distinct keys.
        extra = ("hashed_api_key",) if name in KEY_FAMILIES else ()
        assert spec.labels == labels + extra, name


def test_every_gauge_is_fed_by_exactly_one_query_whatever_the_spend_window() -> None:
    for window in ("30d", "36h"):
        settings = DatabaseSettings().with_env({"METRICS_SPEND_WINDOW": window})
        fed = [metric for query in build_queries(settings) for metric in query.metrics]
        assert sorted(fed) == sorted(spec.name for spec in SEED_METRICS)
    assert len({spec.name for spec in DB_METRICS}) == len(DB_METRICS) == len(BY_NAME)
    assert all(spec.name.startswith("litellm.db.") for spec in DB_METRICS)
    assert {spec.litellm_name for spec in REFRESH_METRICS} == {
        "litellm_db_refresh_success",
        "litellm_db_refresh_duration_seconds",
        "litellm_db_refresh_last_success_timestamp_seconds",
    }


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30d", 30 * 86400), ("24h", 86400), ("30m", 1800), ("15", 15), ("1.5s", 1.5), ("2H", 7200)],
)
def test_durations_use_the_seed_syntax(text: str, seconds: float) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "abc", "0m", "-1h", "5w", "1d2h"])
def test_bad_durations_name_the_variable(text: str) -> None:
    with pytest.raises(ValueError, match="METRICS_SPEND_WINDOW"):
        DatabaseSettings().with_env({"METRICS_SPEND_WINDOW": text or " "})


def test_seed_defaults() -> None:
    settings = DatabaseSettings.from_env({})
    assert (settings.host, settings.port, settings.dbname, settings.user, settings.password) == (
        "localhost", 5432, "litellm", "postgres", ""
    )  # fmt: skip
    assert (settings.min_connections, settings.max_connections) == (1, 10)
    assert settings.update_interval == timedelta(seconds=15)
    assert settings.spend_window == timedelta(days=30)
    assert settings.request_window == timedelta(hours=24)
    assert settings.error_window == timedelta(hours=1)
    assert settings.spend_days == 30


def test_every_seed_variable_is_honoured() -> None:
    settings = DatabaseSettings.from_env({
        "LITELLM_DB_HOST": "db.internal", "LITELLM_DB_PORT": "6543", "LITELLM_DB_NAME": "proxy",
        "LITELLM_DB_USER": "reader", "LITELLM_DB_PASSWORD": "s3cret", "DB_MIN_CONNECTIONS": "2",
        "DB_MAX_CONNECTIONS": "3", "METRICS_UPDATE_INTERVAL": "30", "METRICS_SPEND_WINDOW": "36h",
        "METRICS_REQUEST_WINDOW": "2h", "METRICS_ERROR_WINDOW": "10m",
        "DATABASE_URL": "postgresql://proxy:pw@elsewhere/litellm",
    })  # fmt: skip
    assert settings.url is None  # the seed's variables beat the proxy's DATABASE_URL
    assert (settings.host, settings.port, settings.dbname, settings.user) == (
        "db.internal", 6543, "proxy", "reader"
    )  # fmt: skip
    assert (settings.min_connections, settings.max_connections) == (2, 3)
    assert settings.update_interval == timedelta(seconds=30)
    assert settings.spend_window == timedelta(hours=36)
    assert settings.spend_days is None  # not whole days: the spend logs answer it
    assert settings.request_window == timedelta(hours=2)
    assert settings.error_window == timedelta(minutes=10)
    assert "s3cret" not in repr(settings) and "s3cret" not in settings.target
    params = conninfo_to_dict(conninfo(settings))
    assert (params["host"], params["port"], params["dbname"], params["user"]) == (
        "db.internal", "6543", "proxy", "reader"
    )  # fmt: skip
    assert params["password"] == "s3cret"


def test_database_url_when_no_seed_host_variable_is_set() -> None:
    settings = DatabaseSettings.from_env({"DATABASE_URL": "postgresql://u:pw@h:5/db"})
    assert settings.url == "postgresql://u:pw@h:5/db"
    assert settings.target == "u@h:5/db"


def test_pool_bounds_are_checked() -> None:
    with pytest.raises(ValueError, match="DB_MIN_CONNECTIONS"):
        DatabaseSettings.from_env({"DB_MIN_CONNECTIONS": "5", "DB_MAX_CONNECTIONS": "2"})


def test_litellm_database_url_becomes_a_read_only_libpq_connection() -> None:
    url = (
        "postgresql://llm:p%40ss@db:5432/litellm?schema=tenant%201&connection_limit=10"
        "&pool_timeout=20&pgbouncer=true&sslmode=require&options=-c%20work_mem%3D8MB"
    )
    settings = DatabaseSettings.from_url(url, environ={"DB_STATEMENT_TIMEOUT": "3s"})
    params = conninfo_to_dict(conninfo(settings))
    for prisma_only in ("schema", "connection_limit", "pool_timeout", "pgbouncer"):
        assert prisma_only not in params
    assert params["sslmode"] == "require"
    assert params["password"] == "p@ss"
    assert params["options"] == (
        "-c work_mem=8MB -c default_transaction_read_only=on -c statement_timeout=3000 "
        "-c search_path=tenant\\ 1"
    )
    assert params["application_name"] == "otel_litellm"
    assert settings.target == "llm@db:5432/litellm"
