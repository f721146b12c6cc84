"""Return workbooks: the layout shared by the template writer and the reader."""

from __future__ import annotations

import functools
import re
from typing import Any

from tees_dataset.catalogue.models import LOCAL_AUTHORITY, PARTNERSHIP, Agency, Column, ReturnSpec

META_SHEET = "_meta"
LISTS_SHEET = "_lists"
GUIDANCE_SHEET = "Guidance"
COMMENTS_LABEL = "Comments for the partnership"
MAX_COMMENT = 600
AREA_COLUMN = LOCAL_AUTHORITY
AREA_TITLE = "Local authority"
TOOL_MARK = "tees-dataset return"
# In the metadata of returns made by `tees-dataset sample`: `synthetic` = `true`.
SYNTHETIC_KEY = "synthetic"

# Characters that make spreadsheet software treat text as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# What XML 1.0 cannot hold, so no workbook can: control characters other than tab, line feed and
# carriage return; lone surrogates; U+FFFE and U+FFFF. Removed from text read from a return, and
# from any text before it is written to a workbook. (The polars pattern has no surrogates: its
# strings are UTF-8, which cannot hold them.)
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
POLARS_ILLEGAL_XML = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x{FFFE}\x{FFFF}]"


def holds_xml_illegal(text: str) -> bool:
    """Whether `text` holds a character XML 1.0 cannot hold."""
    return _ILLEGAL_XML.search(text) is not None


def xml_safe(text: str) -> str:
    """`text` without the characters XML 1.0 (and so every workbook) cannot hold."""
    return _ILLEGAL_XML.sub("", text)


def as_found(text: str, limit: int = 200) -> str:
    """A sheet name or heading from a return, as an issue's `value` (shown only in the agency's
    own feedback; never quoted in a message, however plain: a child reference is plain too)."""
    return " ".join(xml_safe(text).split())[:limit]


def cell_value(value: Any) -> Any:
    """A value ready for openpyxl: text without characters a workbook cannot hold."""
    return xml_safe(value) if isinstance(value, str) else value


def keep_as_text(cell: Any) -> None:
    """Text that looks like a formula is stored as text, and Excel is told to keep it so."""
    if isinstance(cell.value, str) and cell.value.startswith(_FORMULA_START):
        cell.data_type = "s"
        cell.quotePrefix = True


def append_row(ws: Any, values: list[Any]) -> None:
    """ws.append, but no text from a return (or anywhere) can become a formula, and text is
    rid of characters a workbook cannot hold (openpyxl would refuse the whole row)."""
    from openpyxl.cell.cell import Cell

    row: list[Any] = []
    for value in map(cell_value, values):
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
    if spec.area_level == PARTNERSHIP:
        return list(spec.columns)
    return [area_column(), *spec.columns]


def default_file_name(agency: Agency, quarter: str) -> str:
    return f"{agency.id}-{quarter}.xlsx"
