"""otel_litellm: LiteLLM's ``litellm_*`` metrics, recorded as OpenTelemetry instruments.

    import otel_litellm
    otel_litellm.instrument(prometheus_port=9464)   # /metrics in LiteLLM's names

See README.md for the proxy, OTLP and Collector set-ups.
"""

from otel_litellm.config import Settings, load_settings
from otel_litellm.naming import Naming
from otel_litellm.setup import Instrumentation, active, instrument, renamer, uninstrument, views

__all__ = [
    "Instrumentation",
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
