"""Exit codes every command shares, and the errors that carry them to the command line."""

from __future__ import annotations

import signal
import traceback
from pathlib import Path


class ExitCode:
    """Documented exit codes (the README's table)."""

    OK = 0
    INCOMPLETE = 1  # built (or validated), but returns are missing or have errors
    USAGE = 2  # bad options, a wrong path, or a catalogue error
    FAILED = 3  # something else went wrong; previous outputs are untouched
    LOCKED = 4  # another build holds the output folder
    NO_RETURNS = 5  # no return at all for the quarter: nothing written, previous outputs kept
    INTERRUPTED = 130  # SIGINT (128 + 2); SIGTERM gives 143 (128 + 15)


class BuildError(Exception):
    """A command that cannot go on; carries the exit code and a message for the user.

    Messages name paths, quarters and counts, never a value read from a return."""

    def __init__(self, message: str, code: int = ExitCode.FAILED) -> None:
        super().__init__(message)
        self.code = code


def describe(exc: BaseException) -> str:
    """An exception's type and where it was raised: safe to show and log, unlike its message,
    which can hold a value read from a return."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"{exc.__class__.__name__}{where}"


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived: stop, keep the previous outputs, exit 128 + the signal.

    A BaseException, like KeyboardInterrupt, so that no `except Exception` on the way (one bad
    return must not stop the others) mistakes it for a fault in one return."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def code(self) -> int:
        return 128 + self.signum
