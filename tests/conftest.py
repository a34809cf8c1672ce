"""Shared fixtures.  litellm must not fetch its price map from the network."""

from __future__ import annotations

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from collections.abc import Iterator

import pytest

from otel_litellm.instruments import Instruments
from otel_litellm.mock_upstream import MockUpstream

# In tests, recording a name that is no family of the metric table raises.
Instruments.strict = True


@pytest.fixture(scope="session")
def upstream() -> Iterator[MockUpstream]:
    with MockUpstream() as server:
        yield server


@pytest.fixture
def instrumented() -> Iterator[object]:
    """otel_litellm with its Prometheus endpoint on a free port, torn down after."""
    import otel_litellm

    otel_litellm.uninstrument()
    handle = otel_litellm.instrument(prometheus_port=0)
    yield handle
    otel_litellm.uninstrument()
