"""`received.csv`, the business unit's log of when each return arrived."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from tees_dataset import codes
from tees_dataset.report import Issue, Location

RECEIVED_LOG = "received.csv"
# A line per return: a few KB. Anything larger is not what the business unit keeps.
MAX_RECEIVED_LOG_BYTES = 1024 * 1024


def _modified(path: Path) -> dt.date:
    return dt.datetime.fromtimestamp(path.stat().st_mtime).date()


def read_received_log(path: Path) -> tuple[dict[str, dt.date], list[Issue]]:
    """`received.csv` (agency, received as YYYY-MM-DD), kept by the business unit: when each
    return arrived. Without it, a file's modification date stands in: so too when it cannot be
    read (not UTF-8 text, over MAX_RECEIVED_LOG_BYTES, not CSV), with a warning that quotes
    nothing of it. It never stops a build."""
    if path.is_symlink() or not path.is_file():  # a link is reported by `discover`
        return {}, []

    def unreadable(why: str, fix: str) -> tuple[dict[str, dt.date], list[Issue]]:
        return {}, [codes.F_RECEIVED_UNREADABLE.issue(f"{why}; the returns' file dates are used instead", Location(path.name),
            fix + " Until then each return's file date stands in for when it arrived.",
        )]  # fmt: skip

    save_as = (
        "Save it as CSV UTF-8 (in Excel: Save As › CSV UTF-8), with columns agency and received."
    )
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_RECEIVED_LOG_BYTES + 1)
    except OSError as exc:
        return unreadable(f"the file could not be read ({exc.__class__.__name__})",
                          "Check the folder lets it be read.")  # fmt: skip
    if len(data) > MAX_RECEIVED_LOG_BYTES:
        return unreadable(
            f"the file is over {MAX_RECEIVED_LOG_BYTES / 2**20:g} MB, more than a list of "
            "returns received can be", "Keep one line per return: agency,received.")  # fmt: skip
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return unreadable("the file is not UTF-8 text", save_as)
    if "\x00" in text:
        return unreadable(
            "the file holds characters text never does (it may be UTF-16 or not text)", save_as
        )
    received: dict[str, dt.date] = {}
    issues = []
    try:
        for line, row in enumerate(csv.DictReader(io.StringIO(text, newline="")), start=2):
            try:
                received[(row.get("agency") or "").strip()] = dt.date.fromisoformat(
                    (row.get("received") or "").strip()
                )
            except (ValueError, TypeError, AttributeError):
                issues.append(codes.F_RECEIVED_DATE.issue("the received date is not a date like 2024-10-15",
                    Location(path.name, line=line),
                ))  # fmt: skip
    except csv.Error:
        return unreadable("the file is not a CSV file this tool can read", save_as)
    return received, issues
