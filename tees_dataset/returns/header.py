"""A sheet's header row found, and its columns mapped to the return's (missing and extra columns
reported); the rows under it taken as text."""

from __future__ import annotations

from difflib import get_close_matches

import polars as pl

from tees_dataset import codes
from tees_dataset.catalogue.models import (
    Column,
)
from tees_dataset.report import Level
from tees_dataset.returns.batch import ROW, SHEET, Batch, SheetInput
from tees_dataset.returns.workbook import AREA_COLUMN, as_found, normalise_header

HEADER_SEARCH_ROWS = 30


def sheet_body(
    batch: Batch, index: int, sheet: SheetInput, columns: list[Column]
) -> pl.LazyFrame | None:
    """The sheet's rows under the header, with the expected column names, all text as read
    (`tidy_rows` trims the text and drops the empty rows: once, for every sheet together);
    None if unreadable."""
    raw = sheet.raw
    for cell in raw.cleaned:
        batch.add(index, codes.V_CHARACTER, _CLEANED, codes.V_CHARACTER.fix, cell)
    if raw.cleaned_count > len(raw.cleaned):
        batch.add(index, codes.V_CHARACTER,
                  f"such characters were removed from {raw.cleaned_count - len(raw.cleaned):,} "
                  "more cells of the sheet")  # fmt: skip
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
        batch.add(index, codes.V_SHEET_HIDDEN, "the sheet is hidden; it was read all the same")
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
            exprs.append(pl.col(mapping[column.name]).alias(column.name))
        else:
            exprs.append(pl.lit(None, pl.String).alias(column.name))
    return body.select(exprs)


def tidy_rows(body: pl.LazyFrame, columns: list[Column]) -> pl.LazyFrame:
    """Every cell's text trimmed (blank when nothing is left), and the rows left with nothing
    dropped."""
    names = [c.name for c in columns]
    trimmed = [pl.col(n).str.strip_chars() for n in names]
    return body.with_columns(
        pl.when(value != "").then(value).alias(n) for value, n in zip(trimmed, names, strict=True)
    ).filter(pl.any_horizontal(pl.col(n).is_not_null() for n in names))


_CLEANED = "a character that no workbook can hold (a control character) was removed from this cell"


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
    batch: Batch, index: int, header_index: int, columns: list[Column]
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


def normalised(expr: pl.Expr) -> pl.Expr:
    """The vectorised twin of `normalise_header`."""
    return expr.str.to_lowercase().str.replace_all(r"[^a-z0-9]+", "_").str.strip_chars("_")
