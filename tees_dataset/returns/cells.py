"""Typing a sheet's cells: dates and numbers parsed, and a cell that is not one, or not a plausible
one, reported at its cell and left blank (never reinterpreted)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from tees_dataset import codes
from tees_dataset.catalogue.models import (
    Column,
)
from tees_dataset.codes import Code
from tees_dataset.quarter import Quarter
from tees_dataset.returns.batch import ROW, SHEET, Batch

QUARTER_COLUMNS = ("quarter_start", "quarter_end")
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


def parse_types(batch: Batch, frame: pl.DataFrame, columns: list[Column]) -> pl.DataFrame:
    """Dates and numbers typed; a cell that is not one, or not a plausible one, is reported
    at its cell (never reinterpreted) and left blank."""
    typed = [c for c in columns if c.type not in ("text", "code")]
    parsed = _parsed(frame, typed)
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


def _parsed(frame: pl.DataFrame, typed: list[Column]) -> pl.DataFrame:
    """The frame with `typed` columns parsed (`_parse_expr`). A date column is first read as
    ISO dates only, the way most are written: where that reads every cell with text (as many
    blanks as before), the other ways cannot change a date, and are not tried."""
    dates = [c.name for c in typed if c.type == "date"]
    parsed = frame.with_columns(
        (_iso_date(pl.col(c.name)) if c.name in dates else _parse_expr(c)).alias(c.name)
        for c in typed
    )
    others = [
        c
        for c in typed
        if c.name in dates and parsed[c.name].null_count() != frame[c.name].null_count()
    ]
    if not others:
        return parsed
    return parsed.with_columns(
        frame.select(_parse_expr(c).alias(c.name) for c in others).get_columns()
    )


def _iso_date(raw: pl.Expr) -> pl.Expr:
    return raw.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)


def _parse_expr(column: Column) -> pl.Expr:
    raw = pl.col(column.name)
    if column.type == "date":
        serial = raw.cast(pl.Float64, strict=False)
        return pl.coalesce(
            _iso_date(raw),
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
