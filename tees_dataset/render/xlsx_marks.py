"""Marks that every workbook of a build from synthetic returns carries, so that a sample
workbook can never pass for a real one."""

from __future__ import annotations

from typing import Any

MARK_SHEET = "SYNTHETIC DATA"


def mark_sheets(wb: Any, mark: str) -> None:
    """The mark in every sheet's printed header and in the workbook's properties."""
    for ws in wb.worksheets:
        ws.oddHeader.center.text = mark
        ws.evenHeader.center.text = mark
        ws.firstHeader.center.text = mark
    wb.properties.title = f"{mark}: {wb.properties.title or ''}".rstrip(": ")
    wb.properties.keywords = mark


def add_mark(wb: Any, mark: str) -> None:
    """Put a first sheet saying `mark` (shown when the workbook opens) and mark every sheet."""
    from openpyxl.styles import Font

    if MARK_SHEET not in wb.sheetnames:
        ws = wb.create_sheet(MARK_SHEET, 0)
        ws["A1"] = mark
        ws["A1"].font = Font(bold=True, size=16, color="C00000")
        ws["A2"] = (
            "Every figure and row in this workbook comes from returns made by "
            "`tees-dataset sample`: no real child is described."
        )
        ws.column_dimensions["A"].width = 100
        wb.active = 0
        for other in wb.worksheets[1:]:
            other.sheet_view.tabSelected = False
    mark_sheets(wb, mark)
