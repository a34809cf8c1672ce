"""One lifecycle owner: every global effect applied once, undone exactly, settings checked."""

from __future__ import annotations

import importlib
import logging
import signal
import socket
from collections.abc import Iterator
from typing import Any

import litellm
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

import otel_litellm
from otel_litellm.effects import is_wrapped
from otel_litellm.instrumentor import LiteLLMInstrumentor
from otel_litellm.naming import Naming
from otel_litellm.patches import PATCHES
from tests.support.scrape import fetch, parse, value


def _targets() -> list[tuple[Any, str]]:
    """(owner, attribute) of every patch this LiteLLM has."""
    found = []
    for patch in PATCHES:
        try:
            owner: Any = importlib.import_module(patch.module)
        except ImportError:
            continue
        *parents, attribute = patch.path.split(".")
        for parent in parents:
            owner = getattr(owner, parent)
        if attribute in vars(owner):
            found.append((owner, attribute))
    return found


@pytest.fixture
def clean() -> Iterator[None]:
    otel_litellm.uninstrument()
    saved = (list(litellm.custom_prometheus_metadata_labels), list(litellm.service_callback))
    yield
    otel_litellm.uninstrument()
    litellm.custom_prometheus_metadata_labels[:] = saved[0]
    litellm.service_callback[:] = saved[1]


def test_uninstrument_restores_every_patched_attribute(clean: None) -> None:
    targets = _targets()
    assert len(targets) >= 6  # cooldowns, look-ups, guardrails, service hooks
    originals = [vars(owner)[attribute] for owner, attribute in targets]
    callbacks_before = list(litellm.callbacks)
    app = Starlette()
    routes_before = list(app.router.routes)
    sigterm_before = signal.getsignal(signal.SIGTERM)

    handle = otel_litellm.instrument(prometheus_port=0, services=True)
    assert LiteLLMInstrumentor().mount(app, "/metrics")
    assert all(is_wrapped(owner, attribute) for owner, attribute in targets)
    assert handle.callback in litellm.callbacks
    assert signal.getsignal(signal.SIGTERM) != sigterm_before

    otel_litellm.uninstrument()
    assert [vars(owner)[attribute] for owner, attribute in targets] == originals
    assert all(
        now is before
        for now, before in zip(
            [vars(owner)[attribute] for owner, attribute in targets], originals, strict=True
        )
    )
    assert list(litellm.callbacks) == callbacks_before
    assert list(app.router.routes) == routes_before
    assert signal.getsignal(signal.SIGTERM) == sigterm_before
    assert otel_litellm.active() is None


def test_instrument_twice_uninstrument_twice_leaves_one_layer(clean: None) -> None:
    for _ in range(3):
        otel_litellm.instrument(prometheus_port=0, services=True)
        otel_litellm.uninstrument()
    handle = otel_litellm.instrument(prometheus_port=0, services=True)
    otel_litellm.instrument(prometheus_port=0, services=False)  # replaced, not re-wrapped
    owner, attribute = _targets()[-1]
    wrapper = vars(owner)[attribute]
    assert is_wrapped(owner, attribute)
    assert not is_wrapped_object(wrapper.__wrapped__)
    assert handle.callback is otel_litellm.active().callback  # type: ignore[union-attr]


def is_wrapped_object(value: object) -> bool:
    import wrapt

    return isinstance(value, wrapt.FunctionWrapper)


def test_the_instrumentor_and_the_fronts_share_one_state(clean: None) -> None:
    otel_litellm.instrument(prometheus_port=0)
    otel_litellm.uninstrument()
    built = LiteLLMInstrumentor().instrument(prometheus_port=0)
    assert built is not None and built is otel_litellm.active()
    assert LiteLLMInstrumentor().is_instrumented_by_opentelemetry
    otel_litellm.uninstrument()
    assert not LiteLLMInstrumentor().is_instrumented_by_opentelemetry


def test_unknown_setting_is_a_type_error(clean: None) -> None:
    with pytest.raises(TypeError, match="prometheus_prot"):
        otel_litellm.instrument(prometheus_prot=9464)
    assert otel_litellm.active() is None


def test_invalid_setting_is_a_value_error(clean: None) -> None:
    with pytest.raises(ValueError, match="exporter"):
        otel_litellm.instrument(exporters=("prometheus", "statsd"))
    with pytest.raises(ValueError, match="naming"):
        otel_litellm.instrument(naming="dotted")


def test_settings_are_frozen(clean: None) -> None:
    handle = otel_litellm.instrument(prometheus_port=0)
    with pytest.raises(AttributeError):
        handle.settings.naming = Naming.SEMCONV  # type: ignore[misc]


def test_same_settings_return_the_running_setup_other_settings_replace_it(clean: None) -> None:
    first = otel_litellm.instrument(prometheus_port=0)
    assert otel_litellm.instrument(prometheus_port=0) is first
    second = otel_litellm.instrument(prometheus_port=0, naming="semconv")
    assert second is not first and second.settings.naming is Naming.SEMCONV
    assert second.callback is first.callback  # the object LiteLLM holds stays
    assert first.server is None  # the replaced set-up was closed
    otel_litellm.instrument(prometheus_port=0, naming="semconv", register=False)
    assert litellm.callbacks.count(second.callback) == 1


