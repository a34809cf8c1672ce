"""Run something when SIGTERM arrives, then do what was set up before."""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable
from types import FrameType

_log = logging.getLogger(__name__)


def chain_sigterm(action: Callable[[], None]) -> bool:
    """Call ``action`` on SIGTERM, then the previous handler (or the default action).

    ``action`` runs on the main thread inside the handler: it must only start work
    elsewhere.  False outside the main thread, where handlers cannot be installed.
    """
    try:
        previous = signal.getsignal(signal.SIGTERM)

        def on_sigterm(signum: int, frame: FrameType | None) -> None:
            try:
                action()
            except Exception:
                _log.exception("otel_litellm: SIGTERM action failed")
            if callable(previous):
                previous(signum, frame)
            elif previous != signal.SIG_IGN:
                signal.signal(signum, signal.SIG_DFL)
                os.kill(os.getpid(), signum)

        signal.signal(signal.SIGTERM, on_sigterm)
    except ValueError:
        _log.debug("otel_litellm: no SIGTERM hook outside the main thread")
        return False
    return True
