"""Exited workers' hand-over files fold into one, and scrapes count each worker once."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.metrics.export import MetricsData

from otel_litellm import exited, handover, workers
from otel_litellm.handover import SUFFIX, HandOver
from tests.test_handover_units import metrics, recorded


def _me() -> workers.Process:
    me = workers.process(os.getpid())
    assert me is not None
    return me


def _exited_worker(index: int) -> workers.Process:
    """This pid with another start time: a worker that has exited."""
    me = _me()
    return workers.Process(me.pid, me.started + 1 + index)


def _write(directory: Path, worker: workers.Process, data: MetricsData) -> None:
    assert HandOver(directory, worker, lambda: data).write()


def _values(data: MetricsData) -> dict[str, Any]:
    found = metrics(data)
    latency = found["latency"].data.data_points[0]
    assert sum(latency.bucket_counts) == latency.count
    return {
        "requests": found["requests"].data.data_points[0].value,
        "latency": (latency.count, round(latency.sum, 6)),
        "budget": found["budget"].data.data_points[0].value,
        "in_flight": found["in_flight"].data.data_points[0].value,
    }


def _files(directory: Path) -> set[str]:
    return {path.name for path in directory.glob("*" + SUFFIX)}


@pytest.fixture
def instance(tmp_path: Path) -> tuple[HandOver, MetricsData]:
    """A live worker and three exited ones, each with its own counts."""
    own = recorded(1, (0.1,), 5.0, 1)
    for index, counts in enumerate([(2, (0.2,), 6.0, 4), (3, (0.3,), 7.0, 5), (4, (0.4,), 8.0, 6)]):
        _write(tmp_path, _exited_worker(index), recorded(*counts))
    live = HandOver(tmp_path, _me(), lambda: own)
    return live, own


EXPECTED = {
    "requests": 10,
    "latency": (4, 1.0),
    "budget": 8.0,  # the newest observation, from the last worker to exit
    "in_flight": 1,  # live workers only
}


def test_exited_workers_fold_into_one_file_and_keep_counting(
    instance: tuple[HandOver, MetricsData],
) -> None:
    live, own = instance
    assert live.directory is not None
    before = _values(live.merge(own))
    assert before == EXPECTED
    assert live.fold() == 3
    assert _files(live.directory) == {exited.FILE_NAME, live.me.name + SUFFIX}
    assert _values(live.merge(own)) == before
    # A fourth worker exits: it joins the folded file.
    _write(live.directory, _exited_worker(3), recorded(5, (0.5,), 9.0, 7))
    assert live.fold() == 1
    assert _values(live.merge(own)) == {
        "requests": 15,
        "latency": (5, 1.5),
        "budget": 9.0,
        "in_flight": 1,
    }
    assert live.fold() == 0  # nothing left to fold


def test_a_fold_stopped_before_removing_files_counts_nothing_twice(
    instance: tuple[HandOver, MetricsData],
) -> None:
    live, own = instance
    assert live.directory is not None
    leftovers = {path: path.read_bytes() for path in live.directory.glob("*-*" + SUFFIX)}
    assert live.fold() == 3
    for path, content in leftovers.items():  # as if the fold had stopped before the unlinks
        path.write_bytes(content)
    assert _values(live.merge(own)) == EXPECTED
    assert live.fold() == 0
    assert _files(live.directory) == {exited.FILE_NAME, live.me.name + SUFFIX}


@pytest.mark.parametrize("fold_at_read", [1, 2, 3])
def test_a_scrape_racing_a_fold_counts_each_worker_once(
    instance: tuple[HandOver, MetricsData], monkeypatch: pytest.MonkeyPatch, fold_at_read: int
) -> None:
    live, own = instance
    directory = live.directory
    assert directory is not None
    reads = 0
    original = HandOver._read

    def read_then_fold(self: HandOver, path: Path, name: str) -> MetricsData | None:
        nonlocal reads
        reads += 1
        if reads == fold_at_read:  # another worker folds between the listing and this read
            assert exited.fold(directory, SUFFIX) == 3
        return original(self, path, name)

    monkeypatch.setattr(HandOver, "_read", read_then_fold)
    assert _values(live.merge(own)) == EXPECTED


def test_an_unreadable_exited_file_is_dropped_and_the_rest_folded(
    instance: tuple[HandOver, MetricsData], caplog: pytest.LogCaptureFixture
) -> None:
    live, own = instance
    assert live.directory is not None
    broken = _exited_worker(9)
    (live.directory / (broken.name + SUFFIX)).write_bytes(b"\xff not protobuf")
    assert live.fold() == 4
    assert "dropped unreadable hand-over file" in caplog.text
    assert _values(live.merge(own)) == EXPECTED


def test_one_fold_at_a_time(instance: tuple[HandOver, MetricsData]) -> None:
    live, _ = instance
    assert live.directory is not None
    with open(live.directory / exited.LOCK_NAME, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        assert live.fold() == 0  # another worker is folding: skip, never wait
    assert live.fold() == 3


def test_the_hand_over_thread_folds(
    instance: tuple[HandOver, MetricsData], monkeypatch: pytest.MonkeyPatch
) -> None:
    live, own = instance
    assert live.directory is not None
    monkeypatch.setattr(handover, "DRAINING_INTERVAL_SECONDS", 0.01)
    live.interval = 0.05
    live.start()
    try:
        for _ in range(200):
            if exited.FILE_NAME in _files(live.directory):
                break
            live.on_sigterm(0.05)
        assert _files(live.directory) == {exited.FILE_NAME, live.me.name + SUFFIX}
    finally:
        live.stop()
    assert _values(live.merge(own)) == EXPECTED
