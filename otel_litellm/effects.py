"""Process-global effects: each one applied once and undone exactly.

The lifecycle owner (``otel_litellm.instrumentor``) keeps the list of effects it
applied and undoes them in reverse order, so ``uninstrument()`` leaves LiteLLM's
objects exactly as they were.  Wrapping uses ``wrapt`` as the OpenTelemetry contrib
instrumentations do.
"""

from __future__ import annotations

import atexit
import importlib
import logging
import os
import signal
from collections.abc import Callable, MutableSequence
from types import FrameType
from typing import Any, Protocol

import wrapt

_log = logging.getLogger("otel_litellm")

Wrapper = Callable[[Any, Any, tuple[Any, ...], dict[str, Any]], Any]


class Effect(Protocol):
    def apply(self) -> bool:
        """Apply; False when the target does not exist (in this LiteLLM version)."""

    def undo(self) -> None: ...


def _resolve(module_name: str, path: str) -> tuple[Any, str] | None:
    """(owner, attribute) for ``path`` ("function" or "Class.method") in ``module_name``."""
    try:
        owner: Any = importlib.import_module(module_name)
    except Exception as error:  # an optional LiteLLM part (the proxy) may be missing
        _log.debug("otel_litellm: %s not importable: %s", module_name, error)
        return None
    *parents, attribute = path.split(".")
    for parent in parents:
        owner = getattr(owner, parent, None)
        if owner is None:
            return None
    return (owner, attribute) if attribute in vars(owner) else None


def is_wrapped(owner: Any, attribute: str) -> bool:
    return isinstance(vars(owner).get(attribute), wrapt.FunctionWrapper)


class Wrap:
    """A ``wrapt`` function wrapper around ``module_name:path``."""

    def __init__(self, module_name: str, path: str, wrapper: Wrapper) -> None:
        self.module_name = module_name
        self.path = path
        self.wrapper = wrapper
        self.target: tuple[Any, str] | None = None

    def __repr__(self) -> str:
        return f"Wrap({self.module_name}:{self.path})"

    def apply(self) -> bool:
        target = _resolve(self.module_name, self.path)
        if target is None:
            return False
        owner, attribute = target
        wrapt.wrap_function_wrapper(owner, attribute, self.wrapper)
        self.target = target
        return True

    def undo(self) -> None:
        if self.target is None:
            return
        owner, attribute = self.target
        current = vars(owner).get(attribute)
        # Not opentelemetry's unwrap(): it reads through getattr, which would put back
        # a staticmethod's bare function, and its ObjectProxy check misses wrapt 2's
        # FunctionWrapper, leaving the wrapper in place.
        if isinstance(current, wrapt.FunctionWrapper):
            setattr(owner, attribute, current.__wrapped__)
        self.target = None


class ListEntry:
    """``item`` appended to a list LiteLLM reads (``litellm.callbacks``), removed again."""

    def __init__(self, lists: Callable[[], list[MutableSequence[Any]]], item: Any, add: bool):
        self.lists = lists
        self.item = item
        self.add = add

    def apply(self) -> bool:
        lists = self.lists()
        if self.add and lists and self.item not in lists[0]:
            lists[0].append(self.item)
        return True

    def undo(self) -> None:
        # Wherever LiteLLM or the proxy copied it to, not only where we put it.
        for entries in self.lists():
            entries[:] = [entry for entry in entries if entry is not self.item]


class Route:
    """A Starlette route put first in an app's route table, removed again."""

    def __init__(self, app: Any, route: Any) -> None:
        self.app = app
        self.route = route

    def apply(self) -> bool:
        # First: the proxy has catch-all pass-through routes.
        self.app.router.routes.insert(0, self.route)
        return True

    def undo(self) -> None:
        routes = self.app.router.routes
        routes[:] = [route for route in routes if route is not self.route]


class AtExit:
    def __init__(self, function: Callable[[], None]) -> None:
        self.function = function

    def apply(self) -> bool:
        atexit.register(self.function)
        return True

    def undo(self) -> None:
        atexit.unregister(self.function)


class SigtermHook:
    """``action`` on SIGTERM, then whatever handled SIGTERM before (the server's own).

    uvicorn ends a worker by re-raising SIGTERM with the default action once it has
    drained, so neither ``atexit`` nor a later handler runs: this is the one moment a
    worker can hand its last counts over.  ``action`` runs on the main thread inside
    the handler and must only start work elsewhere.
    """

    def __init__(self, action: Callable[[], None]) -> None:
        self.action = action
        self.previous: Any = None

    def apply(self) -> bool:
        try:
            self.previous = signal.getsignal(signal.SIGTERM)
            signal.signal(signal.SIGTERM, self._on_sigterm)
        except ValueError:  # not the main thread: no handler can be installed
            _log.debug("otel_litellm: no SIGTERM hook outside the main thread")
            return False
        return True

    def _on_sigterm(self, signum: int, frame: FrameType | None) -> None:
        try:
            self.action()
        except Exception:
            _log.exception("otel_litellm: SIGTERM hand-over failed")
        previous = self.previous
        if callable(previous):
            previous(signum, frame)
        elif previous != signal.SIG_IGN:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)

    def undo(self) -> None:
        try:
            if signal.getsignal(signal.SIGTERM) == self._on_sigterm:
                signal.signal(signal.SIGTERM, self.previous)
        except ValueError:
            _log.debug("otel_litellm: SIGTERM hook left in place (not the main thread)")
