"""Which processes form one server instance, and where they hand their metrics over.

A multi-worker server (``litellm --num_workers N`` spawns uvicorn workers; gunicorn's
arbiter and other pre-fork servers fork them) has one parent process that outlives its
workers.  That parent, named by its pid *and* its start time from ``/proc``, is the
instance: two servers on one host never share it, and a restarted server (a new
parent) never sees a crashed one's state.

Rule (``OTEL_LITELLM_HANDOVER``): ``on`` / ``off`` force it; ``auto`` (default) turns the
hand-over on when this process's parent runs one of :data:`SERVER_PARENTS` (the
LiteLLM CLI, uvicorn, gunicorn, hypercorn, uWSGI, granian).  A single-process proxy is
the CLI itself, whose parent is a shell or a supervisor: it pays nothing.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

_log = logging.getLogger(__name__)

DEFAULT_INTERVAL_SECONDS = 1.0

#: Words that, as a parent's program or module name, mark a multi-worker server.
SERVER_PARENTS = frozenset(
    {"litellm", "litellm.proxy.proxy_cli", "uvicorn", "gunicorn", "hypercorn", "uwsgi", "granian"}
)


@dataclass(frozen=True)
class Process:
    pid: int
    started: int  # clock ticks since boot, /proc/<pid>/stat field 22

    @property
    def name(self) -> str:
        return f"{self.pid}-{self.started}"

    def alive(self) -> bool:
        return start_time(self.pid) == self.started


def start_time(pid: int) -> int | None:
    """When ``pid`` started (clock ticks since boot), or None if there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its ')'.
    fields = stat[stat.rfind(")") + 2 :].split()
    return int(fields[19])


def process(pid: int) -> Process | None:
    started = start_time(pid)
    return None if started is None else Process(pid, started)


def parse(name: str) -> Process | None:
    pid, _, started = name.partition("-")
    return Process(int(pid), int(started)) if pid.isdigit() and started.isdigit() else None


def _program_words(pid: int) -> set[str]:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return set()
    words = {os.path.basename(arg.decode(errors="replace")) for arg in argv[:3] if arg}
    # ``python -m uvicorn`` names the module in the third word: the first two are enough.
    return words | {word.removesuffix(".py") for word in words}


def server_parent(mode: str = "auto") -> Process | None:
    """The parent process if this process is one worker of a multi-worker server.

    ``mode``: ``auto`` recognises the server by its program name; ``on`` takes any
    parent; ``off`` none.
    """
    if mode == "off":
        return None
    parent = process(os.getppid())
    if parent is None or parent.pid <= 1:
        return None
    if mode == "on":
        return parent
    return parent if _program_words(parent.pid) & SERVER_PARENTS else None


def base_dir() -> Path:
    return Path(tempfile.gettempdir(), f"otel_litellm_handover_{os.getuid()}")


def instance_dir(parent: Process) -> Path:
    """The instance's hand-over directory, created private; dead instances' ones removed."""
    base = base_dir()
    base.mkdir(mode=0o700, exist_ok=True)
    if base.stat().st_uid != os.getuid():
        raise PermissionError(f"{base} belongs to another user")
    remove_dead_instances(base, keep=parent)
    path = base / parent.name
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def remove_dead_instances(base: Path, keep: Process) -> None:
    for entry in base.iterdir():
        owner = parse(entry.name)
        if owner is None or owner == keep or owner.alive():
            continue
        shutil.rmtree(entry, ignore_errors=True)
        _log.info("otel_litellm: removed hand-over state of exited server %s", entry.name)
