"""The layout every workbook the tool writes shares (`write_table`, `title_block`): each list is an
Excel table (a filter on every column; pivot tables and Power Query find it by name) with sized
columns, long text wrapped, and the header frozen. A list with nothing in it is one line saying
so, never a bare header."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from tees_dataset.returns.workbook import append_row

NO_PROBLEMS = "No problems found."
HEADER_FILL = PatternFill("solid", fgColor="1F3864")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=14)
TABLE_STYLE = "TableStyleLight9"
DATE_FORMAT = "d mmm yyyy"
COUNT_FORMAT = "#,##0"
# Column widths, in characters: text longer than LONG_TEXT wraps in a column WRAP_WIDTH wide.
MIN_WIDTH, LONG_TEXT, WRAP_WIDTH = 6, 40, 60
WRAP = Alignment(wrap_text=True, vertical="top")
CENTRED = Alignment(horizontal="center")
# Points a line of 11-point text takes, and about how many characters of prose fit in a column
# one unit wide (a unit is the width of a digit; letters are narrower on average).
LINE_HEIGHT, PROSE = 15, 1.1


def _shown_length(value: Any, cell: Cell) -> int:
    """About how many characters a cell shows (`value`: the cell's; its number format is
    looked at only for a number)."""
    if value is None:
        return 0
    if isinstance(value, str):
        if value.startswith("="):
            return 8
        return max((len(line) for line in value.splitlines()), default=0)
    if isinstance(value, dt.date):
        return 11
    if isinstance(value, bool):
        return 5
    if isinstance(value, int | float):
        number_format = cell.number_format
        decimals = 1 if ".0" in number_format else 0
        return len(f"{value:,.{decimals}f}") + (1 if "%" in number_format else 0)
    return max((len(line) for line in str(value).splitlines()), default=0)


def _lines(text: str, width: float) -> int:
    """How many lines `text` takes wrapped in a column holding `width` characters a line
    (words kept whole where they fit, as spreadsheets wrap them)."""
    lines = 0
    for paragraph in text.splitlines() or [""]:
        lines, used = lines + 1, 0.0
        for word in paragraph.split():
            need = float(len(word) + (1 if used else 0))
            if used and used + need > width:
                lines, used, need = lines + 1, 0.0, len(word)
            while need > width:
                lines, need = lines + 1, need - width
            used += need
    return lines


def size_columns(ws: Worksheet, header_row: int, last_row: int) -> None:
    """Widths from what each column of a table shows (a header's words may wrap), never
    narrower than a width already set (by the caller, or for a table above); a column holding
    long text is wrapped. Rows are made tall enough for their wrapped text: a spreadsheet does
    not always work that out when it opens a file."""
    lines: dict[int, int] = {}
    held = ws._cells  # (row, column) -> cell: read, so that no empty cell is made
    rows = range(header_row + 1, last_row + 1)
    for column in range(1, ws.max_column + 1):
        header = ws.cell(row=header_row, column=column)
        body = [cell for row in rows if (cell := held.get((row, column))) is not None]
        letter = get_column_letter(column)
        known = ws.column_dimensions.get(letter)  # .get: [] would create one
        floor = known.width if known is not None else 0
        longest = max((_shown_length(c.value, c) for c in body), default=0)
        words = max((len(w) for w in str(header.value or "").split()), default=0)
        wrap = longest > max(LONG_TEXT, floor)
        width = max(floor, WRAP_WIDTH if wrap else max(MIN_WIDTH, longest, words) + 2)
        ws.column_dimensions[letter].width = width
        if wrap:  # every cell of the column, an empty one too
            body = [ws.cell(row=row, column=column) for row in rows]
            for cell in body:
                cell.alignment = WRAP
        for cell in (header, *body) if wrap or floor else (header,):
            per_line = width - 1 if cell is header else width * PROSE
            if isinstance(cell.value, str) and len(cell.value) > per_line:
                lines[cell.row] = max(lines.get(cell.row, 1), _lines(cell.value, per_line))
    for row, count in lines.items():
        if count > 1:
            ws.row_dimensions[row].height = LINE_HEIGHT * count


def table_name(text: str) -> str:
    """A valid Excel table name: letters, digits and underscores, starting with a letter and
    never readable as a cell reference (hence the prefix)."""
    return "t_" + "".join(ch if ch.isalnum() else "_" for ch in text)


def title_block(ws: Worksheet, lines: Sequence[str]) -> None:
    """Lines at the top of a sheet, the first as its heading (see `fit_title_block`)."""
    for n, line in enumerate(lines):
        append_row(ws, [line])
        if n == 0:
            ws.cell(row=ws.max_row, column=1).font = TITLE_FONT


def fit_title_block(ws: Worksheet, rows: int, columns: int) -> None:
    """Once the table below is sized: each of the first `rows` lines that is wider than the
    table's `columns` columns is merged across them and wrapped, its row tall enough."""
    width = sum(
        ws.column_dimensions[get_column_letter(c)].width or 13 for c in range(1, columns + 1)
    )
    for row in range(1, rows + 1):
        cell = ws.cell(row=row, column=1)
        text, scale = str(cell.value or ""), float(cell.font.sz or 11) / 11
        per_line = width * PROSE / scale
        if columns > 1 and len(text) > per_line:
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=columns)
            cell.alignment = WRAP
            ws.row_dimensions[row].height = _lines(text, per_line) * LINE_HEIGHT * scale


