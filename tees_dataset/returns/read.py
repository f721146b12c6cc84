"""Reading return workbooks with calamine: raw text with positions, once the checks have passed.

A return is untrusted input. Before calamine sees a workbook (`inspect`), every part of it is
inflated, counting the bytes it really unpacks to (never the sizes the archive declares; `zipped`);
XML with a document type (the start of an entity-expansion attack) is refused; and the extent of
each sheet's cells is measured from its XML (`extent`, `xls` for legacy workbooks), because
calamine lays a sheet out whole, from its first cell to its last, before a single row can be
taken. The limits are in `limits`. Text that XML 1.0 cannot hold is removed as the sheets are
read here, so every value can be written to every output. Nothing read from a return goes into a
message: an exception's text can quote a cell, so only its type is kept.
"""

from __future__ import annotations

import itertools
import zipfile
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import fastexcel
import polars as pl

from tees_dataset import codes
from tees_dataset.returns import limits
from tees_dataset.returns.extent import (
    Extent,
    check_limits,
    column_letter,
    screened_extent,
    split_ref,
    walk_sheet,
)
from tees_dataset.returns.inspect import inspect_file, workbook_parts
from tees_dataset.returns.limits import ReturnFileError, fail
from tees_dataset.returns.workbook import (
    COMMENTS_LABEL,
    GUIDANCE_SHEET,
    MAX_COMMENT,
    META_SHEET,
    POLARS_ILLEGAL_XML,
    holds_xml_illegal,
    normalise_header,
)
from tees_dataset.returns.zipped import PartReader, inflate

# ReturnFileError is raised by opening a workbook: its callers catch it from here.
__all__ = ["RawSheet", "ReturnFileError", "Workbook", "blank_cell_causes", "clean_frame"]


@dataclass(frozen=True)
class RawSheet:
    """A sheet as text, row i of the frame is Excel row i + 1; `letters` maps frame columns to A, B…

    `cleaned` names the cells (up to limits.MAX_CLEANED_CELLS) where characters XML cannot hold were
    removed, and `cleaned_count` counts them all."""

    frame: pl.DataFrame
    letters: tuple[str, ...]
    visible: bool = True
    cleaned: tuple[str, ...] = ()
    cleaned_count: int = 0


def clean_frame(frame: pl.DataFrame, letters: tuple[str, ...]) -> tuple[pl.DataFrame, list[str]]:
    """The frame with every character XML 1.0 cannot hold removed, and the cells that had one
    (row i of the frame is Excel row i + 1)."""
    if frame.width == 0 or frame.height == 0:
        return frame, []
    text = [c for c, dtype in frame.schema.items() if dtype == pl.String]
    if not text or not _may_hold_illegal(frame, text):
        return frame, []
    hits = (
        frame.with_row_index("_index")
        .select(
            "_index", *[pl.col(c).str.contains(POLARS_ILLEGAL_XML).fill_null(False) for c in text]
        )
        .filter(pl.any_horizontal(text))
    )
    if hits.is_empty():
        return frame, []
    position = {c: frame.columns.index(c) for c in text}
    cells = [
        f"{letters[position[c]]}{record['_index'] + 1}"
        for record in hits.iter_rows(named=True)
        for c in text
        if record[c]
    ]
    return frame.with_columns(
        pl.col(c).str.replace_all(POLARS_ILLEGAL_XML, "") for c in text
    ), cells


# Up to this many text cells, a frame's text is searched in Python; over it, polars joins it.
_PYTHON_CELLS = 5_000
# Over this, a frame's text is searched cell by cell (as when a character is found), not joined.
_JOINED_BYTES = 64 * 1024 * 1024


