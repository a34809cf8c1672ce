"""prometheus/alerts.yml: valid rules, and each alert fires (and only then) per its unit tests."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

PROMETHEUS_DIR = Path(__file__).resolve().parents[1] / "prometheus"
RULES = PROMETHEUS_DIR / "alerts.yml"
RULE_TESTS = PROMETHEUS_DIR / "alerts.test.yml"
CONFIG = PROMETHEUS_DIR / "prometheus.yml"

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
pytestmark = pytest.mark.skipif(
    not Path(PROMTOOL).exists(), reason="promtool not installed (apt-get install prometheus)"
)

# What the alerts must cover; a rename here is a rename for everyone's routing.
REQUIRED_ALERTS = {
    "LiteLLMTeamBudgetNearlySpent",
    "LiteLLMKeyBudgetNearlySpent",
    "LiteLLMBudgetNearlySpent",
    "LiteLLMDeploymentOutage",
    "LiteLLMErrorRateHigh",
    "LiteLLMKeyExpiresSoon",
    "LiteLLMMetricsPipelineDown",
    "LiteLLMMetricsPipelineMissing",
}


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PROMTOOL, *args], cwd=PROMETHEUS_DIR, capture_output=True, text=True, timeout=60
    )


def alert_names(path: Path) -> list[str]:
    groups = yaml.safe_load(path.read_text())["groups"]
    return [rule["alert"] for group in groups for rule in group["rules"] if "alert" in rule]


def test_rules_and_config_pass_promtool_check() -> None:
    for args in (("check", "rules", RULES.name), ("check", "config", CONFIG.name)):
        result = promtool(*args)
        assert result.returncode == 0, result.stdout + result.stderr


def test_alert_unit_tests_pass() -> None:
    result = promtool("test", "rules", RULE_TESTS.name)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_is_unit_tested_and_the_required_ones_exist() -> None:
    names = alert_names(RULES)
    assert len(names) == len(set(names))
    assert set(names) >= REQUIRED_ALERTS
    tests = yaml.safe_load(RULE_TESTS.read_text())["tests"]
    firing = {
        case["alertname"]
        for test in tests
        for case in test["alert_rule_test"]
        if case.get("exp_alerts")
    }
    assert firing == set(names), "each alert needs a unit test in which it fires"
