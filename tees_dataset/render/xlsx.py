"""The dataset workbook for analysts: a sheet per aim or enabler, and every row of results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from tees_dataset.catalogue.models import Catalogue
from tees_dataset.render.context import format_value
from tees_dataset.returns.workbook import safe_cell_text


def _clean(value: Any) -> Any:
    return safe_cell_text(value) if isinstance(value, str) else value


def write_dataset_workbook(
    catalogue: Catalogue,
    results: list[dict[str, Any]],
    columns: list[str],
    area_names: list[str],
    path: Path,
) -> None:
    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    headline = {(r["indicator_id"], r["area"]): r for r in results if r["breakdown"] == ""}
    for aim in catalogue.aims:
        ws = wb.create_sheet(f"{aim.label}"[:31])
        ws.append([f"{aim.label}: {aim.title}"])
        ws["A1"].font = Font(bold=True, size=12)
        ws.append(["Indicator", "Title", "Unit", *area_names])
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for objective in aim.objectives:
            for indicator in objective.indicators:
                shown = []
                for area in area_names:
                    row = headline.get((indicator.id, area))
                    if row is None or row["status"] != "ok":
                        shown.append(
                            format_value(None, indicator.unit, row["status"] if row else "missing")
                        )
                    else:
                        shown.append(row["value"])
                ws.append([_clean(indicator.id), _clean(indicator.title), indicator.unit, *shown])
        ws.column_dimensions["B"].width = 60
        ws.freeze_panes = "D3"
    ws = wb.create_sheet("All results")
    ws.append(columns)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in results:
        ws.append([_clean(row[c]) for c in columns])
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    wb.save(path)
