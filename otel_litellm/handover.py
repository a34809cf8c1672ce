"""One exact ``/metrics`` for a server with several worker processes.

Each worker of a multi-worker server (see :mod:`otel_litellm.workers` for how one is
recognised) writes its cumulative points, as an OTLP protobuf
``ExportMetricsServiceRequest``, to ``<instance dir>/<pid>-<start>.otlp`` every
hand-over interval (``OTEL_LITELLM_HANDOVER_INTERVAL``, 1 s), from a timer thread:
nothing is added to the request path.  The file is replaced atomically (temp +
rename), so a reader never sees half of one.

Whichever worker answers a scrape merges its own fresh collection with every peer's
latest file (:mod:`otel_litellm.merge`): an exited worker's points keep counting
(folded with other exited workers' into one file, :mod:`otel_litellm.exited`), and a
respawned worker starts a file of its own from zero, so no counter goes backwards.
A graceful exit (application shutdown, ``atexit``, ``SIGTERM``) writes a final file
and loses nothing (see :data:`DRAINING_INTERVAL_SECONDS` for uvicorn); ``SIGKILL``
loses what the worker recorded since its last write, at most one interval.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opentelemetry.sdk.metrics.export import Gauge, MetricsData

from otel_litellm import exited, multiproc_files, otlp_files, workers
from otel_litellm.merge import Source, merge_sources

if TYPE_CHECKING:
    from otel_litellm.setup import Instrumentation

_log = logging.getLogger(__name__)

SUFFIX = ".otlp"
#: How long a SIGTERM handler waits for a write before passing the signal on.
SIGNAL_FLUSH_SECONDS = 2.0
#: The write interval once SIGTERM arrived.  uvicorn restores the default SIGTERM
#: action after its graceful shutdown and raises the signal again, so neither
#: ``atexit`` nor a handler runs at the very end: writes follow the drain closely.
DRAINING_INTERVAL_SECONDS = 0.05
#: For at most this long after SIGTERM; a process that outlives it writes every interval.
DRAINING_SECONDS = 120.0
#: The wait between writes is at least this many times the last write's duration.
WRITE_SHARE = 4

Collect = Callable[[], "MetricsData | None"]
Stamp = Callable[[MetricsData], MetricsData]


def _unstamped(data: MetricsData) -> MetricsData:
    return data


class HandOver:
    """Writes this worker's points for its peers and merges theirs into its scrapes."""

    def __init__(
        self,
        directory: Path | None,
        me: workers.Process,
        collect: Collect,
        interval: float = workers.DEFAULT_INTERVAL_SECONDS,
        stamp: Stamp = _unstamped,
        also: Callable[[MetricsData], None] | None = None,
    ) -> None:
        """``directory``: the instance's hand-over directory (None: no peers to merge);
        ``also``: called with every snapshot written (LiteLLM's metrics-port files)."""
        self.directory = directory
        self._also = also
        self.me = me
        self.interval = interval
        self._collect = collect
        self._stamp = stamp
        self._path = directory / (me.name + SUFFIX) if directory else None
        self._write_lock = threading.Lock()
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._written = threading.Event()
        self._thread: threading.Thread | None = None
        self._decoded: dict[str, tuple[tuple[int, int], MetricsData]] = {}
        self._kept: MetricsData | None = None
        self._kept_at = 0
        self._kept_mono = 0.0
        self._draining_until = 0.0
        self.writes = 0

    # -- writing -------------------------------------------------------------
    def start(self) -> HandOver:
        self._thread = threading.Thread(target=self._run, name="otel-litellm-handover", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        took = 0.0
        while not self._stopping.is_set():
            # Thousands of series take a while to encode: the thread never spends
            # more than 1/WRITE_SHARE of a core on writing.
            draining = time.monotonic() < self._draining_until
            interval = DRAINING_INTERVAL_SECONDS if draining else self.interval
            self._wake.wait(max(interval, took * WRITE_SHARE))
            woken = self._wake.is_set()
            self._wake.clear()
            started = time.monotonic()
            # A scrape that just wrote this worker's file saves the timer a write.
            if woken or started - self._kept_mono >= interval:
                self.write()
                took = time.monotonic() - started
            self._written.set()
            self.fold()

    def fold(self) -> int:
        """Fold exited peers' files into one (:mod:`otel_litellm.exited`); how many."""
        if self.directory is None:
            return 0
        try:
            return exited.fold(self.directory, SUFFIX)
        except Exception:
            _log.exception("otel_litellm: folding exited workers' hand-over files failed")
            return 0

    def write(self) -> bool:
        """Collect and write this worker's current points now; False (logged) if that failed."""
        with self._write_lock:
            try:
                data = self._collect()
                return data is not None and self._keep(data) is not None
            except Exception:
                _log.exception("otel_litellm: writing the hand-over file %s failed", self._path)
                return False

    def _keep(self, data: MetricsData) -> MetricsData:
        """The newer of ``data`` and the last file written, which it replaces if older.

        Holding the write lock.  Every scrape writes its own collection before reading
        the peers': a later scrape, answered by any worker, then finds at least what
        this one showed, so no counter seen through the instance goes backwards.
        """
        taken = collected_at(data)
        if self._kept is not None and taken <= self._kept_at:
            return self._kept
        stamped = self._stamp(data)
        self._kept, self._kept_at, self._kept_mono = stamped, taken, time.monotonic()
        if self._path is not None:
            temporary = self._path.with_name(f".{self.me.name}.tmp")
            temporary.write_bytes(otlp_files.encode(stamped))
            os.replace(temporary, self._path)
        if self._also is not None:
            self._also(stamped)
        self.writes += 1
        return stamped

    def on_sigterm(self, timeout: float = SIGNAL_FLUSH_SECONDS) -> None:
        """Have the timer thread write now, waiting at most ``timeout``.

        A signal handler runs on the main thread, maybe inside a lock a collection
        needs: it never collects itself.
        """
        self._draining_until = time.monotonic() + DRAINING_SECONDS
        self._written.clear()
        self._wake.set()
        self._written.wait(timeout)

    def stop(self) -> None:
        """Write a final file and stop the timer thread."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.write()

    # -- reading -------------------------------------------------------------
    def merge(self, own: MetricsData) -> MetricsData:
        """``own`` (a fresh collection) with every peer's latest file."""
        with self._write_lock:
            try:
                own = self._keep(own)
            except Exception:
                _log.exception("otel_litellm: writing the hand-over file %s failed", self._path)
                own = self._stamp(own)
        sources = [Source(own, live=True), *self._peers()]
        if len(sources) == 1:
            return own
        try:
            return merge_sources(sources)
        except Exception:  # a scrape still answers, with this worker's own points
            _log.exception("otel_litellm: merging the workers' hand-over files failed")
            return own

    def _peers(self) -> list[Source]:
        if self.directory is None:
            return []
        found: dict[str, Source] = {}
        for path in self.directory.glob("*" + SUFFIX):
            name = path.name[: -len(SUFFIX)]
            peer = workers.parse(name)
            if peer is None or peer == self.me:
                continue
            data = self._read(path, name)
            if data is not None:
                found[name] = Source(data, live=peer.alive())
        # Read after the workers' files: a fold that ran meanwhile names what it absorbed.
        folded = self._read(self.directory / exited.FILE_NAME, exited.FILE_NAME)
        if folded is not None:
            for name in exited.absorbed(folded):
                found.pop(name, None)
            found[exited.FILE_NAME] = Source(folded, live=False)
        for gone in self._decoded.keys() - found.keys():
            del self._decoded[gone]
        return list(found.values())

    def _read(self, path: Path, name: str) -> MetricsData | None:
        # An exited worker's file never changes again: decoded once, reused.
        try:
            status = path.stat()
            version = (status.st_mtime_ns, status.st_size)
            cached = self._decoded.get(name)
            if cached is not None and cached[0] == version:
                return cached[1]
            data = otlp_files.decode(path.read_bytes())
        except FileNotFoundError:
            return None
        except Exception:
            _log.warning("otel_litellm: skipping unreadable hand-over file %s", path, exc_info=True)
            return None
        self._decoded[name] = (version, data)
        return data


def collected_at(data: MetricsData) -> int:
    """When ``data`` was collected: its sums' and histograms' point time."""
    latest = 0
    for rm in data.resource_metrics:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                if not isinstance(metric.data, Gauge):
                    for point in metric.data.data_points:
                        latest = max(latest, point.time_unix_nano)
    return latest


def gauge_stamper(
    written: Callable[[str], Mapping[frozenset[tuple[str, Any]], float]],
    store_names: Mapping[str, str],
) -> Stamp:
    """Stamp each state gauge point with when its value was set, not when it was read.

    ``written(store_name)`` gives each series' last write (``time.monotonic()``, which
    is one clock for every process on the host); ``store_names`` maps exported gauge
    names to the names they are stored under.  Merging then keeps the latest value
    any worker observed.
    """

    def stamp(data: MetricsData) -> MetricsData:
        offset = time.time_ns() - int(time.monotonic() * 1e9)
        resource_metrics = []
        for rm in data.resource_metrics:
            scope_metrics = []
            for sm in rm.scope_metrics:
                metrics = []
                for metric in sm.metrics:
                    store_name = store_names.get(metric.name)
                    if store_name is not None and isinstance(metric.data, Gauge):
                        times = written(store_name)
                        points = [
                            replace(p, time_unix_nano=offset + int(times[key] * 1e9))
                            if (key := frozenset((p.attributes or {}).items())) in times
                            else p
                            for p in metric.data.data_points
                        ]
                        metric = replace(metric, data=replace(metric.data, data_points=points))
                    metrics.append(metric)
                scope_metrics.append(replace(sm, metrics=metrics))
            resource_metrics.append(replace(rm, scope_metrics=scope_metrics))
        return MetricsData(resource_metrics=resource_metrics)

    return stamp


def start(
    collect: Collect,
    stamp: Stamp = _unstamped,
    rewrite: Callable[[MetricsData], MetricsData] | None = None,
    *,
    mode: str = "auto",
    interval: float = workers.DEFAULT_INTERVAL_SECONDS,
    multiproc: Path | None = None,
) -> HandOver | None:
    """Start the hand-over if this process is one worker of several, or if LiteLLM's
    separate metrics server (``PROMETHEUS_MULTIPROC_DIR``) serves the metrics; None
    otherwise (a single process pays nothing)."""
    parent = workers.server_parent(mode)
    me = workers.process(os.getpid())
    if me is None or (parent is None and multiproc is None):
        return None
    also = None
    if multiproc is not None:
        shape = rewrite or _unstamped

        def also(data: MetricsData) -> None:
            multiproc_files.write(multiproc, me, shape(data))

    directory = workers.instance_dir(parent) if parent is not None else None
    # Stopped (a final write) when its set-up closes, at exit too; flushed on SIGTERM
    # through Instrumentation.on_sigterm: the lifecycle owner holds both hooks.
    handover = HandOver(directory, me, collect, interval, stamp, also).start()
    _log.info(
        "otel_litellm: worker %d hands its metrics over every %.1fs (%s%s)",
        me.pid,
        interval,
        directory or "",
        f" and {multiproc}" if multiproc else "",
    )
    return handover


def start_for_process(instrumentation: Instrumentation) -> HandOver | None:
    """Hand this worker's pull-reader points over, if it is one of several workers.

    Called once per process after instrumenting (a forked worker calls it again
    for its fresh setup).  Without a Prometheus reader there is nothing to serve.
    """
    reader = instrumentation.prometheus_reader
    if reader is None:
        return None
    from otel_litellm.spec import Kind

    specs = instrumentation.settings.specs()
    store_names = {spec.name: spec.name for spec in specs if spec.kind is Kind.GAUGE}
    store_names.update({spec.litellm_name: spec.name for spec in specs if spec.kind is Kind.GAUGE})
    try:
        settings = instrumentation.settings
        handover = start(
            reader.collect_data,
            gauge_stamper(instrumentation.instruments.store.written, store_names),
            reader._rewrite,
            mode=settings.handover,
            interval=settings.handover_interval,
            multiproc=Path(settings.prometheus_multiproc_dir)
            if settings.prometheus_multiproc_dir
            else None,
        )
    except Exception:
        _log.exception(
            "otel_litellm: multi-worker hand-over not started; /metrics shows one worker"
        )
        return None
    if handover is not None:
        reader.merge = handover.merge
        instrumentation.extras.append(handover)
    return handover
