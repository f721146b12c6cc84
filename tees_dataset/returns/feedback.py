"""Validation reports: validation.json and validation.xlsx for the unit, a workbook per agency.

Their layout, shared by every workbook the tool writes, is in `layout` (`write_table` and the
names render/xlsx.py takes from here are re-exported).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from tees_dataset.calendar import is_working_day
from tees_dataset.catalogue.models import Agency, Catalogue
from tees_dataset.quarter import Quarter
from tees_dataset.report import Issue
from tees_dataset.returns import QuarterReturns
from tees_dataset.returns.layout import (
    CENTRED,
    COUNT_FORMAT,
    DATE_FORMAT,
    NO_PROBLEMS,
    TITLE_FONT,
    fit_title_block,
    title_block,
    write_table,
)

__all__ = [
    "DATE_FORMAT",
    "TITLE_FONT",
    "corrections_due",
    "due_date",
    "summary",
    "write_agency_feedback",
    "write_table",
    "write_validation_json",
    "write_validation_xlsx",
]

# The shared reports (validation.xlsx and .json) show where and what, never what the cell holds.
DETAIL_COLUMNS = ("agency", "file", "sheet", "cell", "level", "code", "message", "fix")
# The agency's own feedback also shows what its workbook holds there, and names the record (its
# pseudonymous child reference).
FEEDBACK_COLUMNS = (*DETAIL_COLUMNS, "value", "record")
# What the issue lists show above each column.
COLUMN_TITLES = {"fix": "What to do", "record": "Record (child reference)"}
# Corrections asked for after the returns' due date are due this many working days after the
# feedback is written (before it, by the due date itself).
CORRECTION_WORKING_DAYS = 10


def _row(issue: Issue, *, include_personal: bool) -> list[Any]:
    loc = issue.location
    row = [
        issue.agency or "", loc.file, loc.sheet or "", loc.cell or "", issue.level.value,
        issue.code, issue.message, issue.fix,
    ]  # fmt: skip
    if include_personal:  # the agency's own feedback only
        row += [issue.value or "", issue.record or ""]
    return row


def due_date(catalogue: Catalogue, quarter: Quarter) -> dt.date:
    """When the quarter's returns are due: `due_days` after it ends."""
    return quarter.end + dt.timedelta(days=catalogue.due_days)


def corrections_due(due: dt.date, written: dt.date) -> dt.date:
    """When corrections are due: by the returns' due date while it is ahead, otherwise
    CORRECTION_WORKING_DAYS working days after the feedback is written."""
    if written < due:
        return due
    day, left = written, CORRECTION_WORKING_DAYS
    while left:
        day += dt.timedelta(days=1)
        left -= is_working_day(day)
    return day


def summary(catalogue: Catalogue, returns: QuarterReturns) -> list[dict[str, Any]]:
    """Per agency and return: received, rejected or missing, with error and warning counts."""
    counts: Counter[tuple[str | None, str | None, str]] = Counter(
        (i.agency, i.return_id, i.level.value) for i in returns.issues
    )
    due = due_date(catalogue, returns.quarter)
    files = {f.agency_id: f for f in returns.files if f.agency_id and f.received}
    out = []
    for (agency_id, return_id), status in returns.status.items():
        agency = catalogue.agency(agency_id)
        spec = catalogue.return_spec(return_id)
        file = files.get(agency_id) if status != "missing" else None
        received = file.received if file else None
        out.append(
            {
                "agency": agency_id,
                "agency_name": agency.name if agency else agency_id,
                "return": return_id,
                "return_title": spec.title if spec else return_id,
                "status": status,
                "received": received.isoformat() if received else "",
                "late": bool(received and received > due),
                "due": due.isoformat(),
                "comment": (file.comment or "") if file else "",
                "errors": counts[(agency_id, return_id, "error")]
                + counts[(agency_id, None, "error")],
                "warnings": counts[(agency_id, return_id, "warning")],
            }
        )
    return sorted(out, key=lambda r: (r["agency_name"], r["return_title"]))


def write_validation_json(catalogue: Catalogue, returns: QuarterReturns, path: Path) -> None:
    """Every issue, without anything the returns hold (no `value`, no `record`)."""
    data = {
        "quarter": str(returns.quarter),
        "valid": not any(i.level.value == "error" for i in returns.issues),
        "returns": summary(catalogue, returns),
        "issues": [i.to_dict() for i in returns.issues],
    }
    path.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")


