"""How far a sheet's cells reach, measured from its XML before calamine lays the sheet out whole:
a quick screen of the cell tags, and where that is not enough, a walk of the sheet's elements
(which also finds merged cells and formulas)."""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from defusedxml.ElementTree import iterparse  # type: ignore[import-untyped]

from tees_dataset import codes
from tees_dataset.returns import limits
from tees_dataset.returns.limits import fail
from tees_dataset.returns.workbook import (
    as_found,
)
from tees_dataset.returns.zipped import CHUNK, PartReader

_CELL_REF = re.compile(r"^([A-Z]{1,3})([1-9][0-9]{0,6})$")
_RANGE_REF = re.compile(r"^[A-Z]{1,3}[1-9][0-9]{0,6}(?::[A-Z]{1,3}[1-9][0-9]{0,6})?$")


@dataclass(frozen=True)
class Extent:
    """How far a sheet's cells reach: its last row and last column (1-based; 0 when empty), and
    how many cells are filled, where that was counted (a sheet measured cell by cell)."""

    rows: int
    columns: int
    filled: int | None = field(default=None, compare=False)

    @property
    def cells(self) -> int:
        return self.rows * self.columns


def _letters_index(letters: str) -> int:
    """A -> 1, Z -> 26, AA -> 27."""
    index = 0
    for char in letters.upper():
        index = index * 26 + ord(char) - 64
    return index


