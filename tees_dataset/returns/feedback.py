"""Validation reports: validation.json and validation.xlsx for the unit, a workbook per agency."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from tees_dataset.catalogue.models import Catalogue
from tees_dataset.report import Issue
from tees_dataset.returns import QuarterReturns
from tees_dataset.returns.workbook import append_row

DETAIL_COLUMNS = ("agency", "file", "sheet", "cell", "level", "code", "message", "fix", "value")
# The agency's own feedback also names the record (its pseudonymous child reference).
FEEDBACK_COLUMNS = (*DETAIL_COLUMNS, "record")


def _row(issue: Issue, *, include_personal: bool) -> list[Any]:
    data = issue.to_dict(include_personal=include_personal)
    loc = issue.location
    row = [
        issue.agency or "", loc.file, loc.sheet or "", loc.cell or "", data["level"],
        issue.code, issue.message, issue.fix, data["value"] or "",
    ]  # fmt: skip
    if include_personal:
        row.append(data["record"] or "")
    return row


def summary(catalogue: Catalogue, returns: QuarterReturns) -> list[dict[str, Any]]:
    """Per agency and return: received, rejected or missing, with error and warning counts."""
    counts: Counter[tuple[str | None, str | None, str]] = Counter(
        (i.agency, i.return_id, i.level.value) for i in returns.issues
    )
    due = returns.quarter.end + dt.timedelta(days=catalogue.due_days)
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
    """Every issue, without any value that could be a child reference."""
    data = {
        "quarter": str(returns.quarter),
        "valid": not any(i.level.value == "error" for i in returns.issues),
        "returns": summary(catalogue, returns),
        "issues": [i.to_dict() for i in returns.issues],
    }
    path.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")


def _sheet(ws: Worksheet, header: tuple[str, ...], rows: list[list[Any]]) -> None:
    """A header and rows; every value goes through `append_row`, so no text, wherever it came
    from, can become a formula or hold a character a workbook cannot."""
    append_row(ws, list(header))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        append_row(ws, row)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    for column, width in zip("ABCDEFGHI", (22, 28, 22, 8, 9, 12, 60, 60, 24), strict=False):
        ws.column_dimensions[column].width = width


def write_validation_xlsx(catalogue: Catalogue, returns: QuarterReturns, path: Path) -> None:
    """A summary of returns, a count per rule, and every issue (no child references)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Returns"
    _sheet(
        ws,
        ("agency", "return", "status", "errors", "warnings"),
        [
            [r["agency_name"], r["return_title"], r["status"], r["errors"], r["warnings"]]
            for r in summary(catalogue, returns)
        ],
    )
    rules = Counter((i.code, i.level.value, i.message) for i in returns.issues)
    _sheet(
        wb.create_sheet("Rules"),
        ("code", "level", "description", "count"),
        [[code, level, message, n] for (code, level, message), n in sorted(rules.items())],
    )
    _sheet(
        wb.create_sheet("Issues"),
        DETAIL_COLUMNS,
        [_row(i, include_personal=False) for i in returns.issues],
    )
    wb.save(path)


def write_agency_feedback(
    catalogue: Catalogue, returns: QuarterReturns, folder: Path
) -> list[Path]:
    """One workbook per agency with only its own issues, values included, ready to send back."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for agency in catalogue.agencies:
        own = [
            i for i in returns.issues if i.agency == agency.id or _file_of(returns, agency.id, i)
        ]
        expected = [r for r in summary(catalogue, returns) if r["agency"] == agency.id]
        if not expected:
            continue
        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = "Your returns"
        _sheet(
            ws,
            ("return", "status", "errors", "warnings"),
            [[r["return_title"], r["status"], r["errors"], r["warnings"]] for r in expected],
        )
        _sheet(
            wb.create_sheet("Issues"),
            FEEDBACK_COLUMNS,
            [_row(i, include_personal=True) for i in own],
        )
        path = folder / f"{agency.id}-{returns.quarter}-feedback.xlsx"
        wb.save(path)
        written.append(path)
    return written


def _file_of(returns: QuarterReturns, agency_id: str, issue: Issue) -> bool:
    """File-level issues (before the agency was known) belong to the file's agency, if known."""
    return issue.agency is None and any(
        f.agency_id == agency_id and f.path.name == issue.location.file for f in returns.files
    )