def _is_empty(ws: Worksheet) -> bool:
    """Nothing written yet (openpyxl keeps the cells it holds in `_cells`)."""
    return not ws._cells


def write_table(
    ws: Worksheet,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    name: str,
    empty: str = NO_PROBLEMS,
    formats: Mapping[str, str] | None = None,
    freeze: bool = True,
    freeze_columns: int = 0,
    style: Callable[[int, Sequence[Cell]], None] | None = None,
) -> tuple[int, int]:
    """The rows as an Excel table `name` below what the sheet already holds (after a blank
    row), or the one line `empty` when there are none. Every value goes through `append_row`,
    so no text, wherever it came from, can become a formula or hold a character a workbook
    cannot. The header (and the first `freeze_columns` columns) stay in view and are printed
    on every page, unless not `freeze` (a sheet of several tables). `formats` gives number
    formats by column title; `style(n, cells)` is called with the cells of the nth row before
    the columns are sized. Returns the header's row and the last row."""
    if not _is_empty(ws):
        ws.append([])
    if not rows:
        append_row(ws, [empty])
        ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
        return ws.max_row, ws.max_row
    append_row(ws, list(header))
    top = ws.max_row
    for cell in ws[top]:
        cell.fill, cell.font, cell.alignment = HEADER_FILL, HEADER_FONT, WRAP
    for row in rows:
        append_row(ws, list(row))
    last = ws.max_row
    for column, title in enumerate(header, start=1):
        number_format = (formats or {}).get(title)
        if number_format:
            for (cell,) in ws.iter_rows(
                min_row=top + 1, max_row=last, min_col=column, max_col=column
            ):
                if isinstance(cell.value, int | float | dt.date):
                    cell.number_format = number_format
    if style is not None:
        for n, cells in enumerate(ws.iter_rows(min_row=top + 1, max_row=last)):
            style(n, cells)
    ref = f"A{top}:{get_column_letter(len(header))}{last}"
    table = Table(displayName=table_name(name), ref=ref)
    table.tableStyleInfo = TableStyleInfo(name=TABLE_STYLE, showRowStripes=True)
    ws.add_table(table)
    if freeze:
        ws.freeze_panes = f"{get_column_letter(freeze_columns + 1)}{top + 1}"
        ws.print_title_rows = f"{top}:{top}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    size_columns(ws, top, last)
    return top, last
