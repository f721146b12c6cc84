"""The key lines of enquiry from one quarter to the next.

Each build writes `enquiries.csv`: every partnership's key lines of enquiry, with an empty
`response` column. After the Performance Analysis Group meets, the business unit copies the
rows into `responses.csv` at the top of the returns folder (the same columns; one file for all
quarters, rows added each quarter) and writes the Group's response in `response`. The next
quarter's pack carries the previous quarter's enquiries forward with those responses; when the
file or the quarter's rows are absent, the pack says so.

The file is the business unit's own text, not an agency's return: it is shown in the internal
pack only, never in the published one. It is read as plain text (never evaluated), size-capped,
and a malformed file is reported and ignored, never fatal.
"""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path
from typing import Any

from tees_dataset.report import printable

RESPONSES = "responses.csv"
ENQUIRIES = "enquiries.csv"
COLUMNS = ("quarter", "partnership", "rank", "theme", "title", "enquiry", "evidence", "response")
MAX_BYTES = 1024 * 1024
MAX_TEXT = 2000
MAX_CARRIED = 12  # a partnership's enquiries carried into one pack

log = logging.getLogger(__name__)


def write_enquiries(contexts: list[Any], path: Path) -> None:
    """enquiries.csv: the key lines of enquiry of every pack, ready for the Group's responses."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for context in contexts:
            for rank, enquiry in enumerate(context.findings.enquiries, start=1):
                evidence = " | ".join(
                    (f"{e.indicator_id}: " if e.indicator_id else "") + e.text
                    for e in enquiry.evidence
                )
                cells = [context.quarter, context.partnership_id, str(rank), enquiry.theme,
                         enquiry.title, enquiry.question, evidence, ""]  # fmt: skip
                writer.writerow([_safe(c) for c in cells])


def _safe(text: str) -> str:
    """Text as a spreadsheet shows it, never a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _clean(text: str) -> str:
    return printable(" ".join(text.split()))[:MAX_TEXT]


def read_rows(returns_dir: Path) -> list[dict[str, str]]:
    """The rows of responses.csv beside the returns; none when it is absent or unreadable (a
    warning says why), never an error."""
    path = returns_dir / RESPONSES
    try:
        if not path.is_file() or path.is_symlink():
            return []
        if path.stat().st_size > MAX_BYTES:
            log.warning("%s is over %d bytes and was not read", RESPONSES, MAX_BYTES)
            return []
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252")  # Excel's "CSV (Comma delimited)" on Windows
        return list(csv.DictReader(io.StringIO(text)))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        log.warning("%s could not be read (%s): the pack says no responses were found",
                    RESPONSES, type(exc).__name__)  # fmt: skip
        return []


def carried(
    rows: list[dict[str, str]], quarter: str, partnership: str
) -> tuple[list[tuple[str, str, str]], str]:
    """A partnership's enquiries of `quarter` among responses.csv's rows, at most MAX_CARRIED,
    and a sentence for the pack when some or all are not shown."""
    out = []
    for row in rows:
        if (row.get("quarter") or "").strip() != quarter:
            continue
        if (row.get("partnership") or "").strip() != partnership:
            continue
        enquiry = _clean(row.get("enquiry") or "")
        if enquiry:
            out.append(
                (_clean(row.get("title") or row.get("theme") or ""), enquiry,
                 _clean(row.get("response") or ""))
            )  # fmt: skip
    if not out:
        return [], (
            f"No responses to {quarter}'s enquiries were found: the business unit records them "
            f"in {RESPONSES} in the returns folder (see the README)."
        )
    if len(out) > MAX_CARRIED:
        more = len(out) - MAX_CARRIED
        return out[
            :MAX_CARRIED
        ], f"{more} more responses to {quarter}'s enquiries are in {RESPONSES}."
    return out, ""
