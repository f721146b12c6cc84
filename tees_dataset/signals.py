"""SIGINT and SIGTERM: obeyed at once, except while outputs are being swapped into place.

Python ignores SIGINT when its parent started it with SIGINT ignored (a background job of a
shell script, some schedulers), and by default dies on SIGTERM without tidying up. A command
that writes outputs installs these handlers, so that either signal, sent to its PID alone or to
its process group, stops it through the normal clean-up path: staging folders removed, render
processes ended, the lock released, the previous outputs untouched, exit 128 + the signal."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from tees_dataset.errors import Interrupted

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_state: dict[str, int | None] = {"pending": None, "deferring": 0, "received": None}


def _handler(signum: int, frame: FrameType | None) -> None:
    if _state["deferring"]:
        _state["pending"] = signum
        return
    _state["received"] = signum
    raise Interrupted(signum)


def received() -> int | None:
    """The signal that stopped this process, if one did. A library with a bare `except:` can
    turn the Interrupted raised inside it into an error of its own (openpyxl raises TypeError):
    the error is then the signal's doing, not a fault."""
    return _state["received"]


def install() -> None:
    """Obey SIGINT and SIGTERM from now on (main thread only)."""
    for sig in SIGNALS:
        signal.signal(sig, _handler)


def pending() -> int | None:
    """A signal that arrived while it was deferred, not yet acted on."""
    return _state["pending"]


def raise_pending() -> None:
    """Stop now if a deferred signal arrived, or one that stopped a step was swallowed on the
    way (a library's bare `except:`, a return's own fault handling): nothing goes into place
    after a signal."""
    if _state["received"] is not None:
        raise Interrupted(_state["received"])
    signum = _state["pending"]
    if signum is not None:
        _state["pending"] = None
        raise Interrupted(signum)


@contextmanager
def deferred() -> Iterator[None]:
    """Hold signals over a step that must not be cut in half (the swap into place); one that
    arrives meanwhile is kept, for `pending()` and `raise_pending()`."""
    _state["deferring"] = (_state["deferring"] or 0) + 1
    try:
        yield
    finally:
        _state["deferring"] = (_state["deferring"] or 1) - 1
