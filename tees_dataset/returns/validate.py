"""Validating return sheets: header, types, areas, the checks generated from the catalogue.

Every agency's sheet for a return (across quarters, when several are read together) is checked in
one pass: the header and columns sheet by sheet (`header`), then all their rows at once: types
(`cells`), local authorities (here), the row checks and cross-field rules (`checks`); every
finding goes to the sheet and cell it came from (`batch`). A quarter costs a handful of queries
per return rather than per sheet and per check.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

import polars as pl

from tees_dataset import codes
from tees_dataset.catalogue.models import (
    LOCAL_AUTHORITY,
    Catalogue,
    Column,
    ReturnSpec,
)
from tees_dataset.returns.batch import ROW, SHEET, Batch, BatchResult, SheetInput
from tees_dataset.returns.cells import QUARTER_COLUMNS, parse_types
from tees_dataset.returns.checks import check_rows, coverage_issues, duplicate_issues
from tees_dataset.returns.header import normalised, sheet_body, tidy_rows
from tees_dataset.returns.workbook import AREA_COLUMN, normalise_header, sheet_columns

__all__ = ["SHEET", "BatchResult", "SheetInput", "validate_sheets"]

_TOTAL_WORDS = frozenset({"total", "totals", "grand_total", "sum"})
_TOTAL_PATTERN = "(?i)total|sum"  # in every word of _TOTAL_WORDS


def validate_sheets(
    spec: ReturnSpec, catalogue: Catalogue, sheets: Sequence[SheetInput]
) -> BatchResult:
    """Validate every agency's sheet for one return at once (any quarters): the header and
    columns of each sheet, then types, areas, the row checks and the cross-field rules
    over all their rows together, each finding sent back to the sheet and cell it came from."""
    batch = Batch(spec, sheets)
    columns = sheet_columns(spec)
    parts = []
    for index, sheet in enumerate(sheets):
        body = sheet_body(batch, index, sheet, columns)
        if body is not None:
            parts.append(body)
    read = frozenset(batch.read)
    schema = {SHEET: pl.Int64(), ROW: pl.Int64()} | {c.name: pl.String() for c in columns}
    # One query for all the sheets: a collect() per sheet would wait for the thread pool each time.
    frame = (
        tidy_rows(pl.concat(parts, how="vertical"), columns).collect(engine="in-memory")
        if parts
        else pl.DataFrame(schema=schema)
    )
    frame = _drop_totals(batch, frame, columns)
    frame = _with_quarter(frame, sheets)
    frame = parse_types(batch, frame, columns)
    if spec.area_level == LOCAL_AUTHORITY:
        frame = _resolve_area(batch, frame, catalogue)
    frame = _code_canonical(frame, spec, catalogue)
    duplicate_issues(batch, frame, columns)
    check_rows(batch, frame, catalogue)
    coverage_issues(batch, frame, catalogue, read)
    batch.summarise()
    _attach_records(batch, frame)
    return BatchResult(frame, batch.issues, read)


def _drop_totals(batch: Batch, frame: pl.DataFrame, columns: list[Column]) -> pl.DataFrame:
    """Rows whose first filled cell says `Total` are the agency's own sums: left out."""
    first_text = pl.coalesce(pl.col(c.name) for c in columns)
    is_total = normalised(first_text).is_in(list(_TOTAL_WORDS)).fill_null(False)
    # Only a cell holding one of the words, in any case, can be one once normalised (no other
    # character lowers to these letters): the rest are not normalised at all.
    maybe = first_text.str.contains(_TOTAL_PATTERN).fill_null(False)
    totals = frame.filter(maybe).filter(is_total).select(SHEET, ROW)
    for sheet, row in totals.iter_rows():
        batch.add(
            sheet,
            codes.V_TOTALS_ROW,
            f"row {row} looks like a totals row and was ignored",
            codes.V_TOTALS_ROW.fix,
            f"A{row}",
        )
    if totals.is_empty():
        return frame
    return frame.join(totals, on=[SHEET, ROW], how="anti", maintain_order="left")


def _with_quarter(frame: pl.DataFrame, sheets: Sequence[SheetInput]) -> pl.DataFrame:
    """Each row's quarter bounds: the rules and the in-quarter checks compare dates with them."""
    starts = {i: s.quarter.start for i, s in enumerate(sheets)}
    ends = {i: s.quarter.end for i, s in enumerate(sheets)}
    return frame.with_columns(
        pl.col(SHEET).replace_strict(starts, return_dtype=pl.Date).alias(QUARTER_COLUMNS[0]),
        pl.col(SHEET).replace_strict(ends, return_dtype=pl.Date).alias(QUARTER_COLUMNS[1]),
    )


def _resolve_area(batch: Batch, frame: pl.DataFrame, catalogue: Catalogue) -> pl.DataFrame:
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


def _code_canonical(frame: pl.DataFrame, spec: ReturnSpec, catalogue: Catalogue) -> pl.DataFrame:
    """Code values that differ from the list only in case or spacing take the list's spelling."""
    exprs: dict[str, pl.Expr] = {}
    unchanged: dict[str, list[str]] = {}  # the list's values that the expression leaves as they are
    for column in spec.columns:
        code_list = catalogue.code_list(column.codes) if column.codes else None
        if column.type == "code" and code_list:
            canonical = {normalise_header(v): v for v in code_list.values}
            expr = (
                normalised(pl.col(column.name))
                .replace_strict(canonical, default=pl.col(column.name), return_dtype=pl.String)
                .alias(column.name)
            )
            values = pl.DataFrame(
                {column.name: list(code_list.values)}, schema={column.name: pl.String}
            )
            spelled = values.select(expr).to_series().to_list()
            unchanged[column.name] = [
                v for v, w in zip(code_list.values, spelled, strict=True) if v == w
            ]
            exprs[column.name] = expr
    if not exprs or frame.is_empty():
        return frame.with_columns(exprs.values()) if exprs else frame
    # A column whose every value is blank or one the expression leaves alone stays as it is:
    # only the others are normalised (most sheets use the list's own spelling).
    other = frame.select(
        (pl.col(name).is_not_null() & ~pl.col(name).is_in(unchanged[name])).any().alias(name)
        for name in exprs
    ).row(0)
    changing = [expr for expr, any_other in zip(exprs.values(), other, strict=True) if any_other]
    return frame.with_columns(changing) if changing else frame


def _attach_records(batch: Batch, frame: pl.DataFrame) -> None:
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