def test_wrappers_resolve_the_current_setup_when_called(clean: None) -> None:
    from litellm.integrations.prometheus import PrometheusLogger

    otel_litellm.instrument(prometheus_port=0)
    replaced = otel_litellm.instrument(prometheus_port=0, cardinality_limit=500)
    PrometheusLogger.get_instance().track_provider_remaining_budget(
        provider="openai", spend=2.0, budget_limit=10.0
    )
    assert replaced.metrics_url is not None
    found = parse(fetch(replaced.metrics_url))
    assert value(found, "litellm_provider_remaining_budget_metric", api_provider="openai") == 8.0


def test_a_bad_environment_value_is_logged_and_ignored(
    clean: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("OTEL_LITELLM_PROMETHEUS_PORT", "not-a-port")
    monkeypatch.setenv("OTEL_LITELLM_NAMING", "dotted")
    with caplog.at_level(logging.WARNING, logger="otel_litellm"):
        handle = otel_litellm.instrument()
    assert handle.settings.prometheus_port is None
    assert handle.settings.naming is Naming.LITELLM
    logged = caplog.text
    assert "OTEL_LITELLM_PROMETHEUS_PORT" in logged and "naming" in logged


def test_a_busy_port_never_raises(clean: None, caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with caplog.at_level(logging.WARNING, logger="otel_litellm"):
            handle = otel_litellm.instrument(prometheus_port=port)
    assert handle.metrics_url is None
    assert handle.callback in litellm.callbacks  # still recording
    assert str(port) in caplog.text


def test_litellm_settings_set_after_import_are_applied_by_settle(clean: None) -> None:
    """A proxy config with ``callbacks:`` before ``custom_prometheus_metadata_labels``."""
    handle = otel_litellm.instrument(prometheus_port=0)
    assert handle.settings.custom_metadata_labels == ()
    litellm.custom_prometheus_metadata_labels[:] = ["metadata.tenant"]
    LiteLLMInstrumentor().settle()
    settled = otel_litellm.active()
    assert settled is not None and settled is not handle
    assert settled.settings.custom_metadata_labels == ("metadata.tenant",)
    assert settled.callback is handle.callback


def test_mounted_route_serves_the_current_setup(clean: None) -> None:
    app = Starlette()
    otel_litellm.instrument(prometheus_port=0, bearer_token="s3cret")
    assert LiteLLMInstrumentor().mount(app, "/metrics")
    client = TestClient(app)
    assert client.get("/metrics").status_code == 401
    ok = client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200
    otel_litellm.instrument(prometheus_port=0)  # reconfigured: no token any more
    assert client.get("/metrics").status_code == 200
    otel_litellm.uninstrument()
    assert client.get("/metrics").status_code == 404


def test_the_environment_is_read_in_one_place() -> None:
    """Settings read every variable (config.ENVIRONMENT); the standalone database
    exporter keeps the seed exporter's own variables (otel_litellm/db, its CLI flags)."""
    import re
    from pathlib import Path

    package = Path(otel_litellm.__file__).parent
    reads = re.compile(r"os\.environ\.get|os\.getenv|os\.environ\[")
    allowed = {package / "config.py", package / "cli.py", package / "db" / "settings.py"}
    offenders = [
        f"{path.relative_to(package)}:{number}"
        for path in sorted(package.rglob("*.py"))
        if path not in allowed
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if reads.search(line)
    ]
    assert offenders == []


def test_settings_read_each_documented_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    from otel_litellm.config import load_settings

    settings = load_settings(
        environ={
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_LITELLM_METRICS_MAX_CONNECTIONS": "8",
            "OTEL_LITELLM_METRICS_CONNECTION_TIMEOUT": "2.5",
            "OTEL_LITELLM_SCRAPE_CACHE_SECONDS": "1",
            "OTEL_LITELLM_HANDOVER": "off",
            "OTEL_LITELLM_HANDOVER_INTERVAL": "0.5",
            "PROMETHEUS_MULTIPROC_DIR": "/tmp/litellm-multiproc",
            "DATABASE_URL": "postgresql://litellm@127.0.0.1/litellm",
        }
    )
    assert settings.otlp_protocol == "http/protobuf"
    assert (settings.metrics_max_connections, settings.metrics_connection_timeout) == (8, 2.5)
    assert settings.scrape_cache_seconds == 1.0
    assert (settings.handover, settings.handover_interval) == ("off", 0.5)
    assert settings.prometheus_multiproc_dir == "/tmp/litellm-multiproc"
    assert settings.proxy_database_url == "postgresql://litellm@127.0.0.1/litellm"


def test_colliding_custom_labels_are_refused_when_settings_are_built(
    clean: None, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(ValueError, match="env: prod"):
        otel_litellm.instrument(custom_tags=["env:prod", "env: prod"])
    # The same in LiteLLM's own settings (a proxy config): logged, dropped, never raised.
    litellm.custom_prometheus_tags = ["本番", "開発"]
    try:
        with caplog.at_level(logging.ERROR, logger="otel_litellm"):
            handle = otel_litellm.instrument(prometheus_port=0)
    finally:
        litellm.custom_prometheus_tags = []
    assert handle.settings.custom_tags == ()
    assert "本番" in caplog.text