def _may_hold_illegal(frame: pl.DataFrame, text: list[str]) -> bool:
    """False when no text cell holds a character XML 1.0 cannot hold: one search of all the
    cells' text joined end to end (in Python for a small frame, with polars for a larger one;
    the pattern is one character, so it is found in the joined text exactly when it is in a
    cell), rather than one search per cell."""
    if frame.height * len(text) <= _PYTHON_CELLS:
        cells = itertools.chain.from_iterable(frame.get_column(c).to_list() for c in text)
        return holds_xml_illegal("".join(filter(None, cells)))
    if frame.estimated_size() > _JOINED_BYTES:
        return True
    joined = pl.concat_str([pl.col(c).str.join("") for c in text])
    return frame.select(joined.str.contains(POLARS_ILLEGAL_XML)).item() is not False


class Workbook:
    """An opened return workbook (read with calamine)."""

    def __init__(self, path: Path, known_sheets: Collection[str] = ()) -> None:
        """`known_sheets`: the template's sheet names, the only ones an issue may name."""
        self._layout = inspect_file(path, known_sheets)
        self.path = path
        # (sheet, cell) where characters XML cannot hold were removed from the metadata or comment
        # (up to limits.MAX_CLEANED_CELLS of them, and how many there were in all)
        self.cleaned: list[tuple[str, str]] = []
        self.cleaned_count = 0
        try:
            self._reader = fastexcel.read_excel(path)
            self.sheet_names: list[str] = [str(s) for s in self._reader.sheet_names]
        except Exception as exc:  # calamine raises several error types for bad files
            raise fail(
                path,
                codes.F_CORRUPT,
                f"the workbook cannot be read ({exc.__class__.__name__})",
                "Open it in Excel, save it as .xlsx again, and resend.",
            ) from exc

    def extent(self, name: str) -> Extent | None:
        """How far the sheet's cells reach, measured from its XML; None if it cannot be."""
        layout = self._layout
        if name in layout.exact:
            return layout.exact[name]
        if layout.kind in ("ods", "xls"):
            extents = {k: v for k, v in layout.exact.items() if v is not None}
            # A sheet named otherwise than calamine names it is taken at the largest.
            largest = max(extents.values(), key=lambda e: e.cells, default=None)
            for sheet in self.sheet_names:
                layout.exact[sheet] = extents.get(sheet, largest)
            return layout.exact.get(name)
        part = layout.parts.get(name)
        screen = layout.screens.get(part) if part else None
        if screen is not None and not screen.flagged:
            return screen.extent
        # calamine finds a workbook's sheets as `workbook_parts` does: one not found is odd
        measured = None if part is None or screen is None else self._measure(part)
        layout.exact[name] = measured
        return measured

    def _measure(self, part: str) -> Extent | None:
        """A flagged sheet's extent: from its cell tags, or by parsing it if it must be."""
        try:
            with zipfile.ZipFile(self.path) as archive, self.path.open("rb") as handle:
                info = archive.getinfo(part)
                extent = screened_extent(inflate(handle, info, self.path))
                if extent is not None:
                    return extent
                source = PartReader(inflate(handle, info, self.path), limits.MAX_UNCOMPRESSED_BYTES)
                return walk_sheet(source).extent
        except Exception:  # unreadable XML: calamine is not given it either
            return None

    def _check_extent(self, name: str) -> None:
        """Only sheets the tool asks for by name (the template's) are measured so."""
        check_limits(self.path, name, self.extent(name), known_sheets=(name,))

    def _small_sheet(self, name: str, rows: int | None = None) -> pl.DataFrame | None:
        """A template sheet (metadata, guidance) as text; None if missing or unreadable."""
        if name not in self.sheet_names:
            return None
        try:
            self._check_extent(name)
            sheet = self._reader.load_sheet(name, header_row=None, dtypes="string", n_rows=rows)
            frame = sheet.to_polars()
            letters = tuple(column_letter(c.absolute_index) for c in sheet.available_columns())
        except Exception:
            return None
        frame, cells = clean_frame(frame, letters)
        self.cleaned += [(name, cell) for cell in cells][
            : limits.MAX_CLEANED_CELLS - len(self.cleaned)
        ]
        self.cleaned_count += len(cells)
        return frame if frame.width >= 2 else None

    def comment(self) -> str | None:
        """The agency's note for the partnership, from the template's guidance sheet."""
        frame = self._small_sheet(GUIDANCE_SHEET, rows=200)
        if frame is None:
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
        frame = self._small_sheet(META_SHEET)
        if frame is None:
            return {}
        keys, values = frame.to_series(0).to_list(), frame.to_series(1).to_list()
        return {
            str(k).strip(): str(v).strip() for k, v in zip(keys, values, strict=True) if k and v
        }

    def raw_sheet(self, name: str) -> RawSheet:
        """Every cell of a sheet as text, keeping absolute row and column positions, with the
        characters XML cannot hold removed."""
        self._check_extent(name)
        try:
            sheet = self._reader.load_sheet(
                name, header_row=None, skip_rows=0, dtypes="string", n_rows=limits.MAX_ROWS + 1
            )
            frame = sheet.to_polars()
            columns = sheet.available_columns()
        except Exception as exc:
            raise fail(
                self.path,
                codes.V_SHEET_UNREADABLE,
                f"the sheet cannot be read ({exc.__class__.__name__})",
                sheet=name,
            ) from exc
        if frame.height > limits.MAX_ROWS:
            raise fail(
                self.path,
                codes.V_TOO_MANY_ROWS,
                f"the sheet has over {limits.MAX_ROWS:,} rows, more than a return can hold",
                sheet=name,
            )
        letters = tuple(column_letter(c.absolute_index) for c in columns)
        frame, cleaned = clean_frame(frame, letters)
        return RawSheet(
            frame,
            letters,
            visible=str(sheet.visible) == "visible",
            cleaned=tuple(cleaned[: limits.MAX_CLEANED_CELLS]),
            cleaned_count=len(cleaned),
        )


