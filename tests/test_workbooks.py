"""The workbooks as analysts and agencies open them, read back with openpyxl: number formats,
tables with filters, widths, frozen headers, live formulas, title blocks, and the validation
workbook agreeing with validation.json. Every expected value is worked out by hand."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from tees_dataset.catalogue.models import Catalogue
from tees_dataset.output import SYNTHETIC_MARK
from tees_dataset.quarter import Quarter
from tees_dataset.render.xlsx import write_dataset_workbook
from tees_dataset.render.xlsx_marks import MARK_SHEET
from tees_dataset.report import Issue, Level, Location
from tees_dataset.returns import FileResult, QuarterReturns
from tees_dataset.returns.feedback import (
    corrections_due,
    write_agency_feedback,
    write_validation_json,
    write_validation_xlsx,
)

ROOT = Path(__file__).resolve().parent.parent
Q = Quarter(2024, 3)
AREAS = ["Hartlepool", "Middlesbrough", "Redcar and Cleveland", "Stockton-on-Tees", "HSSCP",
         "STSCP", "Tees"]  # fmt: skip
AREA_TYPES = {"HSSCP": "partnership", "STSCP": "partnership", "Tees": "tees"}
PERCENT, COUNT, TENTHS = '0.0"%"', "#,##0", "#,##0.0"
SECRET = "CHILD-REF-0042"


def result(
    indicator: str, area: str, unit: str, value: float | None, numerator: float | None,
    denominator: float | None, *, status: str = "ok", change_previous: float | None = None,
    change_last_year: float | None = None, breakdown: str = "", breakdown_value: str = "",
    note: str = "", **extra: Any,
) -> dict[str, Any]:  # fmt: skip
    """A row of results.csv."""
    return {
        "quarter": str(Q), "area": area, "area_code": area,
        "area_type": AREA_TYPES.get(area, "local_authority"), "indicator_id": indicator,
        "breakdown": breakdown, "breakdown_value": breakdown_value, "numerator": numerator,
        "denominator": denominator, "value": value, "unit": unit, "status": status, "note": note,
        "previous_value": None, "change_previous": change_previous, "last_year_value": None,
        "change_last_year": change_last_year, **extra,
    }  # fmt: skip


# 3.2.1 is a percentage: 45 of 62 is 72.58%, shown 72.6; 7 of 8 is 87.5; HSSCP pools them,
# 52 of 70 = 74.29 -> 74.3. 1.1.1 is a count, 1.1.2 a rate per 10,000 (383 assessments among
# 20,071 children: 190.82 -> 190.8), 2.1.4 a median in days (of 40 cases). E1.1's published 2.6
# was worked out from unrounded FTEs, so 100 x 23.9 / 886.6 = 2.70 would not give it.
RESULTS = [
    result("3.2.1", "Hartlepool", "percent", 72.6, 45, 62, change_previous=1.4,
           change_last_year=-2.0),
    result("3.2.1", "Middlesbrough", "percent", None, None, None, status="missing",
           note="a return it needs is missing"),
    result("3.2.1", "Redcar and Cleveland", "percent", None, 0, 0, status="not_applicable",
           note="no strategy discussions"),
    result("3.2.1", "Stockton-on-Tees", "percent", 87.5, 7, 8),
    result("3.2.1", "HSSCP", "percent", 74.3, 52, 70, change_previous=0.5, change_last_year=0.0),
    result("1.1.1", "Tees", "count", 12481, 12481, None, change_previous=-120,
           change_last_year=305),
    result("1.1.2", "Hartlepool", "rate_per_10000", 190.8, 383, 20071),
    result("2.1.4", "Tees", "days", 3.5, None, 40),
    result("E1.1", "Tees", "percent", 2.6, 23.9, 886.6),
    result("1.2.1", "Hartlepool", "count", 366, 366, None, breakdown="source",
           breakdown_value="Health services"),
]  # fmt: skip
TREND = [
    {"quarter": "2024Q2", "area": "Hartlepool", "area_type": "local_authority",
     "indicator_id": "3.2.1", "numerator": 42, "denominator": 60, "value": 70.0,
     "unit": "percent", "status": "ok"},
    {"quarter": "2024Q3", "area": "Hartlepool", "area_type": "local_authority",
     "indicator_id": "3.2.1", "numerator": 45, "denominator": 62, "value": 72.6,
     "unit": "percent", "status": "ok"},
    {"quarter": "2024Q2", "area": "Tees", "area_type": "tees", "indicator_id": "1.1.1",
     "numerator": 12601, "denominator": None, "value": 12601, "unit": "count",
     "status": "ok"},
]  # fmt: skip


def dataset(
    catalogue: Catalogue, tmp_path: Path, rows: list[dict[str, Any]] = RESULTS, **kwargs: Any
) -> Path:
    path = tmp_path / "dataset-2024Q3.xlsx"
    options = {"marking": "OFFICIAL-SENSITIVE"} | kwargs
    write_dataset_workbook(catalogue, rows, TREND, AREAS, path, quarter=str(Q), **options)
    return path


def find(ws: Worksheet, *values: str) -> int:
    """The row whose first cells are `values`, e.g. ("3.2.1", <title>, "Hartlepool")."""
    for row in ws.iter_rows():
        cells = [c.value for c in row]
        if all(v is None or v == cells[i] for i, v in enumerate(values)):
            return row[0].row
    raise AssertionError(f"no row {values} in {ws.title}")


def header_row(ws: Worksheet) -> int:
    (table,) = ws.tables.values()
    return int(table.ref.split(":")[0][1:])


def headers(ws: Worksheet) -> list[Any]:
    return [c.value for c in ws[header_row(ws)]]


# ------------------------------------------------------------------ the dataset workbook


def test_aim_sheet_percentages_are_live_formulas_with_their_values(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    path = dataset(catalogue, tmp_path)
    ws = load_workbook(path)["Aim 3"]
    assert headers(ws) == [
        "Indicator", "Title", "Area", "Area type", "Unit", "Value", "Numerator", "Denominator",
        "Change on last quarter", "Change on a year ago", "Status", "Note",
    ]  # fmt: skip
    r = find(ws, "3.2.1", None, "Hartlepool")
    assert ws[f"F{r}"].value == f"=ROUND(100*G{r}/H{r},1)"
    assert ws[f"F{r}"].number_format == PERCENT
    assert (ws[f"G{r}"].value, ws[f"H{r}"].value) == (45, 62)
    assert ws[f"G{r}"].number_format == ws[f"H{r}"].number_format == COUNT
    assert (ws[f"I{r}"].value, ws[f"J{r}"].value) == (1.4, -2.0)
    assert ws[f"I{r}"].number_format == "+0.0;-0.0;0.0"  # points, signed
    assert ws[f"E{r}"].value == "percentage" and ws[f"D{r}"].value == "local_authority"
    # Saved with its value, as Excel saves it: a reader that does not calculate sees 72.6.
    values = load_workbook(path, data_only=True)["Aim 3"]
    hsscp, stockton = find(ws, "3.2.1", None, "HSSCP"), find(ws, "3.2.1", None, "Stockton-on-Tees")
    assert [values[f"F{n}"].value for n in (r, stockton, hsscp)] == [72.6, 87.5, 74.3]
    assert ws[f"F{hsscp}"].value == f"=ROUND(100*G{hsscp}/H{hsscp},1)"
    assert ws[f"I{stockton}"].value == "x"  # no earlier figure to compare with


def test_symbols_for_missing_and_not_applicable_figures(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    ws = load_workbook(dataset(catalogue, tmp_path))["Aim 3"]
    r = find(ws, "3.2.1", None, "Middlesbrough")
    assert [ws[f"{c}{r}"].value for c in "FGHIJK"] == ["x", "x", "x", "x", "x", "missing"]
    assert ws[f"F{r}"].alignment.horizontal == "right"  # where the number would be
    assert ws[f"L{r}"].value == "a return it needs is missing"
    r = find(ws, "3.2.1", None, "Redcar and Cleveland")
    assert [ws[f"{c}{r}"].value for c in "FGH"] == ["z", 0, 0]  # its zeros are shown
    # An area with no row at all is not available, never blank or zero.
    r = find(ws, "3.2.2", None, "Tees")
    assert ws[f"F{r}"].value == "x"
    key = ws["A2"].value
    assert key.startswith("Key: x = not available") and "z = not applicable" in key
    assert "c = suppressed" in key


def test_counts_rates_and_days_have_formats_by_unit(catalogue: Catalogue, tmp_path: Path) -> None:
    path = dataset(catalogue, tmp_path)
    wb = load_workbook(path)
    ws = wb["Aim 1"]
    r = find(ws, "1.1.1", None, "Tees")
    assert (ws[f"F{r}"].value, ws[f"F{r}"].number_format) == (12481, COUNT)  # 12,481
    assert ws[f"H{r}"].value is None  # a count has no denominator: blank, per the key
    assert (ws[f"I{r}"].value, ws[f"I{r}"].number_format) == (-120, "+#,##0;-#,##0;0")
    r = find(ws, "1.1.2", None, "Hartlepool")
    assert ws[f"F{r}"].value == f"=ROUND(10000*G{r}/H{r},1)"
    assert ws[f"F{r}"].number_format == TENTHS
    assert load_workbook(path, data_only=True)["Aim 1"][f"F{r}"].value == 190.8
    assert ws[f"H{r}"].value == 20071 and ws[f"H{r}"].number_format == COUNT
    ws = wb["Aim 2"]
    r = find(ws, "2.1.4", None, "Tees")
    assert (ws[f"F{r}"].value, ws[f"F{r}"].number_format) == (3.5, TENTHS)  # a number of days
    assert (ws[f"G{r}"].value, ws[f"H{r}"].value) == (None, 40)
    ws = wb["Enabler 1"]
    r = find(ws, "E1.1", None, "Tees")
    assert ws[f"F{r}"].value == 2.6  # a number: its row's rounded FTEs would give 2.7
    assert (ws[f"G{r}"].value, ws[f"G{r}"].number_format) == (23.9, TENTHS)


def test_every_sheet_is_a_table_with_a_filter_a_frozen_header_and_sized_columns(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    wb = load_workbook(dataset(catalogue, tmp_path))
    assert wb.sheetnames == ["About", "Aim 1", "Aim 2", "Aim 3", "Aim 4", "Enabler 1",
                             "Enabler 2", "Indicators", "Breakdowns", "Trend", "All results"]  # fmt: skip
    names = []
    for ws in wb.worksheets[1:]:
        ((name, ref),) = ws.tables.items()
        names.append(name)
        top = header_row(ws)
        assert ws.tables[name].autoFilter.ref == ref, ws.title
        assert ref.endswith(str(ws.max_row)), ws.title  # every row is in the table
        assert ws.freeze_panes[1:] == str(top + 1), ws.title  # the header stays in view
        assert all(isinstance(c.value, str) for c in ws[top]), ws.title
        assert all(c.alignment.wrap_text for c in ws[top]), ws.title
        for cell in ws[top]:
            assert (ws.column_dimensions[cell.column_letter].width or 0) >= 8, (ws.title, cell)
    assert len(set(names)) == len(names)
    assert names[:2] == ["t_Figures_Aim_1", "t_Figures_Aim_2"]
    ws = wb["Aim 3"]
    assert ws.freeze_panes == "D5"  # header, and indicator, title and area, stay in view
    r = find(ws, "3.2.1", None, "Hartlepool")
    # The title (63 characters) wraps in a 60-wide column; the area fits its column.
    assert ws.column_dimensions["B"].width == 60 and ws[f"B{r}"].alignment.wrap_text
    assert ws.column_dimensions["C"].width == len("Redcar and Cleveland") + 2
    ws = wb["Indicators"]
    r = find(ws, "Aim 3", "3.2", "3.2.1")
    assert ws[f"H{top_of(ws)}"].value == "Definition"
    assert ws[f"H{r}"].value.startswith("Strategy discussions held in the quarter within 1")
    assert ws[f"H{r}"].alignment.wrap_text and ws.column_dimensions["H"].width == 60
    assert ws[f"I{r}"].value.startswith("100 × (rows with working days from referral_date")
    about = wb["About"]
    assert len(about.tables) == 4
    assert about["A1"].value == "OFFICIAL-SENSITIVE"
    assert about.freeze_panes == "A3"  # the marking and the title stay in view
    r = find(about, "Formulas")
    assert about.column_dimensions["B"].width == 100 and about[f"B{r}"].alignment.wrap_text


def top_of(ws: Worksheet) -> int:
    return header_row(ws)


def test_breakdowns_trend_and_all_results_carry_units_and_formats(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    path = dataset(catalogue, tmp_path)
    wb = load_workbook(path)
    ws = wb["Breakdowns"]
    assert headers(ws) == ["Indicator", "Breakdown", "Breakdown value", "Unit", *AREAS]
    r = find(ws, "1.2.1", "source", "Health services")
    assert ws[f"D{r}"].value == "count"
    assert (ws[f"E{r}"].value, ws[f"E{r}"].number_format) == (366, COUNT)
    assert ws[f"F{r}"].value == "x"
    ws = wb["Trend"]
    assert headers(ws) == ["Indicator", "Title", "Area", "Unit", "2024Q2", "2024Q3"]
    r = find(ws, "3.2.1", None, "Hartlepool")
    assert ws[f"D{r}"].value == "percentage"
    assert [(ws[f"{c}{r}"].value, ws[f"{c}{r}"].number_format) for c in "EF"] == [
        (70.0, PERCENT), (72.6, PERCENT)]  # fmt: skip
    r = find(ws, "1.1.1", None, "Tees")
    assert (ws[f"E{r}"].value, ws[f"E{r}"].number_format, ws[f"F{r}"].value) == (12601, COUNT, "x")
    ws = wb["All results"]
    assert headers(ws) == list(RESULTS[0])
    r = find(ws, "2024Q3", "Hartlepool", None, None, "3.2.1")
    assert ws[f"J{r}"].value == f"=ROUND(100*H{r}/I{r},1)" and ws[f"J{r}"].number_format == PERCENT
    assert load_workbook(path, data_only=True)["All results"][f"J{r}"].value == 72.6
    r = find(ws, "2024Q3", "Middlesbrough", None, None, "3.2.1")
    assert ws[f"J{r}"].value is None and ws[f"L{r}"].value == "missing"  # as results.csv


def test_about_lists_the_sheets_quarter_version_and_why_some_figures_are_not_formulas(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    wb = load_workbook(dataset(catalogue, tmp_path))
    about = wb["About"]
    tables = {name: about[ref] for name, ref in about.tables.items()}
    rows = {name: {r[0].value: r[1].value for r in cells[1:]} for name, cells in tables.items()}
    assert list(rows["t_Sheets"]) == wb.sheetnames
    details = rows["t_About"]
    assert details["Quarter"] == "2024Q3: July to September 2024 (1 July 2024 to 30 September 2024)"
    assert details["Catalogue version"] == catalogue.version
    assert details["Returns due by"] == dt.datetime(2024, 10, 20)
    assert "Synthetic data" not in details
    assert rows["t_Symbols"]["x"] == "not available: a return was missing or rejected"
    note = rows["t_Notes"]["Formulas"]
    # 3 percentages of 3.2.1 and the rate of 1.1.2, in the aim sheets and in All results.
    assert "(8 cells)" in note and "a median cannot be worked out from its row" in note
    assert "2 percentages or rates are numbers too" in note  # E1.1, twice
    assert rows["t_Notes"]["Percentages"].startswith("Percentages are numbers from 0 to 100")


def test_a_synthetic_build_says_so_first_and_in_every_printed_header(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    wb = load_workbook(dataset(catalogue, tmp_path, synthetic=SYNTHETIC_MARK))
    about = wb["About"]
    assert about["A1"].value == SYNTHETIC_MARK and about["A2"].value == "OFFICIAL-SENSITIVE"
    details = {r[0].value: r[1].value for r in about[about.tables["t_About"].ref][1:]}
    assert details["Synthetic data"] == SYNTHETIC_MARK
    assert all(ws.oddHeader.center.text == SYNTHETIC_MARK for ws in wb.worksheets)


def test_the_publishable_variant_shows_c_and_no_marking(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    rows = [
        result("3.2.1", "Hartlepool", "percent", None, None, None, status="suppressed"),
        result("3.2.1", "Stockton-on-Tees", "percent", 87.5, 7, 8),
    ]
    wb = load_workbook(dataset(catalogue, tmp_path, rows, marking=""))
    assert wb["About"]["A1"].value == f"{catalogue.title}: 2024Q3"
    ws = wb["Aim 3"]
    r = find(ws, "3.2.1", None, "Hartlepool")
    assert [ws[f"{c}{r}"].value for c in "FGHK"] == ["c", "c", "c", "suppressed"]


def test_intervals_and_signals_are_shown_when_the_results_carry_them(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    rows = [
        result("3.2.1", "Hartlepool", "percent", 72.6, 45, 62, ci_lower=60.4, ci_upper=82.2,
               signal="no_significant_change", signal_basis="Wilson interval"),
    ]  # fmt: skip
    ws = load_workbook(dataset(catalogue, tmp_path, rows))["Aim 3"]
    assert headers(ws)[10:] == ["Lower 95% limit", "Upper 95% limit", "Signal", "Signal basis",
                                "Status", "Note"]  # fmt: skip
    r = find(ws, "3.2.1", None, "Hartlepool")
    assert [(ws[f"{c}{r}"].value, ws[f"{c}{r}"].number_format) for c in "KL"] == [
        (60.4, PERCENT), (82.2, PERCENT)]  # fmt: skip
    assert ws[f"M{r}"].value == "no_significant_change"


# ------------------------------------------------------------- validation and feedback


def issue(level: Level, code: str, agency: str, return_id: str, **kwargs: Any) -> Issue:
    return Issue(level, code, f"{code} message", Location("hartlepool_csc-2024Q3.xlsx", sheet="Referrals",
                 cell="D7"), fix=f"{code} fix", agency=agency, return_id=return_id, **kwargs)  # fmt: skip


def quarter_returns(tmp_path: Path, *, problems: bool = True) -> QuarterReturns:
    """North Tees sent its workforce return late (25 October; due 20 October) with a comment;
    Hartlepool's referrals have an error (the sheet is rejected) and a warning; Stockton's
    referrals have not come."""
    issues = [
        issue(Level.ERROR, "V-CODE", "hartlepool_csc", "referrals", value=SECRET, personal=True,
              record=SECRET),
        issue(Level.WARNING, "V-RANGE", "hartlepool_csc", "referrals"),
    ] if problems else []  # fmt: skip
    files = [
        FileResult(tmp_path / "nth_trust-2024Q3.xlsx", "a" * 64, "nth_trust",
                   received=dt.date(2024, 10, 25), comment="September figures are provisional."),
        FileResult(tmp_path / "hartlepool_csc-2024Q3.xlsx", "b" * 64, "hartlepool_csc",
                   issues=issues, received=dt.date(2024, 10, 9)),
    ]  # fmt: skip
    status = {
        ("nth_trust", "workforce"): "received",
        ("hartlepool_csc", "referrals"): "rejected" if problems else "received",
        ("hartlepool_csc", "workforce"): "received",
        ("stockton_csc", "referrals"): "missing" if problems else "received",
    }
    return QuarterReturns(Q, tmp_path, files, {}, status)  # type: ignore[arg-type]


def rows_of(ws: Worksheet) -> list[list[Any]]:
    top = header_row(ws)
    return [[c.value for c in row] for row in ws.iter_rows(min_row=top + 1)]


def test_validation_returns_sheet_gives_due_received_late_comment_and_counts_as_the_json(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    returns = quarter_returns(tmp_path)
    write_validation_xlsx(catalogue, returns, tmp_path / "validation.xlsx")
    write_validation_json(catalogue, returns, tmp_path / "validation.json")
    wb = load_workbook(tmp_path / "validation.xlsx")
    ws = wb["Returns"]
    assert [ws[f"A{n}"].value for n in (1, 2, 3)] == [
        "Validation of the returns for 2024Q3 (July to September 2024)",
        "Returns were due by 20 October 2024. Of 4 returns: 2 received (1 late), 1 rejected, "
        "1 missing.",
        "1 error and 1 warning: each is listed on the Issues sheet, and counted by rule on the "
        "Rules sheet.",
    ]
    assert headers(ws) == ["Agency", "Return", "Status", "Due", "Received", "Late", "Comment",
                           "Errors", "Warnings"]  # fmt: skip
    due, late = dt.datetime(2024, 10, 20), dt.datetime(2024, 10, 25)
    hartlepool = "Hartlepool Borough Council Children's Services"
    assert rows_of(ws) == [
        [hartlepool, "Referrals", "rejected", due, dt.datetime(2024, 10, 9), "No", None, 1, 1],
        [hartlepool, "Workforce", "received", due, dt.datetime(2024, 10, 9), "No", None, 0, 0],
        ["North Tees and Hartlepool NHS Foundation Trust", "Workforce", "received", due, late,
         "Yes", "September figures are provisional.", 0, 0],
        ["Stockton-on-Tees Borough Council Children's Services", "Referrals", "missing", due,
         None, None, None, 0, 0],
    ]  # fmt: skip
    r = header_row(ws) + 3
    assert ws[f"D{r}"].number_format == ws[f"E{r}"].number_format == "d mmm yyyy"
    assert ws[f"F{r}"].font.b and ws[f"F{r}"].font.color.rgb == "00C00000"  # late stands out
    assert ws[f"H{r}"].number_format == "#,##0"
    # The same figures as validation.json, row for row.
    summary = json.loads((tmp_path / "validation.json").read_text())["returns"]
    assert [
        [s["agency_name"], s["return_title"], s["status"], s["due"], s["received"],
         {True: "Yes", False: "No"}[s["late"]] if s["received"] else None, s["comment"] or None,
         s["errors"], s["warnings"]]
        for s in summary
    ] == [
        [*row[:3], row[3].date().isoformat(), row[4].date().isoformat() if row[4] else "", *row[5:]]
        for row in rows_of(ws)
    ]  # fmt: skip
    assert rows_of(wb["Rules"]) == [["V-CODE", "error", "V-CODE message", 1],
                                    ["V-RANGE", "warning", "V-RANGE message", 1]]  # fmt: skip
    assert headers(wb["Issues"])[-1] == "What to do"  # no value, no child reference column
    assert len(rows_of(wb["Issues"])) == 2
    assert not any(SECRET in str(c.value) for s in wb for row in s.iter_rows() for c in row)


def test_empty_validation_sheets_say_no_problems_found(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    write_validation_xlsx(catalogue, quarter_returns(tmp_path, problems=False),
                          tmp_path / "validation.xlsx")  # fmt: skip
    wb = load_workbook(tmp_path / "validation.xlsx")
    assert wb["Returns"]["A3"].value == "No problems found."
    for name in ("Rules", "Issues"):
        ws = wb[name]
        assert (ws["A1"].value, ws.max_row, len(ws.tables)) == ("No problems found.", 1, 0)


def feedback(catalogue: Catalogue, tmp_path: Path, written: dt.date) -> dict[str, Any]:
    paths = write_agency_feedback(catalogue, quarter_returns(tmp_path), tmp_path / "feedback",
                                  written=written)  # fmt: skip
    return {p.name.split("-")[0]: load_workbook(p) for p in paths}


def title(ws: Worksheet) -> list[str]:
    return [ws[f"A{n}"].value for n in range(1, header_row(ws) - 1)]


def test_feedback_opens_with_who_when_how_many_and_what_to_do(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    books = feedback(catalogue, tmp_path, dt.date(2024, 11, 5))
    assert sorted(books) == ["hartlepool_csc", "nth_trust", "stockton_csc"]
    wb = books["hartlepool_csc"]
    ws = wb["Your returns"]
    assert ws.title == wb.worksheets[0].title  # it opens here
    lines = title(ws)
    assert lines[:5] == [
        "Hartlepool Borough Council Children's Services: feedback on your returns for 2024Q3",
        "Quarter: 2024Q3, July to September 2024 (1 July 2024 to 30 September 2024). Returns "
        "were due by 20 October 2024.",
        "Problems found: 1 error and 1 warning.",
        # Written on Tuesday 5 November, after the due date: 10 working days later.
        "Corrections due by: 19 November 2024.",
        "What to do next: Correct the 1 error listed on the Issues sheet (each names the file, "
        "sheet and cell, what is wrong and what to do) and send the corrected workbook by "
        "Tuesday 19 November 2024. A sheet with an error is left out of the figures until it is "
        "corrected. Check the 1 warning on the Issues sheet: where a figure is wrong, correct it "
        "in the same workbook. A warning does not stop your figures being used.",
    ]
    assert ws["A1"].font.b and ws["A1"].font.sz == 14
    # The long line is wrapped across the table's width, in a row tall enough for it.
    merged = {str(m) for m in ws.merged_cells.ranges}
    assert "A5:G5" in merged and ws["A5"].alignment.wrap_text
    assert ws.row_dimensions[5].height >= 45
    assert rows_of(ws) == [
        ["Referrals", "rejected", dt.datetime(2024, 10, 20), dt.datetime(2024, 10, 9), "No", 1, 1],
        ["Workforce", "received", dt.datetime(2024, 10, 20), dt.datetime(2024, 10, 9), "No", 0, 0],
    ]  # fmt: skip
    issues = wb["Issues"]
    assert header_row(issues) == 1 and headers(issues)[-1] == "Record (child reference)"
    levels = [row[4] for row in rows_of(issues)]
    assert levels == ["error", "warning"]  # as many as the title block says
    assert rows_of(issues)[0][-1] == SECRET  # the agency's own feedback names the record


def test_feedback_with_no_problems_says_the_return_was_accepted_and_shows_it_late(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    wb = feedback(catalogue, tmp_path, dt.date(2024, 11, 5))["nth_trust"]
    ws = wb["Your returns"]
    assert title(ws)[2:] == [
        "Received late: Workforce, on 25 October 2024.",
        "Problems found: none.",
        "Corrections due by: none needed.",
        "What to do next: nothing. Your return was accepted as it was.",
    ]
    assert rows_of(ws) == [["Workforce", "received", dt.datetime(2024, 10, 20),
                            dt.datetime(2024, 10, 25), "Yes", 0, 0]]  # fmt: skip
    issues = wb["Issues"]
    assert (issues["A1"].value, issues.max_row) == (
        "No problems found. Your return was accepted as it was: nothing to correct.", 1)  # fmt: skip


def test_feedback_for_a_missing_return_asks_for_it_by_the_due_date_when_it_is_ahead(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    wb = feedback(catalogue, tmp_path, dt.date(2024, 10, 10))["stockton_csc"]
    lines = title(wb["Your returns"])
    assert lines[3:] == [
        "Corrections due by: 20 October 2024.",
        "What to do next: Send your Referrals return, made from the template, by Sunday 20 "
        "October 2024: until then its figures show as not available.",
    ]
    assert wb["Issues"]["A1"].value == (
        "No problems found in the returns received; not received: Referrals."
    )


def test_corrections_are_due_ten_working_days_after_feedback_sent_after_the_due_date() -> None:
    due = dt.date(2024, 10, 20)
    assert corrections_due(due, dt.date(2024, 10, 1)) == due
    assert corrections_due(due, dt.date(2024, 11, 5)) == dt.date(2024, 11, 19)
    # Christmas Day, Boxing Day and New Year's Day are not working days.
    assert corrections_due(due, dt.date(2024, 12, 20)) == dt.date(2025, 1, 8)


def test_the_synthetic_mark_comes_first_and_the_tables_survive_it(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    from tees_dataset.build import write_validation_reports

    returns = quarter_returns(tmp_path)
    write_validation_reports(catalogue, returns, tmp_path, mark=SYNTHETIC_MARK)
    assert sorted((tmp_path / "feedback").iterdir())
    for path in [tmp_path / "validation.xlsx", *sorted((tmp_path / "feedback").iterdir())]:
        wb = load_workbook(path)
        assert wb.sheetnames[0] == MARK_SHEET and wb.worksheets[0]["A1"].value == SYNTHETIC_MARK
        assert wb.active.title == MARK_SHEET
        first = wb.worksheets[1]
        assert len(first.tables) == 1 and first["A1"].font.sz == 14, path


# ------------------------------------------------------------ on the sample returns


def test_sample_quarter_workbooks_agree_with_their_json_and_results(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    """North Tees' late 2024Q3 sample return is shown late with its dates, and every formula
    in the dataset workbook gives the value results.csv holds."""
    from tees_dataset.build import BuildOptions, compute_figures, write_validation_reports
    from tees_dataset.catalogue import load_catalogue
    from tees_dataset.compute import areas

    loaded = load_catalogue(ROOT / "indicators.yaml")
    options = BuildOptions(Q, ROOT / "sample_returns", tmp_path / "out", cache=False)
    figures = compute_figures(catalogue, loaded, options)
    write_validation_reports(catalogue, figures.returns, tmp_path)
    summary = json.loads((tmp_path / "validation.json").read_text())["returns"]
    ws = load_workbook(tmp_path / "validation.xlsx")["Returns"]
    shown = rows_of(ws)
    assert [(r[0], r[1], r[7], r[8]) for r in shown] == [
        (s["agency_name"], s["return_title"], s["errors"], s["warnings"]) for s in summary
    ]
    north_tees = [r for r in shown if r[0] == "North Tees and Hartlepool NHS Foundation Trust"]
    assert north_tees and all(
        r[2:6] == ["received", dt.datetime(2024, 10, 20), dt.datetime(2024, 10, 25), "Yes"]
        for r in north_tees
    )
    assert sum(r[5] == "Yes" for r in shown) == sum(s["late"] for s in summary) == len(north_tees)

    rows = figures.results.to_dicts()
    path = tmp_path / "dataset-2024Q3.xlsx"
    write_dataset_workbook(catalogue, rows, figures.trend.to_dicts(),
                           [a.name for a in areas(catalogue)], path, quarter="2024Q3",
                           marking="OFFICIAL-SENSITIVE")  # fmt: skip
    formulas = load_workbook(path)["All results"]
    values = load_workbook(path, data_only=True)["All results"]
    top = header_row(formulas)
    traced = 0
    for n, row in enumerate(rows, start=top + 1):
        cell = formulas[f"J{n}"]
        assert values[f"J{n}"].value == row["value"], (n, row["indicator_id"], row["area"])
        if isinstance(cell.value, str) and cell.value.startswith("=ROUND("):
            traced += 1
    percentages = [
        r for r in rows if r["unit"] in ("percent", "rate_per_10000") and r["status"] == "ok"
    ]
    assert 0 < traced == len(percentages)  # every one on the samples can be traced
