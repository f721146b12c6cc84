"""Reading return workbooks with calamine: checks before reading, then raw text with positions."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import fastexcel
import polars as pl

from tees_dataset.report import Issue, Level, Location
from tees_dataset.returns.workbook import (
    COMMENTS_LABEL,
    GUIDANCE_SHEET,
    MAX_COMMENT,
    META_SHEET,
    normalise_header,
)

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 500 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
MAX_ROWS = 1_000_000
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")


class ReturnFileError(Exception):
    """A return file that cannot be read at all; carries the issue to report."""

    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.message)
        self.issue = issue


def _fail(
    path: Path, code: str, message: str, fix: str, sheet: str | None = None
) -> ReturnFileError:
    return ReturnFileError(Issue(Level.ERROR, code, message, Location(path.name, sheet=sheet), fix))


def inspect_file(path: Path) -> None:
    """Cheap checks before reading anything: size, kind of file, encryption, zip bombs."""
    size = path.stat().st_size
    if size == 0:
        raise _fail(
            path,
            "file-empty",
            "the file is empty (0 bytes)",
            "Save the return again and resend it.",
        )
    if size > MAX_FILE_BYTES:
        raise _fail(
            path,
            "file-too-large",
            f"the file is {size / 1e6:.0f} MB, over the {MAX_FILE_BYTES / 1e6:.0f} MB limit",
            "Remove anything other than the return's sheets (pictures, pivot caches) and resend.",
        )
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(b"PK"):
        _check_zip(path)
    elif head == _OLE_MAGIC:
        with path.open("rb") as handle:
            if _ENCRYPTED_MARK in handle.read(min(size, 4 * 1024 * 1024)):
                raise _fail(
                    path,
                    "file-encrypted",
                    "the workbook is password-protected",
                    "Remove the password (File › Info › Protect Workbook) and resend; send it "
                    "by a secure route instead.",
                )
    else:
        raise _fail(
            path,
            "not-a-workbook",
            "this is not an Excel workbook",
            "Send the return as an Excel workbook (.xlsx) made from the template.",
        )


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise _fail(
            path,
            "file-corrupt",
            f"the workbook is damaged and cannot be opened ({exc})",
            "Open it in Excel, save it again, and resend.",
        ) from exc
    total = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if total > MAX_UNCOMPRESSED_BYTES or total / packed > MAX_COMPRESSION_RATIO:
        raise _fail(
            path,
            "file-too-large",
            f"the workbook unpacks to {total / 1e6:.0f} MB, more than a return can hold",
            "Remove anything other than the return's sheets and resend.",
        )


@dataclass(frozen=True)
class RawSheet:
    """A sheet as text, row i of the frame is Excel row i + 1; `letters` maps frame columns to A, B…"""

    frame: pl.DataFrame
    letters: tuple[str, ...]
    visible: bool = True


class Workbook:
    """An opened return workbook (read with calamine)."""

    def __init__(self, path: Path) -> None:
        inspect_file(path)
        self.path = path
        try:
            self._reader = fastexcel.read_excel(path)
        except Exception as exc:  # calamine raises several error types for bad files
            raise _fail(
                path,
                "file-corrupt",
                f"the workbook cannot be read: {_first_line(exc)}",
                "Open it in Excel, save it as .xlsx again, and resend.",
            ) from exc
        self.sheet_names: list[str] = list(self._reader.sheet_names)

    def comment(self) -> str | None:
        """The agency's note for the partnership, from the template's guidance sheet."""
        if GUIDANCE_SHEET not in self.sheet_names:
            return None
        try:
            frame = self._reader.load_sheet(
                GUIDANCE_SHEET, header_row=None, dtypes="string", n_rows=200
            ).to_polars()
        except Exception:
            return None
        if frame.width < 2:
            return None
        label = normalise_header(COMMENTS_LABEL)
        for key, value in zip(
            frame.to_series(0).to_list(), frame.to_series(1).to_list(), strict=True
        ):
            if key and normalise_header(key) == label:
                text = " ".join((value or "").split())
                return text[:MAX_COMMENT] or None
        return None

    def metadata(self) -> dict[str, str]:
        """The template's metadata sheet as key -> value; empty when there is none."""
        if META_SHEET not in self.sheet_names:
            return {}
        try:
            sheet = self._reader.load_sheet(META_SHEET, header_row=None, dtypes="string")
        except Exception:
            return {}
        frame = sheet.to_polars()
        if frame.width < 2:
            return {}
        keys, values = frame.to_series(0).to_list(), frame.to_series(1).to_list()
        return {
            str(k).strip(): str(v).strip() for k, v in zip(keys, values, strict=True) if k and v
        }

    def raw_sheet(self, name: str) -> RawSheet:
        """Every cell of a sheet as text, keeping absolute row and column positions."""
        try:
            sheet = self._reader.load_sheet(
                name, header_row=None, skip_rows=0, dtypes="string", n_rows=MAX_ROWS + 1
            )
            frame = sheet.to_polars()
            columns = sheet.available_columns()
        except Exception as exc:
            raise _fail(
                self.path,
                "sheet-unreadable",
                f"the sheet '{name}' cannot be read: {_first_line(exc)}",
                "Open the workbook in Excel, check the sheet, save and resend.",
                sheet=name,
            ) from exc
        if frame.height > MAX_ROWS:
            raise _fail(
                self.path,
                "too-many-rows",
                f"the sheet has over {MAX_ROWS:,} rows, more than a return can hold",
                "Check for rows filled down by accident; delete them and resend.",
                sheet=name,
            )
        letters = tuple(column_letter(c.absolute_index) for c in columns)
        return RawSheet(frame, letters, visible=str(sheet.visible) == "visible")


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else exc.__class__.__name__


def blank_cell_causes(path: Path, sheet: str, cells: set[str]) -> dict[str, tuple[str, str]]:
    """Why cells read as blank, where the workbook says: a formula whose result was never
    saved, or part of a merged range. Only asked when there are blank cells to explain."""
    if not cells or path.suffix.lower() not in (".xlsx", ".xlsm"):
        return {}
    from openpyxl import load_workbook
    from openpyxl.utils.cell import range_boundaries

    try:
        ws = load_workbook(path, data_only=False)[sheet]
    except Exception:
        return {}
    causes: dict[str, tuple[str, str]] = {}
    for merged in ws.merged_cells.ranges:
        min_col, min_row, max_col, max_row = range_boundaries(str(merged))
        for row in range(min_row, max_row + 1):
            for col in range(min_col, max_col + 1):
                ref = f"{column_letter(col - 1)}{row}"
                if ref in cells:
                    causes[ref] = (
                        f"it is part of the merged cells {merged}",
                        "Unmerge the cells and fill in the value on every row.",
                    )
    for ref in cells - causes.keys():
        value = ws[ref].value
        if isinstance(value, str) and value.startswith("="):
            causes[ref] = (
                "it holds a formula whose result was not saved in the file",
                "Open the workbook in Excel so it calculates, save it, and resend (or paste "
                "the values in place of the formulas).",
            )
    return causes
