"""docker-compose.yml agrees with the files and ports the pipeline tests run.

No container engine is needed: the compose file is parsed, every mounted file
is resolved to the repository, and the addresses one service uses to reach
another are compared with what that service listens on.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from tests.support.collector import COLLECTOR_CONFIG, REPO_ROOT
from tests.support.pipeline import PROMETHEUS_CONFIG, PROXY_CONFIG

COMPOSE = REPO_ROOT / "docker-compose.yml"
BUILDER_MANIFEST = REPO_ROOT / "scripts" / "otelcol-builder.yaml"
PROMETHEUS_PORT = 9090  # Prometheus's default --web.listen-address


@pytest.fixture(scope="module")
def services() -> dict[str, dict[str, Any]]:
    return dict(yaml.safe_load(COMPOSE.read_text())["services"])


def host_path(service: dict[str, Any], container_path: str) -> Any:
    """The repository path mounted at ``container_path`` (None when not mounted)."""
    wanted = PurePosixPath(container_path)
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        target_path = PurePosixPath(target)
        if wanted == target_path or target_path in wanted.parents:
            return REPO_ROOT / source / wanted.relative_to(target_path)
    return None


def flag(command: list[str], name: str) -> str:
    """Value of ``--name value`` or ``--name=value`` in a command list."""
    for index, arg in enumerate(command):
        if arg == name:
            return command[index + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    raise AssertionError(f"{name} missing from {command}")


def port_of(address: str) -> int:
    return int(address.rsplit(":", 1)[1])


def test_the_five_services_and_every_mounted_file_exists(services: dict[str, Any]) -> None:
    assert set(services) == {"mock-upstream", "litellm", "otelcol", "prometheus", "grafana"}
    for name, service in services.items():
        for volume in service.get("volumes", []):
            assert (REPO_ROOT / volume.split(":")[0]).exists(), (name, volume)
        for published in service.get("ports", []):
            assert published.startswith("127.0.0.1:"), (name, published)


def test_proxy_runs_the_tested_config_with_our_callback(services: dict[str, Any]) -> None:
    proxy = services["litellm"]
    config_path = host_path(proxy, flag(proxy["command"], "--config"))
    assert config_path == PROXY_CONFIG
    config = yaml.safe_load(config_path.read_text())
    assert "otel_litellm.proxy.callback" in config["litellm_settings"]["callbacks"]
    assert int(flag(proxy["command"], "--num_workers")) > 1
    env = proxy["environment"]
    referenced = set(re.findall(r"os\.environ/(\w+)", config_path.read_text()))
    assert referenced and referenced <= set(env)
    assert proxy["build"] == "." and "otel_litellm" in (REPO_ROOT / "Dockerfile").read_text()


def test_proxy_reaches_the_mock_upstream(services: dict[str, Any]) -> None:
    base = urlsplit(services["litellm"]["environment"]["MOCK_UPSTREAM_API_BASE"])
    mock = services["mock-upstream"]["command"]
    assert mock[:3] == ["python", "-m", "otel_litellm.mock_upstream"]
    assert (base.hostname, base.port) == ("mock-upstream", int(flag(mock, "--port")))
    assert flag(mock, "--host") == "0.0.0.0"


def test_proxy_exports_otlp_to_the_collectors_grpc_port(services: dict[str, Any]) -> None:
    env = services["litellm"]["environment"]
    collector_env = services["otelcol"]["environment"]
    assert env["OTEL_METRICS_EXPORTER"] == "otlp"
    assert "PROMETHEUS_MULTIPROC_DIR" not in env
    endpoint = urlsplit(env["OTEL_EXPORTER_OTLP_ENDPOINT"])
    grpc = collector_env["OTEL_LITELLM_COLLECTOR_OTLP_GRPC_ENDPOINT"]
    assert (endpoint.hostname, endpoint.port) == ("otelcol", port_of(grpc))
    assert int(env["OTEL_METRIC_EXPORT_INTERVAL"]) > 0


def test_collector_runs_collector_config_on_all_interfaces(services: dict[str, Any]) -> None:
    collector = services["otelcol"]
    assert host_path(collector, flag(collector["command"], "--config")) == COLLECTOR_CONFIG
    documented = set(re.findall(r"\$\{env:(\w+)", COLLECTOR_CONFIG.read_text()))
    env = collector["environment"]
    assert set(env) <= documented
    assert all(not value.startswith("127.") for value in env.values())
    listening = {port_of(v) for k, v in env.items() if k.endswith("_ENDPOINT")}
    for published in collector["ports"]:
        assert int(published.rsplit(":", 1)[1]) in listening
    version = yaml.safe_load(BUILDER_MANIFEST.read_text())["dist"]["version"]
    assert collector["image"].endswith(f":{version}")


def test_prometheus_scrapes_the_collector_and_loads_the_alerts(services: dict[str, Any]) -> None:
    prometheus = services["prometheus"]
    container_config = flag(prometheus["command"], "--config.file")
    assert host_path(prometheus, container_config) == PROMETHEUS_CONFIG
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    for rule_file in config["rule_files"]:
        mounted = host_path(prometheus, str(PurePosixPath(container_config).parent / rule_file))
        assert mounted == REPO_ROOT / "prometheus" / rule_file
    collector_env = services["otelcol"]["environment"]
    wanted = {
        "litellm-collector": collector_env["OTEL_LITELLM_COLLECTOR_PROMETHEUS_ENDPOINT"],
        "otelcol": f"0.0.0.0:{collector_env['OTEL_LITELLM_COLLECTOR_TELEMETRY_PORT']}",
    }
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == set(wanted)
    for name, address in wanted.items():
        (target,) = jobs[name]["static_configs"][0]["targets"]
        assert target == f"otelcol:{port_of(address)}"
    # Keep each worker's job/instance from the Collector.
    assert jobs["litellm-collector"]["honor_labels"] is True
    assert not any("listen-address" in arg for arg in prometheus["command"])


def test_grafana_provisions_the_datasource_and_dashboards(services: dict[str, Any]) -> None:
    grafana = services["grafana"]
    provisioning = host_path(grafana, "/etc/grafana/provisioning")
    assert provisioning == REPO_ROOT / "grafana" / "provisioning"
    (datasource,) = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())[
        "datasources"
    ]
    url = urlsplit(datasource["url"])
    assert (url.hostname, url.port) == ("prometheus", PROMETHEUS_PORT)
    assert f"127.0.0.1:{PROMETHEUS_PORT}:{PROMETHEUS_PORT}" in services["prometheus"]["ports"]
    (provider,) = yaml.safe_load((provisioning / "dashboards" / "litellm.yml").read_text())[
        "providers"
    ]
    dashboards = host_path(grafana, provider["options"]["path"])
    assert dashboards == REPO_ROOT / "grafana" / "dashboards"
    assert sorted(dashboards.glob("*.json"))
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert host_path(grafana, home).is_file()
