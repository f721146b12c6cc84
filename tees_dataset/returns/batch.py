"""The one shape of a validation's findings: each sheet's issues, at the cell they are about.

A sheet gets at most MAX_CELL_ISSUES issues of one code at cells; the rest are counted by column
and told in one issue each."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from tees_dataset.catalogue.models import (
    Agency,
    ReturnSpec,
)
from tees_dataset.codes import Code
from tees_dataset.quarter import Quarter
from tees_dataset.report import Issue, Level, Location
from tees_dataset.returns.read import RawSheet
from tees_dataset.returns.workbook import sheet_columns

ROW = "_row"
SHEET = "_sheet"
# Issues of one code listed cell by cell on a sheet; the rest are counted (see `Batch`).
MAX_CELL_ISSUES = 100
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ?"  # a cell's column, or `?` for one not found


@dataclass(frozen=True)
class SheetInput:
    """One agency's sheet for a return, as read, waiting to be validated."""

    raw: RawSheet
    agency: Agency
    quarter: Quarter
    file: str


@dataclass
class BatchResult:
    """Validated sheets of one return: issues per sheet, and one typed frame of every row.

    `frame` has `_sheet` (index into the sheets given), `_row` (the Excel row), the return's
    columns (typed), `quarter_start` and `quarter_end`; rows of rejected sheets are included.
    """

    frame: pl.DataFrame
    issues: list[list[Issue]]
    read: frozenset[int]  # the sheets whose header and columns could be read

    def rejected(self, index: int) -> bool:
        return index not in self.read or any(i.level is Level.ERROR for i in self.issues[index])


@dataclass(frozen=True)
class _Where:
    file: str
    sheet: str
    agency: str
    return_id: str

    def issue(
        self,
        code: Code,
        message: str,
        fix: str | None,
        cell: str | None = None,
        value: Any = None,
        personal: bool = False,
        *,
        level: Level | None = None,
        code_text: str | None = None,
    ) -> Issue:
        return code.issue(
            message,
            Location(self.file, sheet=self.sheet, cell=cell),
            fix,
            level=level,
            code=code_text,
            agency=self.agency,
            return_id=self.return_id,
            value=None if value is None else str(value),
            personal=personal,
        )


class Batch:
    """Where each sheet's issues go, and the cell each row's column is in.

    A sheet gets at most MAX_CELL_ISSUES issues of one code at cells; the cells past that are
    counted by column and told in one issue each (`summarise`), so that a sheet of a hundred
    thousand bad dates makes a report (and a log) of a few hundred lines, not of a hundred
    thousand. Such a sheet is rejected all the same."""

    def __init__(self, spec: ReturnSpec, sheets: Sequence[SheetInput]) -> None:
        self.spec = spec
        self.sheets = sheets
        self.where = [_Where(s.file, spec.sheet, s.agency.id, spec.id) for s in sheets]
        self.issues: list[list[Issue]] = [[] for _ in sheets]
        self.letters: list[dict[str, str]] = [{} for _ in sheets]
        self.read: set[int] = set()
        # Every cell with an issue, listed or only counted; the rows with an error at a cell.
        self.reported: list[set[str]] = [set() for _ in sheets]
        self.rows_in_error: list[set[int]] = [set() for _ in sheets]
        self._listed: list[Counter[str]] = [Counter() for _ in sheets]
        # (entry, code, level, column letter) -> (cells not listed, the fix of the first of them)
        self._more: list[dict[tuple[Code, str | None, Level, str], tuple[int, str | None]]] = [
            {} for _ in sheets
        ]

    def cell(self, sheet: int, column: str | None, row: int) -> str:
        return f"{self.letters[sheet].get(column or '', '?') if column else 'A'}{row}"

    def add(self, sheet: int, entry: Code, message: str, fix: str | None = None, cell: str | None = None,
            value: Any = None, personal: bool = False, *, level: Level | None = None,
            code: str | None = None) -> None:  # fmt: skip
        """An issue of `entry` on the sheet (its own fix unless `fix` is given; `level` and `code`
        for a cross-field rule's own)."""
        level = level or entry.level
        if cell is not None:
            self.reported[sheet].add(cell)
            if level is Level.ERROR and (row := cell.lstrip(_LETTERS)).isdigit():
                self.rows_in_error[sheet].add(int(row))
            counted = code or entry.code
            if self._listed[sheet][counted] >= MAX_CELL_ISSUES:
                key = (entry, code, level, cell.rstrip("0123456789"))
                count, first_fix = self._more[sheet].get(key, (0, fix))
                self._more[sheet][key] = (count + 1, first_fix)
                return
            self._listed[sheet][counted] += 1
        self.issues[sheet].append(
            self.where[sheet].issue(
                entry, message, fix, cell, value, personal, level=level, code_text=code
            )
        )

    def summarise(self) -> None:
        """One issue for each code and column with cells past MAX_CELL_ISSUES."""
        titles = {c.name: c.title for c in sheet_columns(self.spec)}
        for sheet, more in enumerate(self._more):
            named = {letter: titles[name] for name, letter in self.letters[sheet].items()}
            for (entry, code, level, letter), (count, fix) in more.items():
                column = f"column {letter} ('{named[letter]}')" if letter in named else (
                    f"column {letter}"
                )  # fmt: skip
                self.issues[sheet].append(self.where[sheet].issue(
                    entry,
                    f"and {count:,} more cell{'s' if count > 1 else ''} like this in {column}: "
                    f"only the first {MAX_CELL_ISSUES} of this sheet are listed one by one",
                    fix, level=level, code_text=code,
                ))  # fmt: skip
