"""The checks of a return's rows, generated from the catalogue and registered under their codes:
each column's own (required, code list, minimum, maximum, in the quarter) and the catalogue's
cross-field rules, run in one query; rows given twice; and areas with no figures."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from tees_dataset import codes
from tees_dataset.catalogue.models import (
    LOCAL_AUTHORITY,
    Catalogue,
    Column,
    ReturnSpec,
    Rule,
)
from tees_dataset.codes import Code
from tees_dataset.report import Level
from tees_dataset.returns.batch import ROW, SHEET, Batch
from tees_dataset.returns.cells import QUARTER_COLUMNS
from tees_dataset.returns.header import normalised
from tees_dataset.returns.workbook import AREA_COLUMN


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


def duplicate_issues(batch: Batch, frame: pl.DataFrame, columns: list[Column]) -> None:
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
    else:  # a copy has the same child reference: rows alone with theirs are not grouped whole
        personal = [c.name for c in spec.columns if c.personal][:1]
        if personal:
            rows = rows.filter(pl.len().over([SHEET, *personal]) > 1)
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


def _row_cell(batch: Batch, sheet: int, names: list[str], row: int) -> str:
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


def check_rows(batch: Batch, frame: pl.DataFrame, catalogue: Catalogue) -> None:
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
    batch: Batch, rows: pl.DataFrame, check: RowCheck, rule: Rule, by_name: dict[str, Column]
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


def coverage_issues(
    batch: Batch, frame: pl.DataFrame, catalogue: Catalogue, read: frozenset[int]
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
                batch.add(sheet, codes.V_NO_ROWS, "the sheet has no rows")  # fmt: skip
            continue
        if not has_rows:
            batch.add(sheet, codes.V_EMPTY, "the sheet has no figures")  # fmt: skip
            continue
        if not by_area:
            continue
        for la in batch.sheets[sheet].agency.covers:
            if la not in present[sheet]:
                batch.add(sheet, codes.V_AREA_MISSING,
                          f"there are no figures for {names[la]}",
                          f"Add rows for {names[la]}; where a figure is nil, enter 0.")  # fmt: skip