def _fast_bounds() -> tuple[int, int]:
    """The rows and columns within which a sheet's cells pass the screen unread: the
    single-letter columns (A to Z), and rows below the first that could take 26 columns past
    limits.MAX_CELLS or be past limits.MAX_ROWS (192,308 with the limits as they are)."""
    columns = 26
    return max(2, min(limits.MAX_ROWS + 1, limits.MAX_CELLS // columns + 1)), columns


def _at_least(number: int) -> str:
    """A pattern matching the start of any run of digits that is `number` or more (no leading
    zeros): more digits, or as many and larger at the first digit that differs, or equal."""
    digits = str(number)
    options = [f"[1-9][0-9]{{{len(digits)}}}"]
    for at, digit in enumerate(digits):
        if digit != "9":
            options.append(f"{digits[:at]}[{int(digit) + 1}-9][0-9]{{{len(digits) - at - 1}}}")
    options.append(digits)
    return "(?:" + "|".join(options) + ")"


class Screen:
    """Screens a worksheet's XML, as it is inflated, for any cell that could reach past the
    limits, by searching its text rather than parsing it. A cell tag written as Excel writes it,
    `<c r="B12" …>`, within `_fast_bounds()` cannot; anything else (a later column or row, a
    cell whose place is not its first attribute) flags the sheet to be measured before it is
    read (`Workbook.extent`). On the way it counts the cell tags and keeps the row of the last
    one in each chunk (Excel writes rows in order): how far the sheet reaches, and how little
    of that may be filled (`check_limits`)."""

    def __init__(self) -> None:
        self._flag = _flag_pattern(*_fast_bounds())
        self._tail = b""
        self.flagged = False
        self.cells = 0  # cell tags, filled or not
        self.last_row = 0

    def _count(self, text: bytes) -> None:
        self.cells += text.count(b'c r="')
        at = text.rfind(b'c r="')
        if at >= 0:
            place = _LAST_PLACE.match(text, at + 5)
            if place:
                self.last_row = max(self.last_row, int(place[1]))

    def feed(self, chunk: bytes) -> None:
        """Search the text up to the last tag's start: the rest waits for the next chunk, so a
        tag is never looked at cut in two. (A tag a megabyte long is flagged: none is.)"""
        if self.flagged:
            return
        data = self._tail + chunk
        cut = data.rfind(b"<")
        head, self._tail = (data[:cut], data[cut:]) if cut >= 0 else (data, b"")
        if len(self._tail) > CHUNK or self._flag.search(head):
            self.flagged, self._tail = True, b""
        else:
            self._count(head)

    def close(self) -> None:
        if not self.flagged and self._flag.search(self._tail):
            self.flagged = True
        self._count(self._tail)
        self._tail = b""

    @property
    def extent(self) -> Extent:
        """An unflagged sheet's extent: its last row (as far as the cells in order say), at
        most as many columns as the screen lets through, and its cell tags."""
        return Extent(self.last_row, _fast_bounds()[1], self.cells)


@functools.lru_cache(maxsize=8)
def _flag_pattern(rows: int, columns: int) -> re.Pattern[bytes]:
    """What `Screen` flags, for the bounds of `_fast_bounds()` (they follow the limits)."""
    beyond = "".join(chr(65 + i) + chr(97 + i) for i in range(columns, 26))
    # `_at_least(rows)` matches as many digits as `rows` has or more: looking ahead for them
    # first changes nothing it matches, and turns a shorter row number away at once.
    later = f"(?=[0-9]{{{len(str(rows))}}}){_at_least(rows)}"
    place = f"[{beyond}]|[A-Za-z](?:[A-Za-z]|0*{later})" if beyond else (
        f"[A-Za-z](?:[A-Za-z]|0*{later})"
    )  # fmt: skip
    return re.compile(rf'c(?<=[<:]c)(?: r="(?:{place})|(?! r=")[\s/>])'.encode())


_LAST_PLACE = re.compile(rb"[A-Za-z]{1,3}0*([0-9]{1,9})\"")
# On a flagged sheet: every cell tag written as Excel writes it, with its place and whether it
# is empty (`<c …/>`: calamine leaves those out); any other cell tag is measured by parsing.
_PLACED_CELL = re.compile(rb'c(?<=[<:]c) r="([A-Za-z]+)0*([0-9]+)"[^>]*?(/?)>')
_OTHER_CELL = re.compile(rb'c(?<=[<:]c)(?! r=")[\s/>]')


def screened_extent(chunks: Iterator[bytes]) -> Extent | None:
    """A flagged sheet's extent from its cell tags; None when some are not written as Excel
    writes them (they take the slow, exact measure)."""
    tail, max_row, max_column, filled = b"", 0, 0, 0
    for chunk in itertools.chain(chunks, [b"<"]):  # the last `<` flushes the tail
        data = tail + chunk
        cut = data.rfind(b"<")
        data, tail = data[:cut], data[cut:]
        if len(tail) > CHUNK or _OTHER_CELL.search(data):
            return None
        found = [(c, r) for c, r, empty in _PLACED_CELL.findall(data) if not empty]
        if not found:
            continue
        filled += len(found)
        columns, rows = zip(*found, strict=True)
        if max(map(len, columns)) > 3 or max(map(len, rows)) > 9:
            return Extent(10**9, 16_384)  # past anything Excel can hold
        max_row = max(max_row, *map(int, rows))
        max_column = max(max_column, *(_letters_index(c.decode()) for c in set(columns)))
    return Extent(max_row, max_column, filled)


def local_tag(tag: str) -> str:
    return tag.rpartition("}")[2]


def attribute(element: Any, name: str) -> str | None:
    """An attribute by its local name, with or without a namespace."""
    for key, value in element.attrib.items():
        if local_tag(key) == name:
            return str(value)
    return None


@dataclass
class SheetFacts:
    """What a streaming read of a sheet's XML found."""

    extent: Extent = Extent(0, 0)
    merged: list[str] = field(default_factory=list)
    unsaved_formulas: set[str] = field(default_factory=set)
    complete: bool = True  # False when the read stopped at its limit


def split_ref(ref: str | None) -> tuple[int, int] | None:
    """ "B12" -> (12, 2); None for anything else."""
    if not ref:
        return None
    match = _CELL_REF.match(ref.upper())
    return (int(match[2]), _letters_index(match[1])) if match else None


def walk_sheet(source: PartReader, formulas_in: set[str] | None = None) -> SheetFacts:
    """Stream a worksheet's XML (defusedxml: no document types, no entities): the exact extent
    of its filled cells, its merged ranges, and which of `formulas_in` hold a formula with no
    saved result. Each row is let go of once read, so memory stays small."""
    facts = SheetFacts()
    try:
        _walk_sheet_events(source, facts, formulas_in)
    except Exception:
        if not source.truncated:  # stopped at its limit, the XML ends half-way: that is all
            raise
    facts.complete = not source.truncated
    return facts


def _place(ref: str | None, row: int, column: int) -> tuple[int, int]:
    """Where calamine puts a cell: its `r` (any length: past Excel's grid is past the limits),
    or the next column along."""
    match = _ANY_REF.match(ref or "")
    if match is None:
        return row, column + 1
    letters, digits = match.groups()
    if len(letters) > 3 or len(digits) > 9:
        return 10**9, 16_384
    return int(digits), _letters_index(letters)


_ANY_REF = re.compile(r"^([A-Za-z]+)0*([0-9]+)$")


def _walk_sheet_events(source: PartReader, facts: SheetFacts, formulas_in: set[str] | None) -> None:
    row = column = 0
    open_elements: list[Any] = []
    for event, element in iterparse(source, events=("start", "end"), forbid_dtd=True):
        tag = local_tag(element.tag)
        if event == "start":
            open_elements.append(element)
            if tag == "row":
                given = attribute(element, "r")
                if given and given.isdigit():
                    row = int(given) if len(given) <= 9 else 10**9
                else:
                    row += 1
                column = 0
            continue
        open_elements.pop()
        if tag == "c":
            row, column = _place(attribute(element, "r"), row, column)
            children = {local_tag(child.tag) for child in element}
            if children & {"v", "is"}:
                extent = facts.extent
                facts.extent = Extent(
                    max(extent.rows, row), max(extent.columns, column), (extent.filled or 0) + 1
                )
            if formulas_in and "f" in children:
                value = next((c for c in element if local_tag(c.tag) == "v"), None)
                ref = f"{column_letter(column - 1)}{row}"
                if ref in formulas_in and (value is None or not (value.text or "").strip()):
                    facts.unsaved_formulas.add(ref)
        elif tag == "mergeCell":
            ref = (attribute(element, "ref") or "").upper()
            if _RANGE_REF.match(ref) and len(facts.merged) < limits.MAX_MERGED:
                facts.merged.append(ref)
        if tag in ("row", "mergeCell") and open_elements:
            open_elements[-1].remove(element)  # let go of what has been read


def walk_ods(source: PartReader) -> dict[str, Extent]:
    """Each table's extent in an OpenDocument spreadsheet's content.xml, counting repeated rows
    and cells as calamine spreads them out (only filled cells count: LibreOffice ends every
    table with a million empty repeated rows)."""
    extents: dict[str, Extent] = {}
    name, row, max_row, max_column = "", 0, 0, 0
    column, row_filled = 0, False
    open_elements: list[Any] = []
    for event, element in iterparse(source, events=("start", "end"), forbid_dtd=True):
        tag = local_tag(element.tag)
        if event == "start":
            open_elements.append(element)
            if tag == "table":
                name, row, max_row, max_column = attribute(element, "name") or "", 0, 0, 0
            elif tag == "table-row":
                column, row_filled = 0, False
            continue
        open_elements.pop()
        if tag in ("table-cell", "covered-table-cell"):
            repeat = _repeat(element, "number-columns-repeated")
            filled = attribute(element, "value-type") is not None or any(
                local_tag(child.tag) == "p" for child in element
            )
            column += repeat
            if filled:
                max_column, row_filled = max(max_column, column), True
            element.clear()
        elif tag == "table-row":
            row += _repeat(element, "number-rows-repeated")
            if row_filled:
                max_row = row
            if open_elements:
                open_elements[-1].remove(element)  # let go of what has been read
        elif tag == "table":
            extents[name] = Extent(max_row, max_column)
    return extents


def _repeat(element: Any, name: str) -> int:
    given = attribute(element, name) or "1"
    return int(given) if given.isdigit() and len(given) < 19 else 10**18


@dataclass
class Layout:
    """What the checks before reading learned of a workbook: where each sheet's XML is, and how
    far its cells reach (an upper bound; the exact measure is taken when the bound is over a
    limit)."""

    kind: str = "xls"  # "xlsx", "ods" or "xls"
    parts: dict[str, str] = field(default_factory=dict)  # sheet name -> part
    screens: dict[str, Screen] = field(default_factory=dict)  # part -> its screen
    exact: dict[str, Extent | None] = field(default_factory=dict)  # sheet -> exact extent


def check_limits(
    path: Path, name: str, extent: Extent | None, known_sheets: Collection[str] = ()
) -> None:
    """Refuse a sheet whose extent is over the limits, or cannot be measured. The sheet is named
    in the issue's location when it is one of `known_sheets` (the template's own names); any
    other name goes in `value` (only the agency's feedback shows it)."""
    known = name in known_sheets
    sheet, value = (name, None) if known else (None, as_found(name) or None)
    where = "the sheet" if known else "one of the workbook's sheets"
    if extent is None:
        raise fail(
            path,
            codes.V_SHEET_UNREADABLE,
            f"{where} cannot be read: its layout is not one Excel writes",
            sheet=sheet,
            value=value,
        )
    if extent.rows > limits.MAX_ROWS:
        raise fail(
            path,
            codes.V_TOO_MANY_ROWS,
            f"{where} has over {limits.MAX_ROWS:,} rows, more than a return can hold",
            sheet=sheet,
            value=value,
        )
    if extent.cells > limits.MAX_CELLS:
        raise fail(
            path,
            codes.V_SHEET_TOO_LARGE,
            f"{where} has cells as far as row {extent.rows:,} and column "
            f"{column_letter(extent.columns - 1)}, more than a return can hold",
            sheet=sheet,
            value=value,
        )
    if (
        extent.filled is not None
        and extent.cells > limits.SPARSE_CELLS
        and extent.filled * limits.SPARSE_RATIO < extent.cells
    ):
        raise fail(
            path,
            codes.V_SHEET_TOO_LARGE,
            f"{where} reaches row {extent.rows:,} but has only {extent.filled:,} cells: "
            "something was typed far beyond the figures",
            sheet=sheet,
            value=value,
        )


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
