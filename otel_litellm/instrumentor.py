"""``opentelemetry-instrument`` support: the ``litellm`` instrumentor entry point."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]

from otel_litellm.setup import instrument, uninstrument


class LiteLLMInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Records LiteLLM's metrics on the global (or given) ``MeterProvider``.

    Under zero-code start-up the SDK's provider has no otel_litellm views, so the
    instruments come out with their semantic names; pass ``meter_provider`` built
    with ``otel_litellm.views()`` for LiteLLM's names.
    """

    def instrumentation_dependencies(self) -> Collection[str]:
        return ("litellm >= 1.80",)

    def _instrument(self, **kwargs: Any) -> None:
        from opentelemetry import metrics

        provider = kwargs.pop("meter_provider", None) or metrics.get_meter_provider()
        instrument(meter_provider=provider, **kwargs)

    def _uninstrument(self, **kwargs: Any) -> None:
        uninstrument()
