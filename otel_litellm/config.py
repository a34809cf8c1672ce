"""Settings: one frozen value, built and validated in one place.

Precedence: keyword arguments, then environment variables, then LiteLLM's own
settings (``prometheus_metrics_config``, ``custom_prometheus_metadata_labels``,
``custom_prometheus_tags``, so a proxy config written for LiteLLM's Prometheus
integration keeps its meaning), then defaults.

Every environment variable otel_litellm reads is read here.  A keyword argument
that is unknown or invalid raises (the caller wrote it); an environment variable
or LiteLLM setting that is invalid is logged and ignored (it may be shared by
processes that never meant it for us, and must not stop LiteLLM from starting).
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from otel_litellm import aliases
from otel_litellm.naming import Naming
from otel_litellm.spec import BY_LITELLM_NAME, METRICS, MetricSpec

_log = logging.getLogger("otel_litellm")

ENV_PREFIX = "OTEL_LITELLM_"
EXPORTERS = frozenset({"prometheus", "otlp", "none"})
OTLP_PROTOCOLS = frozenset({"grpc", "http/protobuf", "http"})
HANDOVER_MODES = ("auto", "on", "off")


@dataclass(frozen=True)
class Settings:
    """Everything ``instrument()`` can be told.  See the configuration table in README.md."""

    naming: Naming = Naming.LITELLM
    prometheus_port: int | None = None
    prometheus_host: str = "127.0.0.1"
    exporters: tuple[str, ...] = ("prometheus",)
    otlp_protocol: str | None = None
    export_interval_ms: int | None = None
    metrics: tuple[str, ...] | None = None  # LiteLLM family names; None = all
    include_labels: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
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
    database_url: str | None = None  # the database gauges
    # LiteLLM's own DATABASE_URL: users, active users and teams are counted from it.
    proxy_database_url: str | None = None
    services: bool | None = None  # service families; None: follow service_callback
    legacy_aliases: tuple[str, ...] = ()  # resolved alias names (otel_litellm.aliases)
    scrape_cache_seconds: float = 0.0  # serve a render again for this long
    metrics_max_connections: int = 64  # our own /metrics port
    metrics_connection_timeout: float = 10.0  # seconds an idle connection is kept
    # Several workers of one server hand their points over (otel_litellm.handover).
    handover: str = "auto"  # auto: when the parent is a multi-worker server; on; off
    handover_interval: float = 1.0  # seconds between a worker's hand-over writes
    # LiteLLM's --prometheus_metrics_port serves prometheus_client files from here.
    prometheus_multiproc_dir: str | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        try:
            set_(self, "naming", Naming(self.naming))
        except ValueError:
            choices = ", ".join(naming.value for naming in Naming)
            raise ValueError(f"naming must be one of {choices}, not {self.naming!r}") from None
        set_(self, "exporters", tuple(self.exporters))
        set_(self, "custom_metadata_labels", tuple(self.custom_metadata_labels))
        set_(self, "custom_tags", tuple(self.custom_tags))
        set_(self, "legacy_aliases", tuple(self.legacy_aliases))
        if self.metrics is not None:
            set_(self, "metrics", tuple(self.metrics))
        set_(
            self,
            "include_labels",
            MappingProxyType({k: tuple(v) for k, v in dict(self.include_labels).items()}),
        )
        _validate(self)

    def specs(self) -> tuple[MetricSpec, ...]:
        if self.metrics is None:
            return METRICS
        return tuple(spec for spec in METRICS if spec.litellm_name in self.metrics)

    @property
    def custom_labels(self) -> tuple[str, ...]:
        from otel_litellm.payload import custom_label_name, custom_tag_label

        return tuple(custom_label_name(m) for m in self.custom_metadata_labels) + tuple(
            custom_tag_label(t) for t in self.custom_tags
        )


FIELDS = frozenset(f.name for f in dataclasses.fields(Settings))


def _validate(settings: Settings) -> None:
    unknown_exporters = set(settings.exporters) - EXPORTERS
    if unknown_exporters:
        raise ValueError(
            f"unknown metrics exporter(s) {sorted(unknown_exporters)}: use prometheus, otlp or none"
        )
    if settings.otlp_protocol is not None and settings.otlp_protocol not in OTLP_PROTOCOLS:
        raise ValueError(
            f"unsupported OTLP protocol {settings.otlp_protocol!r}: use 'grpc' or 'http/protobuf'"
        )
    if settings.prometheus_port is not None and not 0 <= settings.prometheus_port <= 65535:
        raise ValueError(f"prometheus_port {settings.prometheus_port} is not a TCP port")
    for name in ("cardinality_limit", "gauge_series_limit", "metrics_max_connections"):
        if getattr(settings, name) < 1:
            raise ValueError(f"{name} must be at least 1")
    if settings.scrape_cache_seconds < 0:
        raise ValueError("scrape_cache_seconds must not be negative")
    if settings.metrics_connection_timeout <= 0:
        raise ValueError("metrics_connection_timeout must be positive")
    if settings.handover not in HANDOVER_MODES:
        raise ValueError(f"handover must be one of {', '.join(HANDOVER_MODES)}")
    if settings.handover_interval <= 0:
        raise ValueError("handover_interval must be positive")
    if settings.basic_auth is not None and ":" not in settings.basic_auth:
        raise ValueError("basic_auth must be 'user:password'")
    if settings.metrics is not None:
        unknown = set(settings.metrics) - BY_LITELLM_NAME.keys()
        if unknown:
            raise ValueError(f"unknown LiteLLM metric(s): {', '.join(sorted(unknown))}")
    for family, labels in settings.include_labels.items():
        spec = BY_LITELLM_NAME.get(family)
        if spec is None:
            raise ValueError(f"include_labels: unknown metric {family!r}")
        missing = set(labels) - set(spec.labels)
        if missing:
            raise ValueError(f"include_labels: {family} has no label(s) {sorted(missing)}")
    _check_custom_labels(settings.custom_metadata_labels, settings.custom_tags)


def _check_custom_labels(metadata_labels: Sequence[str], tags: Sequence[str]) -> None:
    # Here, not at scrape time: two names that sanitize alike would make Prometheus
    # reject every scrape of the target.
    from otel_litellm.payload import check_custom_labels

    check_custom_labels(metadata_labels, tags)


# -- the environment -------------------------------------------------------------


def _text(value: str) -> str:
    return value


def _int(value: str) -> int:
    return int(value)


def _float(value: str) -> float:
    return float(value)


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"not a boolean: {value!r}")


def _handover_mode(value: str) -> str:
    lowered = value.strip().lower()
    return lowered if lowered in HANDOVER_MODES else ("on" if _bool(value) else "off")


def _names(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


# setting -> (environment variable, or variables in order of precedence; parser)
ENVIRONMENT: Mapping[str, tuple[str | tuple[str, ...], Callable[[str], Any]]] = MappingProxyType({
    "naming": (ENV_PREFIX + "NAMING", _text),
    "prometheus_port": (ENV_PREFIX + "PROMETHEUS_PORT", _int),
    "prometheus_host": (ENV_PREFIX + "PROMETHEUS_HOST", _text),
    "exporters": ("OTEL_METRICS_EXPORTER", _names),
    "otlp_protocol": (
        ("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"), _text
    ),
    "metrics": (ENV_PREFIX + "METRICS", _names),
    "custom_metadata_labels": (ENV_PREFIX + "CUSTOM_METADATA_LABELS", _names),
    "custom_tags": (ENV_PREFIX + "CUSTOM_TAGS", _names),
    "end_user_labels": (ENV_PREFIX + "END_USER_LABELS", _bool),
    "user_email_labels": (ENV_PREFIX + "USER_EMAIL_LABELS", _bool),
    "cardinality_limit": (ENV_PREFIX + "CARDINALITY_LIMIT", _int),
    "gauge_series_limit": (ENV_PREFIX + "GAUGE_SERIES_LIMIT", _int),
    "service_name": ("OTEL_SERVICE_NAME", _text),
    "bearer_token": (ENV_PREFIX + "METRICS_BEARER_TOKEN", _text),
    "basic_auth": (ENV_PREFIX + "METRICS_BASIC_AUTH", _text),
    "database_url": (ENV_PREFIX + "DATABASE_URL", _text),
    "proxy_database_url": ("DATABASE_URL", _text),
    "services": (ENV_PREFIX + "SERVICES", _bool),
    "legacy_aliases": (ENV_PREFIX + "LEGACY_ALIASES", _text),
    "scrape_cache_seconds": (ENV_PREFIX + "SCRAPE_CACHE_SECONDS", _float),
    "metrics_max_connections": (ENV_PREFIX + "METRICS_MAX_CONNECTIONS", _int),
    "metrics_connection_timeout": (ENV_PREFIX + "METRICS_CONNECTION_TIMEOUT", _float),
    "handover": (ENV_PREFIX + "HANDOVER", _handover_mode),
    "handover_interval": (ENV_PREFIX + "HANDOVER_INTERVAL", _float),
    "prometheus_multiproc_dir": ("PROMETHEUS_MULTIPROC_DIR", _text),
})  # fmt: skip


def _from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for setting, (variables, parse) in ENVIRONMENT.items():
        names = (variables,) if isinstance(variables, str) else variables
        found = [(name, environ[name]) for name in names if environ.get(name, "").strip()]
        if not found:
            continue
        variable, raw = found[0]
        try:
            values[setting] = parse(raw)
        except ValueError as error:
            _log.warning("otel_litellm: ignoring %s=%r: %s", variable, raw[:80], error)
    return values


# -- LiteLLM's own settings ------------------------------------------------------


def _litellm_setting(name: str) -> Sequence[Any]:
    try:
        import litellm
    except ImportError:  # pragma: no cover - litellm is a dependency
        return ()
    value = getattr(litellm, name, None)
    return value if isinstance(value, (list, tuple)) else ()


def litellm_view() -> tuple[Any, ...]:
    """What otel_litellm reads of LiteLLM's settings, to notice when a proxy config sets it."""
    return tuple(
        repr(_litellm_setting(name))
        for name in (
            "prometheus_metrics_config",
            "custom_prometheus_metadata_labels",
            "custom_prometheus_tags",
        )
    )


