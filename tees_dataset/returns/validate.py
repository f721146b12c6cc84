"""Validating return sheets: header, types, pandera schema from the catalogue, cross-field rules.

Every agency's sheet for a return (across quarters, when several are read together) is checked in
one pass: the header and columns sheet by sheet, then all their rows at once, so a quarter costs a
handful of queries per return rather than per sheet and per check.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from difflib import get_close_matches
from typing import Any

import polars as pl

from tees_dataset import codes
from tees_dataset.catalogue.models import (
    LOCAL_AUTHORITY,
    Agency,
    Catalogue,
    Column,
    ReturnSpec,
    Rule,
)
from tees_dataset.codes import Code
from tees_dataset.quarter import Quarter
from tees_dataset.report import Issue, Level, Location
from tees_dataset.returns.read import RawSheet
from tees_dataset.returns.workbook import AREA_COLUMN, as_found, normalise_header, sheet_columns

ROW = "_row"
SHEET = "_sheet"
# Issues of one code listed cell by cell on a sheet; the rest are counted (see `_Batch`).
MAX_CELL_ISSUES = 100
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ?"  # a cell's column, or `?` for one not found
QUARTER_COLUMNS = ("quarter_start", "quarter_end")
HEADER_SEARCH_ROWS = 30
_TOTAL_WORDS = frozenset({"total", "totals", "grand_total", "sum"})
_EXCEL_EPOCH = dt.date(1899, 12, 30)
# Dates are never reinterpreted: a two-digit year is an error, as is a date outside what its
# column can hold: before 1990 (1900 for a date of birth), or more than a year after the
# quarter's end (five years for a due or target date; none for a date of birth).
_SHORT_YEAR = r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2}$"
_EARLIEST = dt.date(1990, 1, 1)
_EARLIEST_BIRTH = dt.date(1900, 1, 1)
_LATER_DAYS = 365
_LATER_DAYS_DUE = 5 * 365
# Numbers: a comma is a thousands separator only between groups of three digits (1,500 is
# 1500); anywhere else (1,5) it is taken for a decimal comma, an error, never dropped.
_THOUSANDS = r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$"
_DECIMAL_COMMA = r"^[+-]?(\d{1,3}(\.\d{3})+|\d*),\d+$"


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
        fix: str,
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


class _Batch:
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
        self._more: list[dict[tuple[Code, str | None, Level, str], tuple[int, str]]] = [
            {} for _ in sheets
        ]

    def cell(self, sheet: int, column: str | None, row: int) -> str:
        return f"{self.letters[sheet].get(column or '', '?') if column else 'A'}{row}"

    def add(self, sheet: int, entry: Code, message: str, fix: str, cell: str | None = None,
            value: Any = None, personal: bool = False, *, level: Level | None = None,
            code: str | None = None) -> None:  # fmt: skip
        """An issue of `entry` (`level` and `code` for a cross-field rule's own) on the sheet."""
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


def validate_sheets(
    spec: ReturnSpec, catalogue: Catalogue, sheets: Sequence[SheetInput]
) -> BatchResult:
    """Validate every agency's sheet for one return at once (any quarters): the header and
    columns of each sheet, then types, areas, the pandera schema and the cross-field rules
    over all their rows together, each finding sent back to the sheet and cell it came from."""
    batch = _Batch(spec, sheets)
    columns = sheet_columns(spec)
    parts = []
    for index, sheet in enumerate(sheets):
        body = _sheet_body(batch, index, sheet, columns)
        if body is not None:
            parts.append(body)
    read = frozenset(batch.read)
    schema = {SHEET: pl.Int64(), ROW: pl.Int64()} | {c.name: pl.String() for c in columns}
    # One query for all the sheets: a collect() per sheet would wait for the thread pool each time.
    frame = (
        pl.concat(parts, how="vertical").collect(engine="in-memory")
        if parts
        else pl.DataFrame(schema=schema)
    )
    frame = _drop_totals(batch, frame, columns)
    frame = _with_quarter(frame, sheets)
    frame = _parse_types(batch, frame, columns)
    if spec.area_level == LOCAL_AUTHORITY:
        frame = _resolve_area(batch, frame, catalogue)
    frame = _code_canonical(frame, spec, catalogue)
    _duplicate_issues(batch, frame, columns)
    _check_rows(batch, frame, catalogue)
    _coverage_issues(batch, frame, catalogue, read)
    batch.summarise()
    _attach_records(batch, frame)
    return BatchResult(frame, batch.issues, read)


def _sheet_body(
    batch: _Batch, index: int, sheet: SheetInput, columns: list[Column]
) -> pl.LazyFrame | None:
    """The sheet's data rows under the expected column names, all text; None if unreadable."""
    raw = sheet.raw
    for cell in raw.cleaned:
        batch.add(index, codes.V_CHARACTER, _CLEANED, _CLEANED_FIX, cell)
    if raw.cleaned_count > len(raw.cleaned):
        batch.add(index, codes.V_CHARACTER,
                  f"such characters were removed from {raw.cleaned_count - len(raw.cleaned):,} "
                  "more cells of the sheet", _CLEANED_FIX)  # fmt: skip
    header_index = _find_header(raw.frame, columns)
    if header_index is None:
        expected = ", ".join(c.title for c in batch.spec.columns)
        batch.add(
            index,
            codes.V_HEADER,
            f"the header row was not found in the first {HEADER_SEARCH_ROWS} rows",
            f"Keep the template's header row; it names: {expected}.",
        )
        return None
    if not raw.visible:
        batch.add(
            index,
            codes.V_SHEET_HIDDEN,
            "the sheet is hidden; it was read all the same",
            "Unhide the sheet (right-click a sheet tab › Unhide) so what you send is what we read.",
        )
    mapping = _map_columns(batch, index, header_index, columns)
    if any(i.level is Level.ERROR for i in batch.issues[index]):
        return None
    batch.read.add(index)
    batch.letters[index] = {
        name: raw.letters[raw.frame.columns.index(src)] for name, src in mapping.items()
    }
    body = raw.frame.lazy().with_row_index(ROW, offset=1).slice(header_index + 1)
    exprs = [pl.lit(index, pl.Int64).alias(SHEET), pl.col(ROW).cast(pl.Int64)]
    for column in columns:
        if column.name in mapping:
            value = pl.col(mapping[column.name]).str.strip_chars()
            exprs.append(pl.when(value != "").then(value).alias(column.name))
        else:
            exprs.append(pl.lit(None, pl.String).alias(column.name))
    names = [c.name for c in columns]
    return body.select(exprs).filter(pl.any_horizontal(pl.col(n).is_not_null() for n in names))


_CLEANED = "a character that no workbook can hold (a control character) was removed from this cell"
_CLEANED_FIX = "Check the cell reads as you meant; retype it if it was pasted from another system."


def _find_header(frame: pl.DataFrame, columns: list[Column]) -> int | None:
    wanted = {normalise_header(c.name) for c in columns} | {
        normalise_header(c.title) for c in columns
    }
    best, best_score = None, 0
    for index, row in enumerate(frame.head(HEADER_SEARCH_ROWS).iter_rows()):
        score = sum(1 for cell in row if cell is not None and normalise_header(cell) in wanted)
        if score > best_score:
            best, best_score = index, score
    needed = max(1, (len(columns) - 1 + 1) // 2)
    return best if best_score >= needed else None


def _map_columns(
    batch: _Batch, index: int, header_index: int, columns: list[Column]
) -> dict[str, str]:
    """Expected column name -> frame column holding it; missing and extra columns reported."""
    raw = batch.sheets[index].raw
    agency = batch.sheets[index].agency
    header = raw.frame.row(header_index)
    keys = {normalise_header(c.name): c.name for c in columns}
    keys |= {normalise_header(c.title): c.name for c in columns}
    mapping: dict[str, str] = {}
    extras: list[tuple[str, str]] = []
    for src, cell, letter in zip(raw.frame.columns, header, raw.letters, strict=True):
        if cell is None or not cell.strip():
            continue
        name = keys.get(normalise_header(cell))
        if name is None or name in mapping:
            extras.append((cell, f"{letter}{header_index + 1}"))
        else:
            mapping[name] = src
    missing = [c for c in columns if c.name not in mapping]
    titles = [c.title for c in missing]
    # The agency's headings are never quoted in a message (any text can be one): a similar one
    # is named by its cell, and its text goes in `value` (only the agency's feedback shows it).
    found = {as_found(text): cell for text, cell in extras}
    for column in missing:
        if column.name == AREA_COLUMN and len(agency.covers) == 1:
            continue
        close = get_close_matches(column.title, list(found), n=1, cutoff=0.5)
        fix = (
            f"Rename the column headed in {found[close[0]]} to '{column.title}'."
            if close
            else f"Add the column '{column.title}' as in the template."
        )
        required = column.required or column.name == AREA_COLUMN
        batch.add(
            index,
            codes.V_COLUMN_MISSING,
            f"the column '{column.title}' is missing",
            fix,
            value=close[0] if close else None,
            level=Level.ERROR if required else Level.WARNING,
        )
    for text, cell in extras:
        close = get_close_matches(text, titles, n=1, cutoff=0.5)
        fix = (
            f"Did you mean '{close[0]}'? Rename it."
            if close
            else "Remove the column, or leave it: it is ignored."
        )
        batch.add(
            index,
            codes.V_COLUMN_EXTRA,
            "this column is not part of the return",
            fix,
            cell,
            text,
        )
    return mapping


def _drop_totals(batch: _Batch, frame: pl.DataFrame, columns: list[Column]) -> pl.DataFrame:
    """Rows whose first filled cell says `Total` are the agency's own sums: left out."""
    first_text = pl.coalesce(pl.col(c.name) for c in columns)
    is_total = normalised(first_text).is_in(list(_TOTAL_WORDS)).fill_null(False)
    for sheet, row in frame.filter(is_total).select(SHEET, ROW).iter_rows():
        batch.add(
            sheet,
            codes.V_TOTALS_ROW,
            f"row {row} looks like a totals row and was ignored",
            "Leave totals out: they are calculated.",
            f"A{row}",
        )
    return frame.filter(~is_total)


def _parse_types(batch: _Batch, frame: pl.DataFrame, columns: list[Column]) -> pl.DataFrame:
    """Dates and numbers typed; a cell that is not one, or not a plausible one, is reported
    at its cell (never reinterpreted) and left blank."""
    typed = [c for c in columns if c.type not in ("text", "code")]
    parsed = frame.with_columns(_parse_expr(c).alias(c.name) for c in typed)
    if not typed or frame.is_empty():
        return parsed
    problems = parsed.select(SHEET, ROW, *[_problem(c, frame[c.name]).alias(c.name) for c in typed])
    bad = problems.with_columns(
        pl.lit(frame[c.name]).alias(f"_raw_{c.name}") for c in typed
    ).filter(pl.any_horizontal(pl.col(c.name).is_not_null() for c in typed))
    for record in bad.iter_rows(named=True):
        sheet = record[SHEET]
        for column in typed:
            problem = record[column.name]
            if problem is None:
                continue
            code, message = _problem_words(column, problem, batch.sheets[sheet].quarter)
            batch.add(
                sheet,
                code,
                message,
                code.fix,
                batch.cell(sheet, column.name, record[ROW]),
                record[f"_raw_{column.name}"],
                column.personal,
            )
    if bad.is_empty():
        return parsed
    return parsed.with_columns(
        pl.when(problems[c.name].is_null()).then(pl.col(c.name)).alias(c.name) for c in typed
    )


_TYPE_WORDS = {"integer": "a whole number", "number": "a number", "date": "a real date"}


def _is_birth(column: Column) -> bool:
    return "birth" in column.name or column.name == "dob" or "birth" in column.title.lower()


def _is_due(column: Column) -> bool:
    return any(word in column.name for word in ("due", "target", "deadline"))


def _date_limits(column: Column) -> tuple[dt.date, int]:
    """The earliest date a column can plausibly hold, and how many days after the quarter's
    end its latest is."""
    if _is_birth(column):
        return _EARLIEST_BIRTH, 0
    return _EARLIEST, _LATER_DAYS_DUE if _is_due(column) else _LATER_DAYS


def _problem(column: Column, raw: pl.Series) -> pl.Expr:
    """What is wrong with each cell of a typed column, as a word; null when nothing is."""
    value, text = pl.col(column.name), pl.lit(raw)
    unread = text.is_not_null() & value.is_null()
    if column.type == "date":
        earliest, days = _date_limits(column)
        latest = pl.col(QUARTER_COLUMNS[1]) + pl.duration(days=days)
        return (
            pl.when(text.is_null()).then(None)
            .when(text.str.contains(_SHORT_YEAR)).then(pl.lit("short-year"))
            .when(unread).then(pl.lit("type"))
            .when(value < pl.lit(earliest)).then(pl.lit("early"))
            .when(value > latest).then(pl.lit("late"))
        )  # fmt: skip
    return (
        pl.when(unread & text.str.contains(_DECIMAL_COMMA)).then(pl.lit("comma"))
        .when(unread).then(pl.lit("type"))
    )  # fmt: skip


def _problem_words(column: Column, problem: str, quarter: Quarter) -> tuple[Code, str]:
    """The code and message for a problem found by `_problem` (the fix is the code's)."""
    title = column.title
    earliest, days = _date_limits(column)
    latest = quarter.end + dt.timedelta(days=days)
    if problem == "short-year":
        return codes.V_DATE_YEAR, (
            f"'{title}' has a two-digit year, which could be read as more than one year"
        )
    if problem == "early":
        return codes.V_DATE_RANGE, f"'{title}' is before {earliest:%d/%m/%Y}, too early to be right"
    if problem == "late":
        return codes.V_DATE_RANGE, (
            f"'{title}' is after {latest:%d/%m/%Y}, too far beyond the quarter to be right"
        )
    if problem == "comma":
        return codes.V_DECIMAL_COMMA, f"'{title}' has a decimal comma"
    return codes.V_TYPE[column.type], f"'{title}' is not {_TYPE_WORDS[column.type]}"


def _parse_expr(column: Column) -> pl.Expr:
    raw = pl.col(column.name)
    if column.type == "date":
        serial = raw.cast(pl.Float64, strict=False)
        return pl.coalesce(
            raw.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False),
            raw.str.to_date("%d/%m/%Y", strict=False),
            pl.when(serial.is_between(1, 2958465) & (serial == serial.floor())).then(
                pl.lit(_EXCEL_EPOCH) + pl.duration(days=serial.cast(pl.Int64))
            ),
        )
    if column.type in ("integer", "number"):
        grouped = raw.str.contains(_THOUSANDS)
        text = pl.when(grouped).then(raw.str.replace_all(",", "")).otherwise(raw)
        number = text.cast(pl.Float64, strict=False)
        number = pl.when(number.is_finite()).then(number)
        if column.type == "number":
            return number
        return pl.when(number == number.floor()).then(number.cast(pl.Int64, strict=False))
    return raw


def _with_quarter(frame: pl.DataFrame, sheets: Sequence[SheetInput]) -> pl.DataFrame:
    """Each row's quarter bounds: the rules and the in-quarter checks compare dates with them."""
    starts = {i: s.quarter.start for i, s in enumerate(sheets)}
    ends = {i: s.quarter.end for i, s in enumerate(sheets)}
    return frame.with_columns(
        pl.col(SHEET).replace_strict(starts, return_dtype=pl.Date).alias(QUARTER_COLUMNS[0]),
        pl.col(SHEET).replace_strict(ends, return_dtype=pl.Date).alias(QUARTER_COLUMNS[1]),
    )


def _resolve_area(batch: _Batch, frame: pl.DataFrame, catalogue: Catalogue) -> pl.DataFrame:
    """Local authority names, codes or ids become ids; councils may leave the column blank."""
    lookup: dict[str, str] = {}
    for la in catalogue.local_authorities:
        for key in (la.id, la.code, la.name):
            lookup[normalise_header(key)] = la.id
    agencies = [s.agency for s in batch.sheets]
    defaults = {i: a.covers[0] for i, a in enumerate(agencies) if len(a.covers) == 1}
    allowed = [f"{i}|{la}" for i, a in enumerate(agencies) for la in a.covers]
    area = pl.col(AREA_COLUMN)
    resolved = frame.with_columns(
        pl.when(area.is_null())
        .then(pl.col(SHEET).replace_strict(defaults, default=None, return_dtype=pl.String))
        .otherwise(
            normalised(area).replace_strict(lookup, default=pl.lit("?"), return_dtype=pl.String)
        )
        .alias(AREA_COLUMN)
    )
    # Only the rows in error are looked at one by one.
    pair = pl.concat_str(pl.col(SHEET).cast(pl.String), pl.lit("|"), pl.col("id"))
    check = (
        resolved.select(SHEET, ROW, pl.col(AREA_COLUMN).alias("id"))
        .with_columns(frame[AREA_COLUMN].alias("raw"))
        .filter(pl.col("id").is_null() | ~pair.is_in(allowed))
    )
    names = {la.id: la.name for la in catalogue.local_authorities}
    for sheet, row, la_id, raw in check.iter_rows():
        agency = agencies[sheet]
        if la_id is None:
            message = "the local authority is blank"
        elif la_id == "?":
            message = "the local authority is not one we know"
        else:
            message = f"the local authority is not one {agency.name} reports for"
        batch.add(sheet, codes.V_AREA,
            message,
            f"Choose one of: {', '.join(names[la] for la in names if la in agency.covers)}.",
            batch.cell(sheet, AREA_COLUMN, row) if batch.letters[sheet].get(AREA_COLUMN)
            else f"A{row}",
            raw,
        )  # fmt: skip
    return resolved


def duplicate_key(spec: ReturnSpec) -> list[Column] | None:
    """What identifies a row of an aggregate return, besides its local authority (each gives
    figures that are added up, so each must be given once): its code and text columns, the
    categories its figures are for (a contact source, a type of exploitation, a service).
    None for a record-level return (there only a row repeated whole is a copy), or a
    partnership's aggregate return with no such column (nothing tells its rows apart)."""
    if spec.record_level:
        return None
    key = [c for c in spec.columns if c.type in ("code", "text") and not c.personal]
    return key if key or spec.area_level == LOCAL_AUTHORITY else None


def _duplicate_issues(batch: _Batch, frame: pl.DataFrame, columns: list[Column]) -> None:
    """A row given twice would be counted twice. In a record-level return, a row that repeats an
    earlier one in every column (child reference included) is a copy: an error at each copy,
    naming the first. (A child can have two referrals, even on one day: some column tells them
    apart.) In an aggregate return, a second row for the same local authority and categories
    (`duplicate_key`) is an error at its cell. Rows already in error are left out: a blank left
    by an unreadable cell would make rows look alike that are not."""
    spec = batch.spec
    key = duplicate_key(spec)
    if frame.is_empty() or (key is None and not spec.record_level):
        return
    if key is None:  # record-level: every column, as read
        names = [c.name for c in columns]
        values = [pl.col(n) for n in names]
    else:  # the area, and the categories (text compared as headings are: case and spacing aside)
        area = [AREA_COLUMN] if spec.area_level == LOCAL_AUTHORITY else []
        names = area + [c.name for c in key]
        values = [pl.col(n) for n in area] + [
            normalised(pl.col(c.name)) if c.type == "text" else pl.col(c.name) for c in key
        ]
    rows = frame.select(SHEET, ROW, *[v.alias(n) for v, n in zip(values, names, strict=True)])
    in_error = [(sheet, row) for sheet, found in enumerate(batch.rows_in_error) for row in found]
    if in_error:
        skip = pl.DataFrame(in_error, schema={SHEET: pl.Int64, ROW: pl.Int64}, orient="row")
        rows = rows.join(skip, on=[SHEET, ROW], how="anti")
    if key is not None:
        rows = rows.drop_nulls(names)
    copies = (
        rows.with_columns(pl.col(ROW).min().over([SHEET, *names]).alias("_first"))
        .filter(pl.col(ROW) != pl.col("_first"))
        .select(SHEET, ROW, "_first")
        .sort(SHEET, ROW)
    )
    if key is None:
        for sheet, row, first in copies.iter_rows():
            batch.add(sheet, codes.V_DUPLICATE_ROW,
                f"row {row} repeats row {first} in every column: it would be counted twice",
                f"Delete row {row} if it is a copy; if it is another record, correct what was "
                "copied over it.",
                _row_cell(batch, sheet, names, row),
            )  # fmt: skip
        return
    what = " and ".join(
        ["local authority"] * (spec.area_level == LOCAL_AUTHORITY) + [f"'{c.title}'" for c in key]
    )
    for sheet, row, first in copies.iter_rows():
        batch.add(sheet, codes.V_DUPLICATE_KEY,
            f"row {row} has figures for the same {what} as row {first}: they would be added "
            "together",
            f"Give one row for each {what}: if both rows are right, add their figures into "
            f"row {first} and delete row {row}.",
            _row_cell(batch, sheet, names, row),
        )  # fmt: skip


def _row_cell(batch: _Batch, sheet: int, names: list[str], row: int) -> str:
    """The row's cell in the first of the columns that the sheet has."""
    letters = batch.letters[sheet]
    return next((f"{letters[n]}{row}" for n in names if n in letters), f"A{row}")


@dataclass(frozen=True)
class RowCheck:
    """A check every row of a return must pass, under its registered code: a column's own
    (required, code list, minimum, maximum, in the quarter) or a cross-field rule of the
    catalogue. A null outcome passes: a blank is the `required` check's to report."""

    code: Code
    passes: pl.Expr
    column: Column | None  # the cell reported is this column's (else the row's first)
    message: str  # a column check's may hold {quarter}, {start} and {end}: the row's quarter
    fix: str
    rule: Rule | None = None


_QUARTER_MESSAGE = "'{title}' is outside {quarter} ({start:%d/%m/%Y} to {end:%d/%m/%Y})"


def row_checks(spec: ReturnSpec, catalogue: Catalogue) -> list[RowCheck]:
    """Every check of the return's rows, generated from the catalogue: each column's checks in
    the order of its columns, then the cross-field rules."""
    checks: list[RowCheck] = []
    for column in spec.columns:
        value, title = pl.col(column.name), column.title
        if column.required:
            checks.append(RowCheck(codes.V_REQUIRED, value.is_not_null(), column,
                                   f"'{title}' is blank", codes.V_REQUIRED.fix))  # fmt: skip
        if column.type == "code" and column.codes:
            code_list = catalogue.code_list(column.codes)
            values = code_list.values if code_list else []
            checks.append(RowCheck(
                codes.V_CODE, value.is_in(values), column,
                f"'{title}' is not one of the allowed values",
                codes.V_CODE.fix.format(codes="; ".join(values)),
            ))  # fmt: skip
        if column.minimum is not None:
            checks.append(RowCheck(
                codes.V_MIN, value >= column.minimum, column, f"'{title}' is below {column.minimum:g}",
                codes.V_MIN.fix.format(minimum=column.minimum),
            ))  # fmt: skip
        if column.maximum is not None:
            checks.append(RowCheck(
                codes.V_MAX, value <= column.maximum, column, f"'{title}' is above {column.maximum:g}",
                codes.V_MAX.fix.format(maximum=column.maximum),
            ))  # fmt: skip
        if column.in_quarter:
            start, end = (pl.col(c) for c in QUARTER_COLUMNS)
            checks.append(RowCheck(
                codes.V_QUARTER, value.is_between(start, end), column,
                _QUARTER_MESSAGE.replace("{title}", title), codes.V_QUARTER.fix,
            ))  # fmt: skip
    by_name = {c.name: c for c in spec.columns}
    for rule in spec.rules:
        first = by_name.get(rule.columns[0]) if rule.columns else None
        checks.append(RowCheck(
            codes.V_RULE, pl.sql_expr(rule.check), first, rule.message, rule.fix, rule,
        ))  # fmt: skip
    return checks


def _check_rows(batch: _Batch, frame: pl.DataFrame, catalogue: Catalogue) -> None:
    """Run every row check over all the sheets' rows in one query; each failure is reported at
    its sheet and cell. A column check skips a cell already reported (as unreadable, say)."""
    checks = row_checks(batch.spec, catalogue)
    if not checks or frame.is_empty():
        return
    flags = [f"_fails{n}" for n in range(len(checks))]
    failing = frame.with_columns(
        (~check.passes).fill_null(False).alias(flag)
        for check, flag in zip(checks, flags, strict=True)
    ).filter(pl.any_horizontal(flags))
    if failing.is_empty():
        return
    reported = [set(cells) for cells in batch.reported]
    by_name = {c.name: c for c in batch.spec.columns}
    for check, flag in zip(checks, flags, strict=True):
        rows = failing.filter(pl.col(flag))
        if check.rule is not None:
            _rule_failures(batch, rows, check, check.rule, by_name)
            continue
        column = check.column
        assert column is not None
        found = rows.select(SHEET, ROW, pl.col(column.name).cast(pl.String))
        for sheet, row, case in found.iter_rows():
            cell = batch.cell(sheet, column.name, row)
            if cell in reported[sheet]:
                continue
            quarter = batch.sheets[sheet].quarter
            message = check.message
            if check.code is not codes.V_REQUIRED:
                message = message.format(quarter=quarter, start=quarter.start, end=quarter.end)
            batch.add(sheet, check.code, message, check.fix, cell, case, column.personal)


def _rule_failures(
    batch: _Batch, rows: pl.DataFrame, check: RowCheck, rule: Rule, by_name: dict[str, Column]
) -> None:
    """A cross-field rule's failures: at the first of its columns, showing its columns' values
    (a personal column's never)."""
    first = check.column.name if check.column else (rule.columns[0] if rule.columns else None)
    for row in rows.select(SHEET, ROW, *rule.columns).iter_rows(named=True):
        shown = [
            f"{by_name[c].title if c in by_name else c} = {row[c]}"
            for c in rule.columns
            if c in by_name and not by_name[c].personal
        ]
        batch.add(
            row[SHEET], check.code, rule.message, rule.fix,
            batch.cell(row[SHEET], first, row[ROW]), "; ".join(shown) or None,
            level=Level(rule.severity), code=rule.code,
        )  # fmt: skip


def normalised(expr: pl.Expr) -> pl.Expr:
    """The vectorised twin of `normalise_header`."""
    return expr.str.to_lowercase().str.replace_all(r"[^a-z0-9]+", "_").str.strip_chars("_")


def _code_canonical(frame: pl.DataFrame, spec: ReturnSpec, catalogue: Catalogue) -> pl.DataFrame:
    """Code values that differ from the list only in case or spacing take the list's spelling."""
    exprs = []
    for column in spec.columns:
        code_list = catalogue.code_list(column.codes) if column.codes else None
        if column.type == "code" and code_list:
            canonical = {normalise_header(v): v for v in code_list.values}
            exprs.append(
                normalised(pl.col(column.name))
                .replace_strict(canonical, default=pl.col(column.name), return_dtype=pl.String)
                .alias(column.name)
            )
    return frame.with_columns(exprs) if exprs else frame


def _coverage_issues(
    batch: _Batch, frame: pl.DataFrame, catalogue: Catalogue, read: frozenset[int]
) -> None:
    """Aggregate figures must be there for every area the agency reports for: a blank sheet
    is not a zero. A record-level sheet with no rows may be a true nil return."""
    spec = batch.spec
    by_area = spec.area_level == LOCAL_AUTHORITY
    present: dict[int, set[str]] = {i: set() for i in read}
    counted = frame.group_by(SHEET).agg(
        pl.col(AREA_COLUMN).drop_nulls().unique() if by_area else pl.len()
    )
    for sheet, areas in counted.iter_rows():
        present[sheet] = set(areas) if by_area else {"*"}
    with_rows = set(counted[SHEET].to_list())
    names = {la.id: la.name for la in catalogue.local_authorities}
    for sheet in sorted(read):
        has_rows = sheet in with_rows
        if spec.record_level:
            if not has_rows:
                batch.add(sheet, codes.V_NO_ROWS, "the sheet has no rows",
                          "If there were none this quarter, nothing needs doing; otherwise "
                          "fill it in and resend.")  # fmt: skip
            continue
        if not has_rows:
            batch.add(sheet, codes.V_EMPTY, "the sheet has no figures",
                      "Fill it in; where a figure is nil, enter 0 rather than leaving it blank.")  # fmt: skip
            continue
        if not by_area:
            continue
        for la in batch.sheets[sheet].agency.covers:
            if la not in present[sheet]:
                batch.add(sheet, codes.V_AREA_MISSING,
                          f"there are no figures for {names[la]}",
                          f"Add rows for {names[la]}; where a figure is nil, enter 0.")  # fmt: skip


def _attach_records(batch: _Batch, frame: pl.DataFrame) -> None:
    """Attach each row's child reference (personal) so the agency's feedback can name it."""
    personal = next((c.name for c in batch.spec.columns if c.personal), None)
    if personal is None or frame.is_empty():
        return
    # (sheet, issue number, Excel row) of every issue that points at a data row's cell.
    at_rows = [
        (sheet, n, int(digits))
        for sheet, issues in enumerate(batch.issues)
        for n, issue in enumerate(issues)
        if (digits := re.sub(r"^[A-Z]+", "", issue.location.cell or "")).isdigit()
    ]
    if not at_rows:
        return
    keys = pl.DataFrame(
        sorted({(sheet, row) for sheet, _, row in at_rows}),
        schema={SHEET: pl.Int64, ROW: pl.Int64},
        orient="row",
    )
    found = frame.join(keys, on=[SHEET, ROW], how="semi").select(SHEET, ROW, personal)
    records = {(s, r): v for s, r, v in found.iter_rows() if v}
    for sheet, n, row in at_rows:
        record = records.get((sheet, row))
        if record:
            batch.issues[sheet][n] = replace(batch.issues[sheet][n], record=record)
