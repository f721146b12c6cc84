"""Logging for a terminal (colour, a spinner per stage), for cron (plain lines) and for log
shippers (one JSON object a line). Messages never carry values from returns."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

LogFormat = Literal["auto", "plain", "json"]
log = logging.getLogger("tees_dataset")
_STATE: dict[str, Any] = {"console": None, "configured": False, "stage": None, "failed": False}
# A log that cannot be written (a full disk) is reported once, by the command's exit, not by a
# traceback on standard error for every line.
logging.raiseExceptions = False


class _FileHandler(logging.FileHandler):
    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        _STATE["failed"] = True


class _WarningsAndOutcome(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or getattr(record, "event", None) == "outcome"


def log_failed() -> bool:
    """Whether a line could not be written to the log file."""
    return bool(_STATE["failed"])


_PLAIN = "%(asctime)s %(levelname)s %(message)s"
_STANDARD = set(vars(logging.makeLogRecord({})))


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, message, and any fields passed as `extra`."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        data |= {
            k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")
        }
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


def configure(
    *, verbose: bool = False, fmt: LogFormat = "auto", log_file: Path | None = None
) -> None:
    """Set up the handlers once per process."""
    root = logging.getLogger("tees_dataset")
    root.handlers.clear()
    root.setLevel(logging.DEBUG)
    root.propagate = False
    console_level = logging.INFO if verbose else logging.WARNING
    interactive = fmt == "auto" and sys.stderr.isatty()
    if interactive:
        from rich.console import Console
        from rich.logging import RichHandler

        console = Console(stderr=True)
        _STATE["console"] = console
        handler: logging.Handler = RichHandler(console=console, show_path=False, markup=False)
    else:
        _STATE["console"] = None
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(_PLAIN))
    if fmt == "json" and not verbose:
        # A log shipper gets the outcome of every run (its exit code), not only problems.
        handler.setLevel(logging.INFO)
        handler.addFilter(_WarningsAndOutcome())
    else:
        handler.setLevel(console_level)
    root.addHandler(handler)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        file_handler = _FileHandler(log_file, encoding="utf-8")
        file_handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(_PLAIN))
        file_handler.setLevel(logging.INFO)
        root.addHandler(file_handler)
    _STATE["configured"] = True


def configured() -> bool:
    """Whether `configure` has run: errors then go through the log, in its format."""
    return bool(_STATE["configured"])


def current_stage() -> str | None:
    """The stage running now (or the last one started), for a last-resort error message."""
    stage_name: str | None = _STATE["stage"]
    return stage_name


@contextmanager
def stage(name: str, **fields: Any) -> Iterator[None]:
    """Log a stage's start and its duration; at a terminal, show a spinner while it runs."""
    started = time.perf_counter()
    _STATE["stage"] = name
    log.info("%s…", name, extra={"stage": name, "event": "start", **fields})
    console = _STATE["console"]
    if console is not None:
        with console.status(f"{name}…"):
            yield
    else:
        yield
    seconds = round(time.perf_counter() - started, 3)
    log.info(
        "%s: done in %.1f s",
        name,
        seconds,
        extra={"stage": name, "event": "end", "seconds": seconds, **fields},
    )