def _date(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _late(row: Mapping[str, Any]) -> str:
    """Yes or No for a return received; blank for one not received (its status says so)."""
    return ("Yes" if row["late"] else "No") if row["received"] else ""


def _return_row(row: Mapping[str, Any], *, agency: bool) -> list[Any]:
    """A return's line; validation.xlsx also names the agency and shows its comment."""
    due, received = _date(row["due"]), _date(row["received"])
    shown = [row["return_title"], row["status"], due, received, _late(row)]
    if agency:
        return [row["agency_name"], *shown, row["comment"], row["errors"], row["warnings"]]
    return [*shown, row["errors"], row["warnings"]]


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _counts(issues: Sequence[Issue]) -> tuple[int, int]:
    levels = Counter(i.level.value for i in issues)
    return levels["error"], levels["warning"]


def _titles(columns: Sequence[str]) -> list[str]:
    return [COLUMN_TITLES.get(c, c.capitalize()) for c in columns]


RETURN_FORMATS = {
    "Due": DATE_FORMAT,
    "Received": DATE_FORMAT,
    "Errors": COUNT_FORMAT,
    "Warnings": COUNT_FORMAT,
    "Count": COUNT_FORMAT,
}


def write_validation_xlsx(
    catalogue: Catalogue,
    returns: QuarterReturns,
    path: Path,
    *,
    finish: Callable[[Workbook], None] | None = None,
) -> None:
    """The returns (due, received, late, comment, counts: as validation.json has them), a count
    per rule, and every issue (nothing the returns hold: no values, no child references).
    `finish` is given the workbook before it is saved (a build's synthetic-data mark)."""
    rows = summary(catalogue, returns)
    quarter = returns.quarter
    due = due_date(catalogue, quarter)
    errors, warnings = _counts(returns.issues)
    statuses = Counter(r["status"] for r in rows)
    late = sum(1 for r in rows if r["late"])
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Returns"
    lines = [
        f"Validation of the returns for {quarter} ({quarter.months_label})",
        f"Returns were due by {due:%-d %B %Y}. Of {len(rows):,} returns: "
        f"{statuses['received']:,} received ({late:,} late), {statuses['rejected']:,} "
        f"rejected, {statuses['missing']:,} missing.",
        f"{_plural(errors, 'error')} and {_plural(warnings, 'warning')}: each is listed on "
        "the Issues sheet, and counted by rule on the Rules sheet."
        if errors or warnings
        else NO_PROBLEMS,
    ]
    title_block(ws, lines)
    header = ["Agency", "Return", "Status", "Due", "Received", "Late", "Comment", "Errors",
              "Warnings"]  # fmt: skip
    top, last = write_table(
        ws,
        header,
        [_return_row(r, agency=True) for r in rows],
        name="Returns",
        empty="No returns are expected for this quarter.",
        formats=RETURN_FORMATS,
        freeze_columns=2,
    )
    _mark_late(ws, top, last)
    fit_title_block(ws, len(lines), len(header))
    rules = Counter((i.code, i.level.value, i.message) for i in returns.issues)
    write_table(
        wb.create_sheet("Rules"),
        ["Code", "Level", "Description", "Count"],
        [[code, level, message, n] for (code, level, message), n in sorted(rules.items())],
        name="Rules",
        formats=RETURN_FORMATS,
    )
    write_table(
        wb.create_sheet("Issues"),
        _titles(DETAIL_COLUMNS),
        [_row(i, include_personal=False) for i in returns.issues],
        name="Issues",
    )
    if finish is not None:
        finish(wb)
    wb.save(path)


def _mark_late(ws: Worksheet, header_row: int, last_row: int) -> None:
    """The Late column centred, and a late return's Yes in bold red, so that it stands out."""
    for column, cell in enumerate(ws[header_row], start=1):
        if cell.value == "Late":
            for (late,) in ws.iter_rows(
                min_row=header_row + 1, max_row=last_row, min_col=column, max_col=column
            ):
                late.alignment = CENTRED
                if late.value == "Yes":
                    late.font = Font(bold=True, color="C00000")


def _next_steps(
    errors: int, warnings: int, missing: Sequence[str], due: dt.date, written: dt.date
) -> tuple[str, str]:
    """When corrections are due, and what the agency should do next."""
    if not (errors or warnings or missing):
        return "none needed.", "nothing. Your return was accepted as it was."
    by = corrections_due(due, written)
    when = f"{by:%A %-d %B %Y}"
    steps = []
    if missing:
        steps.append(
            f"Send your {' and '.join(missing)} return{'s' if len(missing) > 1 else ''}, made "
            f"from the template, by {when}: until then its figures show as not available."
        )
    if errors:
        steps.append(
            f"Correct the {_plural(errors, 'error')} listed on the Issues sheet (each names the "
            "file, sheet and cell, what is wrong and what to do) and send the corrected workbook "
            f"by {when}. A sheet with an error is left out of the figures until it is corrected."
        )
    if warnings:
        steps.append(
            f"Check the {_plural(warnings, 'warning')} on the Issues sheet: where a figure is "
            "wrong, correct it"
            + (" in the same workbook." if errors else f" and send the workbook again by {when}.")
            + " A warning does not stop your figures being used."
        )
    return f"{by:%-d %B %Y}.", " ".join(steps)


def write_agency_feedback(
    catalogue: Catalogue,
    returns: QuarterReturns,
    folder: Path,
    *,
    written: dt.date | None = None,
    finish: Callable[[Workbook], None] | None = None,
) -> list[Path]:
    """One workbook per agency with only its own issues, values included, ready to send back.
    It opens with what the agency needs: who and which quarter, how many problems, when
    corrections are due (see `corrections_due`; `written` is the day the feedback is written,
    today by default) and what to do next. `finish` as for `write_validation_xlsx`."""
    folder.mkdir(parents=True, exist_ok=True)
    quarter = returns.quarter
    due = due_date(catalogue, quarter)
    today = written or dt.date.today()
    rows = summary(catalogue, returns)
    written_paths = []
    for agency in catalogue.agencies:
        expected = [r for r in rows if r["agency"] == agency.id]
        if not expected:
            continue
        own = [
            i for i in returns.issues if i.agency == agency.id or _file_of(returns, agency.id, i)
        ]
        path = folder / f"{agency.id}-{quarter}-feedback.xlsx"
        _write_feedback(agency, quarter, due, today, expected, own, path, finish)
        written_paths.append(path)
    return written_paths


def _write_feedback(
    agency: Agency,
    quarter: Quarter,
    due: dt.date,
    today: dt.date,
    expected: list[dict[str, Any]],
    own: list[Issue],
    path: Path,
    finish: Callable[[Workbook], None] | None,
) -> None:
    errors, warnings = _counts(own)
    missing = [r["return_title"] for r in expected if r["status"] == "missing"]
    by, steps = _next_steps(errors, warnings, missing, due, today)
    header = ["Return", "Status", "Due", "Received", "Late", "Errors", "Warnings"]
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Your returns"
    late = [r for r in expected if r["late"]]
    lines = [
        f"{agency.name}: feedback on your returns for {quarter}",
        f"Quarter: {quarter}, {quarter.months_label} ({quarter.start:%-d %B %Y} to "
        f"{quarter.end:%-d %B %Y}). Returns were due by {due:%-d %B %Y}.",
        *(
            [f"Received late: {', '.join(r['return_title'] for r in late)}, on "
             f"{_date(late[0]['received']):%-d %B %Y}."]
            if late
            else []
        ),
        f"Problems found: {_plural(errors, 'error')} and {_plural(warnings, 'warning')}."
        if errors or warnings
        else "Problems found: none.",
        f"Corrections due by: {by}",
        f"What to do next: {steps}",
    ]  # fmt: skip
    title_block(ws, lines)
    top, last = write_table(
        ws,
        header,
        [_return_row(r, agency=False) for r in expected],
        name="YourReturns",
        formats=RETURN_FORMATS,
        freeze_columns=1,
    )
    _mark_late(ws, top, last)
    fit_title_block(ws, len(lines), len(header))
    if missing:
        accepted = f"No problems found in the returns received; not received: {', '.join(missing)}."
    else:
        accepted = f"{NO_PROBLEMS} Your return was accepted as it was: nothing to correct."
    write_table(
        wb.create_sheet("Issues"),
        _titles(FEEDBACK_COLUMNS),
        [_row(i, include_personal=True) for i in own],
        name="YourIssues",
        empty=accepted,
    )
    if finish is not None:
        finish(wb)
    wb.save(path)


def _file_of(returns: QuarterReturns, agency_id: str, issue: Issue) -> bool:
    """File-level issues (before the agency was known) belong to the file's agency, if known."""
    return issue.agency is None and any(
        f.agency_id == agency_id and f.path.name == issue.location.file for f in returns.files
    )