def parse_metrics_config(
    groups: Iterable[Mapping[str, Any]],
) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
    """LiteLLM's ``prometheus_metrics_config`` -> (enabled families, include_labels).

    Unknown families and labels are logged and left out, as the rest of a proxy
    config is still worth honouring.
    """
    names: list[str] = []
    include: dict[str, tuple[str, ...]] = {}
    for group in groups:
        if not isinstance(group, Mapping):
            _log.warning("otel_litellm: prometheus_metrics_config: ignoring %r", group)
            continue
        for name in group.get("metrics") or ():
            spec = BY_LITELLM_NAME.get(name)
            if spec is None:
                _log.warning("otel_litellm: prometheus_metrics_config: unknown metric %r", name)
                continue
            names.append(name)
            labels = [label for label in group.get("include_labels") or () if label]
            unknown = set(labels) - set(spec.labels)
            if unknown:
                _log.warning(
                    "otel_litellm: prometheus_metrics_config: %s has no label(s) %s",
                    name,
                    sorted(unknown),
                )
            kept = tuple(label for label in labels if label in spec.labels)
            if kept:
                include[name] = kept
    return tuple(dict.fromkeys(names)), include


def _from_litellm(chosen: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "metrics" not in chosen and "include_labels" not in chosen:
        groups = _litellm_setting("prometheus_metrics_config")
        if groups:
            values["metrics"], values["include_labels"] = parse_metrics_config(groups)
    for setting, litellm_name in (
        ("custom_metadata_labels", "custom_prometheus_metadata_labels"),
        ("custom_tags", "custom_prometheus_tags"),
    ):
        if setting not in chosen:
            given = tuple(str(v) for v in _litellm_setting(litellm_name) if isinstance(v, str))
            if given:
                values[setting] = given
    if values:
        try:
            _check_custom_labels(
                values.get("custom_metadata_labels", ()), values.get("custom_tags", ())
            )
        except ValueError as error:
            _log.error("otel_litellm: LiteLLM's custom Prometheus labels ignored: %s", error)
            values.pop("custom_metadata_labels", None)
            values.pop("custom_tags", None)
    return values


# -- the one constructor ---------------------------------------------------------


def load_settings(*, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Settings from ``overrides`` (None means "not given"), the environment and LiteLLM.

    Raises ``TypeError`` for an unknown keyword and ``ValueError`` for an invalid value.
    """
    unknown = set(overrides) - FIELDS
    if unknown:
        raise TypeError(f"instrument() got unknown setting(s): {', '.join(sorted(unknown))}")
    given = {key: value for key, value in overrides.items() if value is not None}
    from_env = _valid_alone(
        _from_environment(os.environ if environ is None else environ), "environment setting"
    )
    chosen = {**from_env, **given}
    values = {**_valid_alone(_from_litellm(chosen), "LiteLLM setting"), **chosen}
    port_given = "prometheus_port" in chosen
    exporters = tuple(values.get("exporters", Settings.exporters))
    if port_given and "prometheus" not in exporters:
        values["exporters"] = (*exporters, "prometheus")
    values["legacy_aliases"] = aliases.resolve(
        values.get("legacy_aliases"), values.get("database_url")
    )
    values["include_labels"] = aliases.narrowed_labels(
        values["legacy_aliases"], values.get("include_labels") or {}
    )
    return Settings(**values)


def _valid_alone(values: dict[str, Any], source: str) -> dict[str, Any]:
    """``values`` without those that are invalid on their own, each logged."""
    kept: dict[str, Any] = {}
    for key, value in values.items():
        try:
            Settings(**{key: value})
        except (TypeError, ValueError) as error:
            _log.warning("otel_litellm: ignoring %s %s=%r: %s", source, key, value, error)
            continue
        kept[key] = value
    return kept
