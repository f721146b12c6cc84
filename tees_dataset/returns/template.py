"""Blank return workbooks generated from the catalogue, one per agency and quarter."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from tees_dataset import __version__
from tees_dataset.catalogue.models import Agency, Catalogue, Column, ReturnSpec
from tees_dataset.quarter import Quarter
from tees_dataset.returns.workbook import (
    AREA_COLUMN,
    COMMENTS_LABEL,
    GUIDANCE_SHEET,
    LISTS_SHEET,
    META_SHEET,
    SYNTHETIC_KEY,
    TOOL_MARK,
    append_row,
    default_file_name,
    keep_as_text,
    sheet_columns,
)

HEADER_FILL = PatternFill("solid", fgColor="1F3864")
HEADER_FONT = Font(bold=True, color="FFFFFF")
MAX_ROWS = 20000
DATE_FORMAT = "dd/mm/yyyy"


def build_template(
    catalogue: Catalogue, agency: Agency, quarter: Quarter, *, synthetic: bool = False
) -> Workbook:
    """A workbook with guidance, one sheet per return the agency submits, and metadata;
    `synthetic` marks a return made by `tees-dataset sample` (no real children)."""
    specs = catalogue.returns_of(agency.id)
    wb = Workbook()
    guidance = wb.active
    assert guidance is not None
    guidance.title = GUIDANCE_SHEET
    _write_guidance(guidance, catalogue, agency, quarter, specs)
    lists = wb.create_sheet(LISTS_SHEET)
    list_ranges = _write_lists(lists, catalogue, agency)
    for spec in specs:
        _write_return_sheet(wb.create_sheet(spec.sheet), spec, quarter, list_ranges)
    meta = wb.create_sheet(META_SHEET)
    for key, value in (
        ("tool", TOOL_MARK),
        ("agency", agency.id),
        ("quarter", str(quarter)),
        ("returns", ",".join(s.id for s in specs)),
        ("catalogue_version", catalogue.version),
        ("tool_version", __version__),
        *([(SYNTHETIC_KEY, "true")] if synthetic else []),
    ):
        meta.append([key, value])
    lists.sheet_state = "hidden"
    meta.sheet_state = "hidden"
    wb.properties.title = f"{agency.name}: safeguarding dataset return {quarter}"
    wb.properties.creator = "tees-dataset"
    return wb


def _write_guidance(
    ws: Worksheet, catalogue: Catalogue, agency: Agency, quarter: Quarter, specs: list[ReturnSpec]
) -> None:
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 100
    rows: list[tuple[str, str]] = [
        ("Return", f"{catalogue.title}: quarterly return"),
        ("Agency", agency.name),
        ("Quarter", f"{quarter} ({quarter.months_label}; {quarter.financial_year_label})"),
        ("Period", f"{quarter.start:%d/%m/%Y} to {quarter.end:%d/%m/%Y}"),
        ("Catalogue version", catalogue.version),
        ("Contact", agency.contact or "Your partnership business unit"),
        ("", ""),
        (COMMENTS_LABEL, ""),
        (
            "",
            "Anything the partnership should know when reading your figures (a system change, "
            "a known gap). It is printed in the pack: no names or case details.",
        ),
        ("", ""),
        (
            "How to fill it in",
            "Fill one sheet per dataset below. Keep the header row and the "
            "sheet names as they are; do not add columns. One row per record, each once: a row "
            "that repeats another in every column is taken for a copy and rejects the sheet. For "
            "aggregate figures, one row for each local authority and each source, type or "
            "service the sheet asks for: a second row for the same ones is an error, never "
            "added in. Dates as dd/mm/yyyy. Never enter a child's name: use your pseudonymous "
            "case reference.",
        ),
    ]
    for spec in specs:
        rows.append(("", ""))
        rows.append((f"Sheet: {spec.sheet}", spec.description))
        for column in sheet_columns(spec):
            rows.append((f"  {column.title}", _column_note(column)))
    ws.append(["Safeguarding dataset return", ""])
    ws["A1"].font = Font(bold=True, size=14)
    for label, text in rows:
        append_row(ws, [label, text])
    for row in ws.iter_rows(min_row=2):
        row[0].font = Font(bold=True)
        row[1].alignment = Alignment(wrap_text=True, vertical="top")
        if row[0].value == COMMENTS_LABEL:
            row[1].fill = PatternFill("solid", fgColor="FFF2CC")
            ws.row_dimensions[row[1].row].height = 45


def _column_note(column: Column) -> str:
    parts = [column.description] if column.description else []
    kind = {
        "text": "Text.",
        "integer": "A whole number.",
        "number": "A number.",
        "date": "A date (dd/mm/yyyy).",
        "code": "Choose from the drop-down list.",
    }[column.type]
    parts.append(kind)
    if column.minimum is not None:
        parts.append(f"At least {column.minimum:g}.")
    if column.maximum is not None:
        parts.append(f"At most {column.maximum:g}.")
    if column.in_quarter:
        parts.append("Must fall in the quarter.")
    parts.append("Required." if column.required else "Optional.")
    return " ".join(parts)


def _write_lists(ws: Worksheet, catalogue: Catalogue, agency: Agency) -> dict[str, str]:
    """Code lists as columns of a hidden sheet; returns list id -> absolute range."""
    lists: list[tuple[str, list[str]]] = [
        (AREA_COLUMN, [la.name for la in catalogue.local_authorities if la.id in agency.covers])
    ]
    lists += [(c.id, c.values) for c in catalogue.code_lists]
    ranges: dict[str, str] = {}
    for index, (list_id, values) in enumerate(lists, start=1):
        letter = get_column_letter(index)
        ws.cell(row=1, column=index, value=list_id)
        for row, value in enumerate(values, start=2):
            keep_as_text(ws.cell(row=row, column=index, value=value))
        ranges[list_id] = f"{quote_sheetname(LISTS_SHEET)}!${letter}$2:${letter}${len(values) + 1}"
    return ranges


def _write_return_sheet(
    ws: Worksheet, spec: ReturnSpec, quarter: Quarter, list_ranges: dict[str, str]
) -> None:
    columns = sheet_columns(spec)
    for index, column in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=index, value=column.title)
        cell.fill = HEADER_FILL
        cell.font = HEADER_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        cell.comment = Comment(_column_note(column), "tees-dataset")
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = max(14, min(40, len(column.title) + 4))
        validation = _validation_for(column, spec, quarter, list_ranges)
        if validation is not None:
            validation.add(f"{letter}2:{letter}{MAX_ROWS}")
            ws.add_data_validation(validation)
        if column.type == "date":
            ws.column_dimensions[letter].number_format = DATE_FORMAT
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 30


def _validation_for(
    column: Column, spec: ReturnSpec, quarter: Quarter, list_ranges: dict[str, str]
) -> DataValidation | None:
    common: dict[str, Any] = {
        "allow_blank": not column.required,
        "showErrorMessage": True,
        "errorTitle": column.title,
        "error": _column_note(column)[:255],
    }
    if column.name == AREA_COLUMN:
        return DataValidation(type="list", formula1=list_ranges[AREA_COLUMN], **common)
    if column.type == "code" and column.codes:
        return DataValidation(type="list", formula1=list_ranges[column.codes], **common)
    if column.type == "date":
        low = quarter.start if column.in_quarter else dt.date(2000, 1, 1)
        high = quarter.end if column.in_quarter else dt.date(2099, 12, 31)
        return DataValidation(
            type="date",
            operator="between",
            formula1=f"DATE({low.year},{low.month},{low.day})",
            formula2=f"DATE({high.year},{high.month},{high.day})",
            **common,
        )
    if column.type in ("integer", "number"):
        low_num = column.minimum if column.minimum is not None else -1e12
        high_num = column.maximum if column.maximum is not None else 1e12
        return DataValidation(
            type="whole" if column.type == "integer" else "decimal",
            operator="between",
            formula1=f"{low_num:g}",
            formula2=f"{high_num:g}",
            **common,
        )
    return None


class TemplateExistsError(Exception):
    """A file is already where the template would go."""


def write_template(catalogue: Catalogue, agency: Agency, quarter: Quarter, out_dir: Path) -> Path:
    """Write the agency's blank template for the quarter; returns its path. A file already
    there (it has a return's name, and may be one) is never replaced: TemplateExistsError."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / default_file_name(agency, str(quarter))
    if path.exists() or path.is_symlink():
        raise TemplateExistsError(f"{path} already exists: templates never replace a file")
    partial = path.with_name(f".{path.name}.partial")
    build_template(catalogue, agency, quarter).save(partial)
    partial.rename(path)
    return path
