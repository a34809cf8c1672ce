"""Reading a Prometheus exposition the way a scraper does."""

from __future__ import annotations

import shutil
import subprocess
import urllib.request
from dataclasses import dataclass

from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"


@dataclass(frozen=True)
class Sample:
    name: str
    labels: dict[str, str]
    value: float


def fetch(url: str, headers: dict[str, str] | None = None) -> str:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(response.read().decode())


def parse(text: str) -> list[Sample]:
    return [
        Sample(sample.name, dict(sample.labels), sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    ]


def samples(url: str) -> list[Sample]:
    return parse(fetch(url))


def value(found: list[Sample], name: str, **labels: str) -> float:
    """Sum of the samples named ``name`` whose labels include ``labels``."""
    return sum(
        s.value
        for s in found
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    )


def names(found: list[Sample]) -> set[str]:
    return {s.name for s in found}


def parse_openmetrics(text: str) -> list[Sample]:
    return [
        Sample(sample.name, dict(sample.labels), sample.value)
        for family in openmetrics_families(text)
        for sample in family.samples
    ]


def promtool_error(text: str) -> str | None:
    """The error ``promtool check metrics`` finds in a text exposition (one that makes
    Prometheus drop the whole scrape), or None.  Its style lints are not errors:
    LiteLLM's own names trip some (``_hours``, ``litellm_teams_count``)."""
    done = subprocess.run(
        [PROMTOOL, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60
    )
    errors = [line for line in done.stderr.splitlines() if "error" in line]
    assert done.returncode in (0, 3) or errors, done.stderr  # 3: lints only
    return "\n".join(errors) or None
