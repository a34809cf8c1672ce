"""Scraping the database gauges, and the expected series the tests compare them with."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

from prometheus_client.parser import text_string_to_metric_families

from otel_litellm.config import Settings
from otel_litellm.db.exporter import DatabaseExporter
from otel_litellm.db.settings import DatabaseSettings
from otel_litellm.db.spec import DB_METRICS
from tests.support.scrape import fetch

SeriesKey = tuple[str, frozenset[tuple[str, str]]]
Series = dict[SeriesKey, float]

DB_FAMILIES = frozenset(spec.litellm_name for spec in DB_METRICS)


def key(name: str, **labels: str) -> SeriesKey:
    return name, frozenset(labels.items())


def parse_db_series(text: str) -> Series:
    """Every sample of a database family in ``text``, by (name, labels); duplicates fail."""
    found: Series = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name not in DB_FAMILIES:
                continue
            series = key(sample.name, **sample.labels)
            assert series not in found, f"duplicate series {series}"
            found[series] = sample.value
    return found


def scrape(exporter: DatabaseExporter) -> Series:
    assert exporter.url is not None
    return parse_db_series(fetch(exporter.url))


@contextlib.contextmanager
def serving(settings: DatabaseSettings) -> Iterator[DatabaseExporter]:
    """The standalone exporter on a free 127.0.0.1 port; refreshes are up to the test."""
    exporter = DatabaseExporter(settings, port=0, host="127.0.0.1", options=Settings())
    try:
        yield exporter
    finally:
        exporter.close()


def pop_family(series: Series, name: str) -> dict[frozenset[tuple[str, str]], float]:
    """Remove and return one family's series (for values checked against a time bracket)."""
    taken = {labels: value for (family, labels), value in series.items() if family == name}
    for labels in taken:
        del series[(name, labels)]
    return taken


def entity(kind: str, entity_id: str, alias: str = "") -> dict[str, str]:
    return {"entity_type": kind, "entity_id": entity_id, "entity_alias": alias}


def as_series(rows: Mapping[str, list[tuple[float, dict[str, str]]]]) -> Series:
    return {key(name, **labels): value for name, items in rows.items() for value, labels in items}
