"""What a scrape gets: the exposition of a registry, rendered once for every scrape
that asks while it is being rendered.

Concurrent scrapes of one registry in one format share one render (a render holds
the GIL for its whole length, so fifty in parallel cost fifty in series).  A finished
render is served again only within the caller's ``max_age``.  All of this state is one
:class:`RenderState` object, which :func:`after_fork` replaces in a forked child.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import Metric

from otel_litellm import exposition
from otel_litellm.readers import reader_for

_log = logging.getLogger(__name__)


class _Flight:
    """One render of one registry in one format, and the scrapes waiting for it."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.started = time.monotonic()
        self.done = threading.Event()
        self.body = b""
        self.error: BaseException | None = None

    def serves(self, registry: CollectorRegistry, arrived: float, max_age: float) -> bool:
        if self.registry is not registry or self.error is not None:
            return False
        return not self.done.is_set() or self.started >= arrived - max_age


class RenderState:
    """Everything renders share: replaced whole after a fork (see :func:`after_fork`).

    ``render_lock``: one render at a time, since a render holds the GIL for its whole
    length and the reader's capture is not re-entrant.  ``flights``: the latest render
    per format, at most one each, so concurrent scrapes share it.
    """

    def __init__(self) -> None:
        self.render_lock = threading.Lock()
        self.guard = threading.Lock()
        self.flights: dict[str, _Flight] = {}


_state = RenderState()


def after_fork() -> None:
    """Give a forked child fresh render state.

    A parent thread may have held the render lock, or led a render others wait for,
    at the moment of the fork; in the child that thread does not exist, so neither
    would ever be released.
    """
    global _state
    _state = RenderState()


def render(
    registry: CollectorRegistry,
    accept: str | None,
    names: list[str] | None = None,
    max_age: float = 0.0,
) -> tuple[bytes, str]:
    """The exposition of ``registry`` in the format ``accept`` asks for.

    A scrape that arrives while a render of the same registry and format runs waits
    for that render and is served its result, so fifty scrapers cost one render.
    ``max_age`` > 0 also serves a finished render that started at most that many
    seconds before the scrape arrived.  A ``name[]`` scrape renders on its own.
    """
    _, content_type = choose_encoder(accept or "")
    state = _state
    if names:
        with state.render_lock:
            return _render_now(registry, content_type, names), content_type
    # Keyed by format only: the Accept header's version and escaping are the client's
    # to choose, and would make the table grow without bound.
    key = "openmetrics" if _is_openmetrics(content_type) else "text"
    arrived = time.monotonic()
    with state.guard:
        flight = state.flights.get(key)
        leader = flight is None or not flight.serves(registry, arrived, max_age)
        if leader:
            flight = state.flights[key] = _Flight(registry)
    assert flight is not None
    if not leader:
        flight.done.wait()
    else:
        try:
            with state.render_lock:
                flight.started = time.monotonic()
                flight.body = _render_now(registry, content_type, None)
        except BaseException as error:
            flight.error = error
            raise
        finally:
            flight.done.set()
            if max_age <= 0:  # nothing may reuse it: drop the body now
                with state.guard:
                    if state.flights.get(key) is flight:
                        del state.flights[key]
    if flight.error is not None:  # the leader raised it; the scrapes it served fail too
        raise RuntimeError("the shared render failed") from flight.error
    return flight.body, content_type


def _render_now(registry: CollectorRegistry, content_type: str, names: list[str] | None) -> bytes:
    reader = reader_for(registry)
    if reader is not None:
        try:
            return reader.render(_is_openmetrics(content_type), names)
        except exposition.Unsupported as reason:
            _log.debug("otel_litellm: rendering through prometheus_client: %s", reason)
    encoder, _ = choose_encoder(content_type)
    return bytes(encoder(_Selected(registry, names) if names else registry))


def _is_openmetrics(content_type: str) -> bool:
    return content_type.startswith("application/openmetrics")


class _Selected:
    """``registry`` narrowed to ``names`` as :func:`exposition.render` narrows it.

    prometheus_client's own ``restricted_registry`` finds collectors by the names
    they declared when registered, and the OTel reader declared none then."""

    def __init__(self, registry: CollectorRegistry, names: list[str]) -> None:
        self._registry = registry
        self._names = set(names)

    def collect(self) -> Iterator[Metric]:
        for metric in self._registry.collect():
            if metric.name in self._names:
                yield metric
                continue
            samples = [sample for sample in metric.samples if sample.name in self._names]
            if samples:
                narrowed = Metric(metric.name, metric.documentation, metric.type, metric.unit)
                narrowed.samples = samples
                yield narrowed