def blank_cell_causes(path: Path, sheet: str, cells: set[str]) -> dict[str, tuple[str, str]]:
    """Why cells read as blank, where the workbook says: a formula whose result was never
    saved, or part of a merged range. Only asked when there are blank cells to explain.

    The sheet's XML is streamed (at most limits.MAX_EXPLAIN_BYTES of it), never loaded whole: a blank
    left unexplained costs only the explanation."""
    if not cells or path.suffix.lower() not in (".xlsx", ".xlsm"):
        return {}
    try:
        with zipfile.ZipFile(path) as archive:
            part = workbook_parts(path, archive).get(sheet)
            if part is None:
                return {}
            with path.open("rb") as handle:
                source = PartReader(
                    inflate(handle, archive.getinfo(part), path), limits.MAX_EXPLAIN_BYTES
                )
                facts = walk_sheet(source, formulas_in=cells)
    except Exception:  # an explanation is a courtesy: an unreadable sheet has none
        return {}
    causes: dict[str, tuple[str, str]] = {}
    by_column: dict[int, list[int]] = {}
    for cell in cells:
        place = split_ref(cell)
        if place:
            by_column.setdefault(place[1], []).append(place[0])
    for merged in facts.merged:
        first, _, last = merged.partition(":")
        top, bottom = split_ref(first), split_ref(last or first)
        if top is None or bottom is None:
            continue
        for column, rows in by_column.items():
            if top[1] <= column <= bottom[1]:
                for row in rows:
                    ref = f"{column_letter(column - 1)}{row}"
                    if top[0] <= row <= bottom[0] and ref not in causes:
                        causes[ref] = (
                            f"it is part of the merged cells {merged}",
                            "Unmerge the cells and fill in the value on every row.",
                        )
    for ref in facts.unsaved_formulas - causes.keys():
        causes[ref] = (
            "it holds a formula whose result was not saved in the file",
            "Open the workbook in Excel so it calculates, save it, and resend (or paste "
            "the values in place of the formulas).",
        )
    return causes
