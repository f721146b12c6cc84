"""The dataset workbook for analysts: readable without the pack, and every row of results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from tees_dataset.catalogue.explain import formula
from tees_dataset.catalogue.models import Catalogue
from tees_dataset.render.context import SYMBOL_MEANING, SYMBOLS, UNIT_WORDS
from tees_dataset.returns.workbook import append_row, cell_value

HEADER_FILL = PatternFill("solid", fgColor="1F3864")
HEADER_FONT = Font(bold=True, color="FFFFFF")


def _shown(row: dict[str, Any] | None) -> Any:
    """The number, or the GSS symbol that stands in for it."""
    if row is None:
        return SYMBOLS["missing"]
    if row["status"] != "ok" or row["value"] is None:
        return SYMBOLS.get(row["status"], SYMBOLS["missing"])
    return row["value"]


def _header(ws: Worksheet, row: int, values: list[str]) -> None:
    for column, value in enumerate(values, start=1):
        cell = ws.cell(row=row, column=column, value=cell_value(value))
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def write_dataset_workbook(
    catalogue: Catalogue,
    results: list[dict[str, Any]],
    trend: list[dict[str, Any]],
    area_names: list[str],
    path: Path,
    *,
    quarter: str,
    marking: str,
    synthetic: str = "",
) -> None:
    """`synthetic`, when given, is the mark of a build from synthetic returns: first line of the
    About sheet, and every sheet's printed header."""
    wb = Workbook()
    about = wb.active
    assert about is not None
    about.title = "About"
    for line in ([synthetic] if synthetic else []) + ([marking] if marking else []) + [
        f"{catalogue.title}: {quarter}",
        f"Catalogue version {catalogue.version}.",
        "One sheet per aim and enabler holds each indicator's headline figure for every area; "
        "Breakdowns, Trend and All results hold the rest.",
        "Percentages are 0 to 100. Partnership and Tees figures pool their local authorities' "
        "numerators and denominators.",
        *(f"{symbol}: {meaning}" for symbol, meaning in SYMBOL_MEANING.items()),
    ]:
        append_row(about, [line])
    about["A1"].font = Font(bold=True, size=12, color="C00000" if synthetic else None)
    about.column_dimensions["A"].width = 120

    headline = {(r["indicator_id"], r["area"]): r for r in results if r["breakdown"] == ""}
    for aim in catalogue.aims:
        ws = wb.create_sheet(aim.label[:31])
        append_row(ws, [f"{aim.label}: {aim.title}"])
        ws["A1"].font = Font(bold=True, size=12)
        _header(
            ws, 2, ["Indicator", "Title", "Unit", *area_names, "Definition", "Formula", "Notes"]
        )
        for objective in aim.objectives:
            for ind in objective.indicators:
                values = [_shown(headline.get((ind.id, area))) for area in area_names]
                notes = ind.notes + (" Proposed indicator." if ind.status == "proposed" else "")
                append_row(ws, [ind.id, ind.title, UNIT_WORDS[ind.unit], *values,
                           ind.definition, formula(ind.measure), notes.strip()])  # fmt: skip
        ws.column_dimensions["B"].width = 50
        for letter in ("E", "F", "G", "H", "I", "J", "K"):
            ws.column_dimensions[letter].width = 12
        ws.freeze_panes = "D3"

    ws = wb.create_sheet("Breakdowns")
    _header(ws, 1, ["Indicator", "Breakdown", "Value", *area_names])
    by_breakdown: dict[tuple[str, str, str], dict[str, Any]] = {}
    for r in results:
        if r["breakdown"]:
            by_breakdown.setdefault((r["indicator_id"], r["breakdown"], r["breakdown_value"]), {})[
                r["area"]
            ] = r
    for (ind_id, name, value), areas in by_breakdown.items():
        append_row(
            ws,
            [
                ind_id,
                name,
                value,
                *[_shown(areas.get(a)) for a in area_names],
            ],
        )
    ws.freeze_panes = "D2"

    ws = wb.create_sheet("Trend")
    quarters = sorted({r["quarter"] for r in trend})
    _header(ws, 1, ["Indicator", "Area", *quarters])
    series: dict[tuple[str, str], dict[str, Any]] = {}
    for r in trend:
        series.setdefault((r["indicator_id"], r["area"]), {})[r["quarter"]] = r
    for (ind_id, area), by_quarter in series.items():
        append_row(ws, [ind_id, area, *[_shown(by_quarter.get(q)) for q in quarters]])
    ws.freeze_panes = "C2"

    ws = wb.create_sheet("All results")
    columns = list(results[0]) if results else []
    _header(ws, 1, columns)
    for row in results:
        append_row(ws, [row[c] for c in columns])
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    if synthetic:
        from tees_dataset.render.xlsx_marks import mark_sheets

        mark_sheets(wb, synthetic)
    wb.save(path)
