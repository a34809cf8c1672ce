"""What otel_litellm relies on in the installed LiteLLM and OpenTelemetry, on every
version the matrix runs (scripts/matrix.py: the declared floors, the pinned versions,
the newest LiteLLM)."""

from __future__ import annotations

import ast
import importlib.metadata
import inspect
import textwrap
from pathlib import Path

import tomllib
from packaging.requirements import Requirement
from packaging.version import Version

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def declared() -> list[Requirement]:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    return [Requirement(line) for line in project["dependencies"]]


def test_installed_versions_are_inside_the_declared_range() -> None:
    # The matrix must test what pyproject.toml promises, not a neighbouring version.
    for requirement in declared():
        installed = importlib.metadata.version(requirement.name)
        assert requirement.specifier.contains(Version(installed), prereleases=True), (
            f"{requirement.name} {installed} is outside {requirement}"
        )


def does_work(function: object) -> bool:
    """False for a method whose body is only a docstring and/or ``pass``."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))  # type: ignore[arg-type]
    body = tree.body[0].body  # type: ignore[attr-defined]
    docstring_or_pass = [
        statement
        for statement in body
        if isinstance(statement, ast.Pass)
        or (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant))
    ]
    return len(docstring_or_pass) != len(body)


def test_every_hook_litellms_prometheus_logger_uses_reaches_our_callback() -> None:
    # A newer LiteLLM that records in another CustomLogger hook would leave our families
    # behind LiteLLM's without any test of one version noticing.
    from litellm.integrations.custom_logger import CustomLogger
    from litellm.integrations.prometheus import PrometheusLogger

    from otel_litellm.callback import MetricsCallback

    def overridden(cls: type) -> set[str]:
        return {
            name
            for name, member in vars(CustomLogger).items()
            if callable(member) and not name.startswith("__") and getattr(cls, name) is not member
        }

    theirs = {
        name for name in overridden(PrometheusLogger) if does_work(getattr(PrometheusLogger, name))
    }
    assert {"async_log_success_event", "async_log_failure_event"} <= theirs
    missing = theirs - overridden(MetricsCallback)
    assert not missing, f"PrometheusLogger records in {sorted(missing)}; otel_litellm does not"
