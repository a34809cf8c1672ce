"""Exited workers' hand-over files, folded into one.

A server that replaces its workers (gunicorn ``--max-requests``, uvicorn's health-check
restarts, OOM kills) leaves one hand-over file per exited worker, and every scrape
would decode and merge them all: its cost and memory would grow with the server's
age.  Instead, a live worker's hand-over thread folds the files of exited workers into
one file, :data:`FILE_NAME` (counters and histograms summed, state gauges' latest
values kept, live gauges dropped: the merge rules of :mod:`otel_litellm.merge` for
exited workers), then removes them.

The folded file names the files it absorbed.  A reader reads it after the workers'
files and drops any it names, so a scrape that races a fold, or a fold interrupted
between writing the folded file and removing the others, counts nothing twice.  One
fold at a time (an exclusive ``flock``); a worker that finds one running skips its turn.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from opentelemetry.sdk.metrics.export import MetricsData, ResourceMetrics
from opentelemetry.sdk.resources import Resource

from otel_litellm import otlp_files, workers
from otel_litellm.merge import Source, merge_sources

_log = logging.getLogger(__name__)

FILE_NAME = "exited.otlp"
LOCK_NAME = ".fold.lock"
#: The resource attribute that lists the absorbed files' names, space separated.
ABSORBED_ATTRIBUTE = "otel_litellm.handover.absorbed"
#: Names remembered: a reader that listed a file before its fold reads the folded file
#: within one scrape, long before this many more workers have exited.
ABSORBED_KEPT = 4096


def absorbed(data: MetricsData) -> list[str]:
    """The names of the files the folded ``data`` absorbed, oldest first."""
    for rm in data.resource_metrics:
        names = rm.resource.attributes.get(ABSORBED_ATTRIBUTE)
        if isinstance(names, str):
            return names.split()
    return []


def _with_absorbed(data: MetricsData, names: list[str]) -> MetricsData:
    resource = Resource({ABSORBED_ATTRIBUTE: " ".join(names)})
    return MetricsData(
        [ResourceMetrics(resource, rm.scope_metrics, rm.schema_url) for rm in data.resource_metrics]
    )


def _exited_files(directory: Path, suffix: str) -> list[tuple[str, Path]]:
    found = []
    for file in directory.glob("*" + suffix):
        name = file.name[: -len(suffix)]
        worker = workers.parse(name)
        if worker is not None and not worker.alive():
            found.append((name, file))
    return found


def _previous(path: Path) -> MetricsData | None:
    try:
        return otlp_files.decode(path.read_bytes())
    except FileNotFoundError:
        return None
    except Exception:
        # Scrapes already skip it; the next fold starts a new one.
        _log.error(
            "otel_litellm: unreadable folded hand-over file %s replaced", path, exc_info=True
        )
        return None


@contextmanager
def _folding(directory: Path) -> Iterator[bool]:
    """Holds the directory's fold lock if free; yields whether it does."""
    with open(directory / LOCK_NAME, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def fold(directory: Path, suffix: str) -> int:
    """Fold the files of exited workers in ``directory`` into :data:`FILE_NAME`.

    Returns how many were folded (0 when there were none, or another fold runs).
    Cheap when no worker has exited: a directory listing.
    """
    if not _exited_files(directory, suffix):
        return 0
    with _folding(directory) as held:
        if not held:
            return 0
        path = directory / FILE_NAME
        previous = _previous(path)
        order = absorbed(previous) if previous is not None else []
        folded_before = set(order)
        fresh = []
        for name, file in _exited_files(directory, suffix):
            if name in folded_before:  # a fold that stopped before removing it
                file.unlink(missing_ok=True)
            else:
                fresh.append((name, file))
        if not fresh:
            return 0
        sources = [Source(previous, live=False)] if previous is not None else []
        for _, file in fresh:
            try:
                sources.append(Source(otlp_files.decode(file.read_bytes()), live=False))
            except Exception:
                _log.warning(
                    "otel_litellm: dropped unreadable hand-over file %s", file, exc_info=True
                )
        order = (order + [name for name, _ in fresh])[-ABSORBED_KEPT:]
        merged = _with_absorbed(merge_sources(sources), order)
        temporary = directory / f".{FILE_NAME}.tmp"
        temporary.write_bytes(otlp_files.encode(merged))
        os.replace(temporary, path)
        for _, file in fresh:
            file.unlink(missing_ok=True)
        _log.info(
            "otel_litellm: folded %d exited workers' hand-over files into %s", len(fresh), path
        )
        return len(fresh)
