"""otel_litellm: LiteLLM's ``litellm_*`` metrics, recorded as OpenTelemetry instruments.

    import otel_litellm
    otel_litellm.instrument(prometheus_port=9464)   # /metrics in LiteLLM's names

See README.md for the proxy, OTLP and Collector set-ups.  The public names are
loaded on first use, so ``import otel_litellm`` (and the mock upstream or the
database exporter, which do not need LiteLLM) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from otel_litellm.config import Settings, load_settings
    from otel_litellm.instrumentor import LiteLLMInstrumentor, active, instrument, uninstrument
    from otel_litellm.naming import Naming
    from otel_litellm.setup import Instrumentation, renamer, views

_PUBLIC = {
    "Instrumentation": "otel_litellm.setup",
    "LiteLLMInstrumentor": "otel_litellm.instrumentor",
    "active": "otel_litellm.instrumentor",
    "instrument": "otel_litellm.instrumentor",
    "renamer": "otel_litellm.setup",
    "uninstrument": "otel_litellm.instrumentor",
    "views": "otel_litellm.setup",
    "Settings": "otel_litellm.config",
    "load_settings": "otel_litellm.config",
    "Naming": "otel_litellm.naming",
}
__all__ = [
    "Instrumentation",
    "LiteLLMInstrumentor",
    "Naming",
    "Settings",
    "active",
    "instrument",
    "load_settings",
    "renamer",
    "uninstrument",
    "views",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'otel_litellm' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
