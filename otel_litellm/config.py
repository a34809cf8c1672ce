"""Settings: keyword arguments first, then environment variables, then defaults.

LiteLLM's own settings (``prometheus_metrics_config``, ``custom_prometheus_metadata_labels``,
``custom_prometheus_tags``) are honoured when ours are not given, so a proxy
config written for LiteLLM's Prometheus integration keeps its meaning.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from otel_litellm import aliases
from otel_litellm.naming import Naming
from otel_litellm.spec import BY_LITELLM_NAME, METRICS, MetricSpec

ENV_PREFIX = "OTEL_LITELLM_"


def _env(name: str) -> str | None:
    value = os.environ.get(ENV_PREFIX + name)
    return value if value not in (None, "") else None


def _env_list(name: str) -> list[str] | None:
    value = _env(name)
    return [item.strip() for item in value.split(",") if item.strip()] if value else None


def _env_bool(name: str) -> bool | None:
    value = _env(name)
    return None if value is None else value.strip().lower() in ("1", "true", "yes", "on")


def _env_int(name: str) -> int | None:
    value = _env(name)
    return None if value is None else int(value)


@dataclass
class Settings:
    """Everything ``instrument()`` can be told.  See the configuration table in README.md."""

    naming: Naming = Naming.LITELLM
    prometheus_port: int | None = None
    prometheus_host: str = "127.0.0.1"
    exporters: tuple[str, ...] = ("prometheus",)
    otlp_protocol: str | None = None
    export_interval_ms: int | None = None
    metrics: tuple[str, ...] | None = None  # LiteLLM family names; None = all
    include_labels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    custom_metadata_labels: tuple[str, ...] = ()
    custom_tags: tuple[str, ...] = ()
    end_user_labels: bool | None = None  # None: follow LiteLLM's own switch
    user_email_labels: bool = True
    cardinality_limit: int = 10_000
    gauge_series_limit: int = 10_000
    gauge_ttl_seconds: float | None = None
    service_name: str = "litellm"
    bearer_token: str | None = None
    basic_auth: str | None = None  # "user:password"
    database_url: str | None = None
    services: bool | None = None  # service families; None: follow service_callback
    # Alias names; load_settings resolves True / "all" / names (otel_litellm.aliases).
    legacy_aliases: tuple[str, ...] = ()

    def specs(self) -> tuple[MetricSpec, ...]:
        if self.metrics is None:
            return METRICS
        unknown = set(self.metrics) - BY_LITELLM_NAME.keys()
        if unknown:
            raise ValueError(f"unknown LiteLLM metric(s): {', '.join(sorted(unknown))}")
        return tuple(spec for spec in METRICS if spec.litellm_name in self.metrics)

    @property
    def custom_labels(self) -> tuple[str, ...]:
        from otel_litellm.payload import custom_label_name, custom_tag_label

        return tuple(custom_label_name(m) for m in self.custom_metadata_labels) + tuple(
            custom_tag_label(t) for t in self.custom_tags
        )


def load_settings(**overrides: Any) -> Settings:
    """Settings from ``overrides`` (None means "not given"), the environment and LiteLLM."""
    given = {key: value for key, value in overrides.items() if value is not None}
    settings = Settings()
    env: dict[str, Any] = {
        "naming": _env("NAMING"),
        "prometheus_port": _env_int("PROMETHEUS_PORT"),
        "prometheus_host": _env("PROMETHEUS_HOST"),
        "metrics": _env_list("METRICS"),
        "custom_metadata_labels": _env_list("CUSTOM_METADATA_LABELS"),
        "custom_tags": _env_list("CUSTOM_TAGS"),
        "end_user_labels": _env_bool("END_USER_LABELS"),
        "user_email_labels": _env_bool("USER_EMAIL_LABELS"),
        "cardinality_limit": _env_int("CARDINALITY_LIMIT"),
        "gauge_series_limit": _env_int("GAUGE_SERIES_LIMIT"),
        "service_name": os.environ.get("OTEL_SERVICE_NAME"),
        "bearer_token": _env("METRICS_BEARER_TOKEN"),
        "basic_auth": _env("METRICS_BASIC_AUTH"),
        "database_url": _env("DATABASE_URL"),
        "services": _env_bool("SERVICES"),
        "legacy_aliases": _env("LEGACY_ALIASES"),
    }
    exporters = os.environ.get("OTEL_METRICS_EXPORTER")
    if exporters:
        env["exporters"] = tuple(e.strip() for e in exporters.split(",") if e.strip())
    for key, value in {**env, **given}.items():
        if value is not None:
            setattr(settings, key, value)
    settings.naming = Naming(settings.naming)
    if settings.metrics is not None:
        settings.metrics = tuple(settings.metrics)
    if "metrics" not in given and "include_labels" not in given:
        _apply_litellm_metrics_config(settings)
    if "custom_metadata_labels" not in given and not settings.custom_metadata_labels:
        settings.custom_metadata_labels = tuple(
            _litellm_setting("custom_prometheus_metadata_labels")
        )
    if "custom_tags" not in given and not settings.custom_tags:
        settings.custom_tags = tuple(_litellm_setting("custom_prometheus_tags"))
    settings.custom_metadata_labels = tuple(settings.custom_metadata_labels)
    settings.custom_tags = tuple(settings.custom_tags)
    settings.include_labels = {k: tuple(v) for k, v in settings.include_labels.items()}
    aliases.apply(settings)
    port_given = "prometheus_port" in given or env["prometheus_port"] is not None
    if port_given and "prometheus" not in settings.exporters:
        settings.exporters = (*settings.exporters, "prometheus")
    return settings


def _litellm_setting(name: str) -> Sequence[Any]:
    try:
        import litellm
    except ImportError:  # pragma: no cover - litellm is a dependency
        return ()
    value = getattr(litellm, name, None)
    return value if isinstance(value, (list, tuple)) else ()


def parse_metrics_config(
    groups: Iterable[Mapping[str, Any]],
) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
    """LiteLLM's ``prometheus_metrics_config`` -> (enabled families, include_labels)."""
    names: list[str] = []
    include: dict[str, tuple[str, ...]] = {}
    for group in groups:
        for name in group.get("metrics") or ():
            spec = BY_LITELLM_NAME.get(name)
            if spec is None:
                raise ValueError(f"prometheus_metrics_config: unknown metric {name!r}")
            names.append(name)
            labels = group.get("include_labels")
            if labels:
                unknown = set(labels) - set(spec.labels)
                if unknown:
                    raise ValueError(
                        f"prometheus_metrics_config: {name} has no label(s) {sorted(unknown)}"
                    )
                include[name] = tuple(labels)
    return tuple(dict.fromkeys(names)), include


def _apply_litellm_metrics_config(settings: Settings) -> None:
    groups = _litellm_setting("prometheus_metrics_config")
    if groups and settings.metrics is None:
        settings.metrics, settings.include_labels = parse_metrics_config(groups)
