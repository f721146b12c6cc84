"""The dataset workbook for analysts: readable without the pack, and every row of results.

Sheets: About (what is where, the quarter, the catalogue version, the key to symbols, how the
numbers are shown); one per aim and enabler (each indicator's headline figure for every area,
with its numerator, denominator and changes); Indicators (definitions and formulas);
Breakdowns; Trend; All results (results.csv as it is). Every list is an Excel table (see
`returns.feedback.write_table`). Numbers keep their full value and are formatted by unit:
percentages (0 to 100) and rates to one decimal place, counts with thousands separators.
A percentage or rate worked out from the numerator and denominator in its own row is a live
formula, saved with its value so that readers which do not calculate (Power Query, pandas) see
the figure too.

Over 400 lines: a writer per sheet, About's notes, and storing the formulas' values.
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from tees_dataset import __version__
from tees_dataset.catalogue.explain import formula
from tees_dataset.catalogue.models import Catalogue, Indicator
from tees_dataset.quarter import Quarter
from tees_dataset.render.context import POLARITY_WORDS, SYMBOL_MEANING, SYMBOLS, UNIT_WORDS
from tees_dataset.returns.feedback import (
    DATE_FORMAT,
    TITLE_FONT,
    due_date,
    write_table,
)
from tees_dataset.returns.workbook import append_row

# Number formats by unit. Percentages stay 0 to 100 (as in results.csv) and show a % sign.
UNIT_FORMATS = {
    "percent": '0.0"%"',
    "rate_per_10000": "#,##0.0",
    "days": "#,##0.0",
    "count": "#,##0",
}
# Changes show their sign; a percentage's change is in percentage points.
CHANGE_FORMATS = {
    "percent": "+0.0;-0.0;0.0",
    "rate_per_10000": "+#,##0.0;-#,##0.0;0.0",
    "days": "+#,##0.0;-#,##0.0;0.0",
    "count": "+#,##0;-#,##0;0",
}
WHOLE, TENTHS = "#,##0", "#,##0.0"
# A percentage or rate whose value is SCALE x numerator / denominator, rounded.
SCALES = {"percent": 100, "rate_per_10000": 10000}
SYMBOL_ALIGNMENT = Alignment(horizontal="right", vertical="top")
# Columns the results may carry (confidence intervals and signals): shown when they do.
OPTIONAL_COLUMNS = (
    ("ci_lower", "Lower 95% limit"),
    ("ci_upper", "Upper 95% limit"),
    ("signal", "Signal"),
    ("signal_basis", "Signal basis"),
)
BLANK_MEANING = "no such figure for this kind of measure (a count has no denominator)"
KEY = (
    "Key: "
    + "; ".join(f"{s} = {m}" for s, m in SYMBOL_MEANING.items())
    + f"; blank = {BLANK_MEANING}. Percentages are 0 to 100."
)


def _number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and not (isinstance(value, float) and math.isnan(value))
    )


def _symbol(row: dict[str, Any] | None) -> str:
    if row is None:
        return SYMBOLS["missing"]
    return SYMBOLS.get(row["status"], SYMBOLS["missing"])


def _shown(row: dict[str, Any] | None) -> Any:
    """The number, or the GSS symbol that stands in for it."""
    if row is None or row["status"] != "ok" or not _number(row["value"]):
        return _symbol(row)
    return row["value"]


def _figure(row: dict[str, Any], key: str, *, ok_blank: str | None = None) -> Any:
    """A number the row holds; if it has none, its status's symbol, or `ok_blank` for a
    figure the indicator's kind of measure does not have (a count's denominator)."""
    value = row.get(key)
    if _number(value):
        return value
    return ok_blank if row["status"] == "ok" else _symbol(row)


def _round(value: float) -> float:
    """To one decimal place, halves away from zero (as the results and Excel's ROUND do)."""
    return float(Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def traceable(row: dict[str, Any]) -> int | None:
    """The scale (100 or 10,000) when the row's value is ROUND(scale x numerator / denominator,
    1) of the numerator and denominator it shows; None otherwise."""
    scale = SCALES.get(row.get("unit", ""))
    numerator, denominator, value = row.get("numerator"), row.get("denominator"), row["value"]
    if scale is None or row["status"] != "ok" or not _number(value):
        return None
    if not (_number(numerator) and _number(denominator)) or not denominator:
        return None
    assert numerator is not None and denominator is not None
    return scale if _round(scale * numerator / denominator) == float(value) else None


class _Formulas:
    """Formula cells written, with the value each must show before anything calculates."""

    def __init__(self) -> None:
        self.values: dict[str, dict[str, float]] = {}
        self.count = 0
        self.untraceable = 0  # percentages and rates whose value its row cannot reproduce

    def write(self, ws: Worksheet, value: Cell, numerator: Cell, denominator: Cell,
              row: dict[str, Any]) -> None:  # fmt: skip
        """`value` becomes =ROUND(scale*numerator/denominator,1) where that gives the figure."""
        scale = traceable(row)
        if scale is None:
            if row.get("unit") in SCALES and row["status"] == "ok" and _number(row["value"]):
                self.untraceable += 1
            return
        value.value = f"=ROUND({scale}*{numerator.coordinate}/{denominator.coordinate},1)"
        self.values.setdefault(ws.title, {})[value.coordinate] = float(row["value"])
        self.count += 1


def _style(cell: Cell, number_format: str) -> None:
    """Numbers get the format; a symbol sits to the right, where the number would be."""
    if _number(cell.value) or (isinstance(cell.value, str) and cell.value.startswith("=")):
        cell.number_format = number_format
    elif isinstance(cell.value, str) and cell.value in SYMBOL_MEANING:
        cell.alignment = SYMBOL_ALIGNMENT


def _count_format(value: Any) -> str:
    """Whole numbers with separators; a fractional one (FTE, say) to one decimal place."""
    return TENTHS if _number(value) and float(value) != int(value) else WHOLE


def _sheet_title(ws: Worksheet, title: str) -> None:
    append_row(ws, [title])
    ws["A1"].font = TITLE_FONT
    append_row(ws, [KEY])
    ws["A2"].font = Font(italic=True)


def _aim_sheet(
    wb: Workbook,
    aim: Any,
    headline: dict[tuple[str, str], dict[str, Any]],
    area_names: list[str],
    quarter: str,
    optional: list[tuple[str, str]],
    formulas: _Formulas,
) -> None:
    ws = wb.create_sheet(aim.label[:31])
    _sheet_title(ws, f"{aim.label}: {aim.title}, {quarter}")
    header = ["Indicator", "Title", "Area", "Area type", "Unit", "Value", "Numerator",
              "Denominator", "Change on last quarter", "Change on a year ago",
              *(title for _, title in optional), "Status", "Note"]  # fmt: skip
    rows: list[list[Any]] = []
    sources: list[dict[str, Any]] = []
    for objective in aim.objectives:
        for ind in objective.indicators:
            for area in area_names:
                row = headline.get((ind.id, area)) or {
                    "status": "missing", "value": None, "unit": ind.unit, "area_type": "",
                    "note": "no figure was computed for this area",
                }  # fmt: skip
                sources.append(row)
                rows.append([
                    ind.id, ind.title, area, row.get("area_type", ""), UNIT_WORDS[ind.unit],
                    _shown(row), _figure(row, "numerator"), _figure(row, "denominator"),
                    _figure(row, "change_previous", ok_blank=SYMBOLS["missing"]),
                    _figure(row, "change_last_year", ok_blank=SYMBOLS["missing"]),
                    *(_optional(row, key) for key, _ in optional),
                    row["status"], row.get("note") or "",
                ])  # fmt: skip
    at = {title: n for n, title in enumerate(header)}

    def style(n: int, cells: Sequence[Cell]) -> None:
        row = sources[n]
        unit = row.get("unit", "count")
        for title in ("Value", *(t for k, t in optional if k.startswith("ci_"))):
            _style(cells[at[title]], UNIT_FORMATS[unit])
        for title in ("Numerator", "Denominator"):
            _style(cells[at[title]], _count_format(cells[at[title]].value))
        for title in ("Change on last quarter", "Change on a year ago"):
            _style(cells[at[title]], CHANGE_FORMATS[unit])
        formulas.write(ws, cells[at["Value"]], cells[at["Numerator"]], cells[at["Denominator"]],
                       row)  # fmt: skip

    write_table(ws, header, rows, name=f"Figures {aim.label}", freeze_columns=3, style=style)


def _optional(row: dict[str, Any], key: str) -> Any:
    value = row.get(key)
    if key.startswith("ci_"):
        return _figure(row, key)
    return "" if value is None else value


def _target(ind: Indicator) -> str:
    target = ind.target
    if target is None:
        return ""
    word = "at least" if target.direction == "at_least" else "at most"
    unit = "%" if ind.unit == "percent" else ""
    return f"{word} {target.value:g}{unit} a {target.per}" + (
        f" ({target.source})" if target.source else ""
    )


def _indicators_sheet(wb: Workbook, catalogue: Catalogue, quarter: str) -> None:
    ws = wb.create_sheet("Indicators")
    _sheet_title(ws, f"{catalogue.title}: indicators and their definitions, {quarter}")
    rows = []
    for aim, objective, ind in catalogue.indicators():
        spec = catalogue.return_spec(ind.source)
        rows.append([
            aim.label, objective.id, ind.id, ind.title, UNIT_WORDS[ind.unit],
            POLARITY_WORDS[ind.polarity], spec.title if spec else ind.source, ind.definition,
            formula(ind.measure), _target(ind), ind.status, ind.notes,
        ])  # fmt: skip
    header = ["Aim", "Objective", "Indicator", "Title", "Unit", "Polarity", "Source",
              "Definition", "Formula", "Target", "Status", "Notes"]  # fmt: skip
    write_table(ws, header, rows, name="Indicators", freeze_columns=3)


def _breakdowns_sheet(
    wb: Workbook, results: list[dict[str, Any]], area_names: list[str], quarter: str
) -> None:
    ws = wb.create_sheet("Breakdowns")
    _sheet_title(ws, f"Breakdowns of each indicator by area, {quarter}")
    by_breakdown: dict[tuple[str, str, str], dict[str, Any]] = {}
    for r in results:
        if r["breakdown"]:
            key = (r["indicator_id"], r["breakdown"], r["breakdown_value"])
            by_breakdown.setdefault(key, {})[r["area"]] = r
    units = [next(iter(areas.values()))["unit"] for areas in by_breakdown.values()]
    rows = [
        [ind_id, name, value, UNIT_WORDS.get(unit, unit), *[_shown(areas.get(a)) for a in area_names]]
        for ((ind_id, name, value), areas), unit in zip(by_breakdown.items(), units, strict=True)
    ]  # fmt: skip

    header = ["Indicator", "Breakdown", "Breakdown value", "Unit", *area_names]
    write_table(ws, header, rows, name="Breakdowns", freeze_columns=3, style=_by_unit(units),
                empty="No indicator has a breakdown this quarter.")  # fmt: skip


def _by_unit(units: list[str]) -> Callable[[int, Sequence[Cell]], None]:
    """Style row n's figures (from the fifth column on) by the number format of its unit."""

    def style(n: int, cells: Sequence[Cell]) -> None:
        for cell in cells[4:]:
            _style(cell, UNIT_FORMATS.get(units[n], WHOLE))

    return style


def _trend_sheet(wb: Workbook, trend: list[dict[str, Any]], titles: dict[str, str]) -> None:
    ws = wb.create_sheet("Trend")
    quarters = sorted({r["quarter"] for r in trend})
    span = f"{quarters[0]} to {quarters[-1]}" if quarters else ""
    _sheet_title(ws, f"Headline figures by quarter, {span}")
    series: dict[tuple[str, str], dict[str, Any]] = {}
    for r in trend:
        series.setdefault((r["indicator_id"], r["area"]), {})[r["quarter"]] = r
    units = [next(iter(by_quarter.values()))["unit"] for by_quarter in series.values()]
    rows = [
        [ind_id, titles.get(ind_id, ""), area, UNIT_WORDS.get(unit, unit),
         *[_shown(by_quarter.get(q)) for q in quarters]]
        for ((ind_id, area), by_quarter), unit in zip(series.items(), units, strict=True)
    ]  # fmt: skip

    header = ["Indicator", "Title", "Area", "Unit", *quarters]
    write_table(ws, header, rows, name="Trend", freeze_columns=3, style=_by_unit(units),
                empty="No figures for earlier quarters.")  # fmt: skip


# All results: how each numeric column of results.csv is shown.
_VALUE_COLUMNS = ("value", "previous_value", "last_year_value", "ci_lower", "ci_upper")
_CHANGE_COLUMNS = ("change_previous", "change_last_year")


def _all_results_sheet(
    wb: Workbook, results: list[dict[str, Any]], quarter: str, formulas: _Formulas
) -> None:
    ws = wb.create_sheet("All results")
    _sheet_title(ws, f"Every figure of {quarter}, as in results.csv (a blank value: see status)")
    columns = list(results[0]) if results else []
    at = {c: n for n, c in enumerate(columns)}

    def style(n: int, cells: Sequence[Cell]) -> None:
        row = results[n]
        unit = row.get("unit", "count")
        for column in columns:
            cell = cells[at[column]]
            if column in _VALUE_COLUMNS:
                _style(cell, UNIT_FORMATS.get(unit, WHOLE))
            elif column in _CHANGE_COLUMNS:
                _style(cell, CHANGE_FORMATS.get(unit, WHOLE))
            elif column in ("numerator", "denominator"):
                _style(cell, _count_format(cell.value))
        if {"value", "numerator", "denominator"} <= at.keys():
            formulas.write(ws, cells[at["value"]], cells[at["numerator"]],
                           cells[at["denominator"]], row)  # fmt: skip

    write_table(ws, columns, [[r[c] for c in columns] for r in results], name="All results",
                freeze_columns=0, style=style, empty="No results.")  # fmt: skip


def _about_sheet(
    about: Worksheet,
    catalogue: Catalogue,
    quarter: Quarter,
    *,
    marking: str,
    synthetic: str,
    sheets: list[tuple[str, str]],
    formulas: _Formulas,
    optional: list[tuple[str, str]],
) -> None:
    about.title = "About"
    lines = [*([synthetic] if synthetic else []), *([marking] if marking else []),
             f"{catalogue.title}: {quarter}"]  # fmt: skip
    for n, line in enumerate(lines, start=1):
        append_row(about, [line])
        about.cell(row=n, column=1).font = Font(bold=True, size=12 if n < len(lines) else 14)
    if synthetic:
        about["A1"].font = Font(bold=True, size=14, color="C00000")
    about.column_dimensions["A"].width = 20
    about.column_dimensions["B"].width = 100  # the notes wrap at this width
    due = due_date(catalogue, quarter)
    details: list[list[Any]] = [
        ["Quarter", f"{quarter}: {quarter.months_label} ({quarter.start:%-d %B %Y} to "
                    f"{quarter.end:%-d %B %Y})"],
        ["Catalogue version", catalogue.version],
        ["Returns due by", due],
        ["Tool version", f"tees-dataset {__version__}"],
        ["Protective marking", marking or "none: the publishable variant (small numbers "
                                          "suppressed)"],
    ]  # fmt: skip
    if synthetic:
        details.insert(0, ["Synthetic data", synthetic])
    write_table(
        about,
        ["Item", "Detail"],
        details,
        name="About",
        formats={"Detail": DATE_FORMAT},
        freeze=False,
    )
    write_table(about, ["Sheet", "What it holds"], sheets, name="Sheets", freeze=False)
    write_table(
        about,
        ["Symbol", "Meaning"],
        [[s, m] for s, m in SYMBOL_MEANING.items()]
        + [["(blank)", f"{BLANK_MEANING}, a median no numerator"]],
        name="Symbols",
        freeze=False,
    )  # fmt: skip
    write_table(about, ["Topic", "Note"], _notes(formulas, optional), name="Notes", freeze=False)
    about.freeze_panes = f"A{len(lines) + 1}"  # the marks and the title stay in view


def _notes(formulas: _Formulas, optional: list[tuple[str, str]]) -> list[list[str]]:
    untraceable = (
        f" {formulas.untraceable:,} percentages or rates are numbers too: their published "
        "value was worked out before their numerator and denominator were rounded to one "
        "decimal place (full-time equivalents), so the rounded figures in the row would not "
        "give it exactly."
        if formulas.untraceable
        else ""
    )
    notes = [
        ["Percentages", 'Percentages are numbers from 0 to 100 (as in results.csv), shown to one '
                        'decimal place with a % sign (number format 0.0"%"). Changes in a '
                        "percentage are in percentage points."],
        ["Rates", "Rates are per 10,000 children aged 0 to 17 (ONS mid-year estimates), to one "
                  "decimal place; the denominator is the population."],
        ["Counts", "Counts have thousands separators; a count's value is its numerator. Numerators "
                   "and denominators that are full-time equivalents show one decimal place."],
        ["Days", "Days are medians, in (working) days, to one decimal place; the denominator is "
                 "the number of cases."],
        ["Changes", "Changes are on the previous quarter and on the same quarter a year earlier, "
                    "signed; x where the earlier figure is not available."],
        ["Areas", "Partnership and Tees figures pool their local authorities' numerators and "
                  "denominators; rates are never averaged."],
        ["Formulas", f"In the aim sheets and All results, a percentage or rate per 10,000 worked "
                     f"out from the numerator and denominator in its own row is a live formula, "
                     f"=ROUND(100*numerator/denominator,1) or ROUND(10000*...), so that it can be "
                     f"traced ({formulas.count:,} cells); each is saved with its value. Other "
                     f"figures are numbers: a count is its own numerator, a median cannot be "
                     f"worked out from its row, and Breakdowns and Trend set figures side by side "
                     f"by area or by quarter, with no numerator and denominator beside them."
                     f"{untraceable}"],
        ["Tables", "Each list is an Excel table with a filter on every column, named (t_...) so "
                   "that pivot tables and Power Query can refer to it."],
    ]  # fmt: skip
    if optional:
        notes.append(["Intervals and signals", "The aim sheets and All results carry each "
                      "figure's 95% confidence interval and its signal, as results.csv does."])  # fmt: skip
    return notes


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
    formulas = _Formulas()
    optional = [(k, t) for k, t in OPTIONAL_COLUMNS if any(k in r for r in results)]
    headline = {(r["indicator_id"], r["area"]): r for r in results if r["breakdown"] == ""}
    sheets: list[tuple[str, str]] = [("About", "This sheet: what is where, and how it is shown.")]
    for aim in catalogue.aims:
        _aim_sheet(wb, aim, headline, area_names, quarter, optional, formulas)
        sheets.append((aim.label[:31], f"{aim.label}: {aim.title}. Each indicator's headline "
                       "figure for every area, with numerator, denominator and changes."))  # fmt: skip
    _indicators_sheet(wb, catalogue, quarter)
    _breakdowns_sheet(wb, results, area_names, quarter)
    titles = {i.id: i.title for _, _, i in catalogue.indicators()}
    _trend_sheet(wb, trend, titles)
    _all_results_sheet(wb, results, quarter, formulas)
    sheets += [
        ("Indicators", "Each indicator's definition, formula, source, polarity and target."),
        ("Breakdowns", "Figures broken down (by agency, sector, category...) for every area."),
        ("Trend", "Headline figures of this quarter and the 7 before it, where there are."),
        ("All results", "Every row of results.csv, with its status and note."),
    ]
    _about_sheet(about, catalogue, Quarter.parse(quarter), marking=marking, synthetic=synthetic,
                 sheets=sheets, formulas=formulas, optional=optional)  # fmt: skip
    if synthetic:
        from tees_dataset.render.xlsx_marks import mark_sheets

        mark_sheets(wb, synthetic)
    wb.save(path)
    save_formula_values(path, formulas.values)


# A formula cell as openpyxl writes it: its reference, attributes and formula, and an empty
# value.
_FORMULA_CELL = re.compile(
    r'(<c r="([A-Z]+[0-9]+)"(?: [^>]*)?>)(<f>[^<]*</f>)(?:<v\s*/>|<v></v>)?(</c>)'
)


def save_formula_values(path: Path, values: dict[str, dict[str, float]]) -> None:
    """Store each formula's value in the saved workbook, as Excel does when it saves: openpyxl
    writes formulas without one, so a reader that does not calculate would see nothing."""
    if not values:
        return
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        parts = {info.filename: archive.read(info) for info in infos}
    for part, cells in _sheet_parts(parts, values).items():
        found: set[str] = set()

        def with_value(
            match: re.Match[str], cells: dict[str, float] = cells, found: set[str] = found
        ) -> str:
            ref = match[2]
            if ref not in cells:
                return match[0]
            found.add(ref)
            return f"{match[1]}{match[3]}<v>{cells[ref]!r}</v>{match[4]}"

        parts[part] = _FORMULA_CELL.sub(with_value, parts[part].decode("utf-8")).encode("utf-8")
        if found != cells.keys():
            raise RuntimeError(f"{len(cells) - len(found)} formula cells not found in {part}")
    temporary = path.with_name(path.name + ".part")
    with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in infos:
            archive.writestr(info, parts[info.filename])
    temporary.replace(path)


_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "p": "http://schemas.openxmlformats.org/package/2006/relationships",
}


def _sheet_parts(
    parts: dict[str, bytes], values: dict[str, dict[str, float]]
) -> dict[str, dict[str, float]]:
    """The zip part of each named sheet (from the workbook's own relationships)."""
    workbook = ElementTree.fromstring(parts["xl/workbook.xml"])
    rels = ElementTree.fromstring(parts["xl/_rels/workbook.xml.rels"])
    targets = {r.get("Id"): r.get("Target", "") for r in rels.findall("p:Relationship", _NS)}
    out = {}
    for sheet in workbook.iterfind("m:sheets/m:sheet", _NS):
        name = sheet.get("name")
        if name in values:
            target = targets[sheet.get(f"{{{_NS['r']}}}id")]
            part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            out[part] = values[name]
    return out
