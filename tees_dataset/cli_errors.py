"""How the command line fails: every failure is one line in the log's own format (plain, JSON,
or at a terminal) and a documented exit code; no message that can hold a value from a return is
ever shown. The commands themselves are in `cli`."""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import sys
from collections.abc import Iterator
from typing import NoReturn

import typer

from tees_dataset.errors import BuildError, ExitCode, Interrupted, describe
from tees_dataset.quarter import QuarterError

log = logging.getLogger("tees_dataset")

USAGE = 2


def say_error(message: str, code: int) -> None:
    """An error, as one line in the log's own format (plain, JSON, or at a terminal); paths
    and names in it are shown with unprintable characters (a newline, say) escaped."""
    from tees_dataset.logs import configured
    from tees_dataset.report import printable

    message = printable(message)
    if configured():
        log.error("%s", message, extra={"event": "failed", "exit_code": code})
    elif json_requested():  # an error before the log was set up, in the format asked for
        import json

        line = {"level": "error", "message": message, "event": "failed", "exit_code": code}
        typer.echo(json.dumps(line), err=True)
    else:
        typer.echo(f"Error: {message}", err=True)


def json_requested() -> bool:
    args = sys.argv[1:]
    return "--log-format=json" in args or any(
        a == "--log-format" and b == "json" for a, b in itertools.pairwise(args)
    )


def fail(message: str, code: int = USAGE) -> NoReturn:
    say_error(message, code)
    raise typer.Exit(code)


@contextlib.contextmanager
def guard(command: str) -> Iterator[None]:
    """Every way a command can fail becomes one line and a documented exit code; no message
    that can hold a value from a return is ever shown (an unexpected fault is named by its type
    and where it was raised, and the stage it was in)."""
    try:
        yield
    except typer.Exit:
        raise
    except BuildError as exc:
        fail(str(exc), exc.code)
    except QuarterError as exc:
        fail(str(exc), USAGE)
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        fail(
            f"cannot read or write files:{where}: {exc.strerror or describe(exc)}"
            + ("; previous outputs are untouched" if command in ("build", "validate") else ""),
            ExitCode.FAILED,
        )
    except Interrupted as exc:
        fail(
            f"stopped by {exc}: nothing was replaced; previous outputs are untouched",
            exc.code,
        )
    except Exception as exc:  # a fault in the tool, unless a signal caused it
        from tees_dataset import signals
        from tees_dataset.logs import current_stage

        signum = signals.received()
        if signum is not None:
            stopped = Interrupted(signum)
            fail(f"stopped by {stopped}: nothing was replaced; previous outputs are untouched",
                 stopped.code)  # fmt: skip

        stage = current_stage()
        fail(
            f"tees-dataset {command} failed"
            + (f" while {stage}" if stage else "")
            + f" ({describe(exc)}); previous outputs are untouched. This is a fault in the "
            "tool: please report it with this line.",
            ExitCode.FAILED,
        )


def run(app: typer.Typer) -> NoReturn:
    """The console script. SIGINT, SIGTERM and SIGHUP are obeyed (exit 130, 143, 129; previous
    outputs untouched), whatever the parent did with them. Usage errors are one line, like every
    other failure. Once the command has finished (its outputs written, closed and renamed into
    place, its logs flushed), the process ends at once: tearing the interpreter down object by
    object after a build takes about half a second and does nothing for the user."""
    from tees_dataset import signals
    from tees_dataset.logs import log_failed

    signals.install()
    try:
        result = app(standalone_mode=False)
        code = result if isinstance(result, int) else 0
    except typer.TyperException as exc:  # a usage error: a bad option, a missing value
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        exit_code = getattr(exc, "exit_code", USAGE)
        if message:  # (no command at all: the help has been shown)
            say_error(f"{message} (see tees-dataset --help)", exit_code)
        code = exit_code
    except typer.Abort:
        code = ExitCode.INTERRUPTED
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except Interrupted as exc:  # before or after a command's own handling
        say_error(f"stopped by {exc}: nothing was replaced", exc.code)
        code = exc.code
    except Exception as exc:  # a fault outside any command's guard
        say_error(f"tees-dataset failed ({describe(exc)}); please report it", ExitCode.FAILED)
        code = ExitCode.FAILED
    pending = signals.pending()
    if pending is not None and not code:
        # The signal came while the new outputs were swapped into place: they are whole.
        say_error(f"stopped by signal {pending} after the new outputs were in place", 128)
        code = 128 + pending
    if log_failed() and not code:
        say_error("the log file could not be written (disk full, or not writable)", 3)
        code = ExitCode.FAILED
    leave(code)


def leave(code: int) -> NoReturn:
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say
            stream.flush()
    os._exit(code)
