"""What a return file may be: the limits of its size and shape, and the error that refuses it.

The checks look the limits up here when they run (`limits.MAX_ROWS`), so that one place sets them."""

from __future__ import annotations

from pathlib import Path

from tees_dataset import codes
from tees_dataset.codes import Code
from tees_dataset.report import Issue, Location

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 500 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
MAX_ROWS = 1_000_000
# A sheet's cells as calamine lays them out: (last row) x (last column) of its filled cells,
# however few are filled (one far cell makes them all). The largest sheet of returns at 100
# times Tees volumes (`sample --scale 100`) is about 750,000 (125,000 referrals of 6 columns);
# 5 million is over six times that, and keeps one sheet's layout within a few hundred MB.
MAX_CELLS = 5_000_000
# A sheet that calamine would lay out over SPARSE_CELLS cells with fewer than one in
# SPARSE_RATIO of them there (filled, or for a sheet the screen let through, a cell tag, and
# counting every column it may reach) is a stray cell far from the figures: it is refused,
# rather than laid out whole for a handful of values. A real return fills most of its rows.
SPARSE_CELLS = 1_000_000
SPARSE_RATIO = 100
MAX_PARTS = 10_000  # files inside the archive; a workbook has tens, a few hundred with pictures
MAX_EXPLAIN_BYTES = 64 * 1024 * 1024  # of a sheet's XML, looking for merged cells and formulas
MAX_MERGED = 100_000
MAX_CLEANED_CELLS = 100  # cells named one by one where characters were removed; then a count


class ReturnFileError(Exception):
    """A return file that cannot be read at all; carries the issue to report."""

    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.message)
        self.issue = issue


def fail(
    path: Path,
    code: Code,
    message: str,
    fix: str | None = None,
    sheet: str | None = None,
    value: str | None = None,
) -> ReturnFileError:
    return ReturnFileError(code.issue(message, Location(path.name, sheet=sheet), fix, value=value))


def corrupt(path: Path, why: str = "") -> ReturnFileError:
    return fail(
        path,
        codes.F_CORRUPT,
        f"the workbook is damaged and cannot be opened{why}",
    )


def too_large(path: Path, message: str) -> ReturnFileError:
    return fail(
        path,
        codes.F_TOO_LARGE,
        message,
    )


def unsafe(path: Path) -> ReturnFileError:
    return fail(
        path,
        codes.F_UNSAFE,
        "the workbook holds XML with a document type, which spreadsheets never write; it was "
        "not read",
    )
