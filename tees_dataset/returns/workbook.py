"""Return workbooks: the layout shared by the template writer and the reader."""

from __future__ import annotations

import functools
import re
from typing import Any

from tees_dataset.catalogue.models import Agency, Column, ReturnSpec

META_SHEET = "_meta"
LISTS_SHEET = "_lists"
GUIDANCE_SHEET = "Guidance"
COMMENTS_LABEL = "Comments for the partnership"
MAX_COMMENT = 600
AREA_COLUMN = "local_authority"
AREA_TITLE = "Local authority"
META_KEYS = ("tool", "agency", "quarter", "returns", "catalogue_version")
TOOL_MARK = "tees-dataset return"
# In the metadata of returns made by `tees-dataset sample`: `synthetic` = `true`.
SYNTHETIC_KEY = "synthetic"

# Characters that make spreadsheet software treat text as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def keep_as_text(cell: Any) -> None:
    """Text that looks like a formula is stored as text, and Excel is told to keep it so."""
    if isinstance(cell.value, str) and cell.value.startswith(_FORMULA_START):
        cell.data_type = "s"
        cell.quotePrefix = True


def append_row(ws: Any, values: list[Any]) -> None:
    """ws.append, but no text from a return (or anywhere) can become a formula."""
    from openpyxl.cell.cell import Cell

    row: list[Any] = []
    for value in values:
        if isinstance(value, str) and value.startswith(_FORMULA_START):
            value = Cell(ws, value=value)
            keep_as_text(value)
        row.append(value)
    ws.append(row)


@functools.lru_cache(maxsize=4096)
def normalise_header(text: str) -> str:
    """`FTE in post ` and `fte_in_post` compare equal. (Cached: the same few header cells are
    looked at in every sheet of every return.)"""
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


def area_column() -> Column:
    return Column(
        name=AREA_COLUMN,
        title=AREA_TITLE,
        type="text",
        description="The local authority the row is about. Councils may leave it blank.",
        required=False,
    )


def sheet_columns(spec: ReturnSpec) -> list[Column]:
    """The columns of a return's sheet in template order: local authority first, unless the
    return is made for a partnership as a whole."""
    if spec.area_level == "partnership":
        return list(spec.columns)
    return [area_column(), *spec.columns]


def default_file_name(agency: Agency, quarter: str) -> str:
    return f"{agency.id}-{quarter}.xlsx"
