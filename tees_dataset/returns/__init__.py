"""Returns stage: find each agency's workbook for a quarter, identify, read and validate it."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from difflib import get_close_matches
from pathlib import Path
from typing import Literal

import polars as pl

from tees_dataset.catalogue.models import Agency, Catalogue
from tees_dataset.quarter import Quarter
from tees_dataset.report import Issue, Level, Location
from tees_dataset.returns.read import ReturnFileError, Workbook, blank_cell_causes
from tees_dataset.returns.validate import validate_sheet
from tees_dataset.returns.workbook import AREA_COLUMN, TOOL_MARK

log = logging.getLogger(__name__)
Status = Literal["received", "rejected", "missing"]
RETURN_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
# Used when a workbook has no template metadata: `<agency id>-<quarter>.xlsx`, e.g.
# `cleveland_police-2024Q3.xlsx` (any text may follow the quarter).
FILE_NAME_PATTERN = re.compile(
    r"^(?P<agency>[A-Za-z0-9_]+?)[-_ ]+(?P<quarter>\d{4}Q[1-4])", re.IGNORECASE
)
AGENCY = "agency"
RECEIVED_LOG = "received.csv"
SECTOR = "sector"


@dataclass
class FileResult:
    """One file found in the quarter's folder and what became of it."""

    path: Path
    sha256: str
    agency_id: str | None = None
    identified_by: str | None = None
    issues: list[Issue] = field(default_factory=list)
    received: dt.date | None = None
    comment: str | None = None


@dataclass
class QuarterReturns:
    """Everything read for a quarter: accepted rows per return, and who sent what."""

    quarter: Quarter
    folder: Path
    files: list[FileResult]
    frames: dict[str, pl.DataFrame]
    status: dict[tuple[str, str], Status]

    @property
    def issues(self) -> list[Issue]:
        return [i for f in self.files for i in f.issues]

    def accepted(self, agency_id: str, return_id: str) -> bool:
        return self.status.get((agency_id, return_id)) == "received"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _modified(path: Path) -> dt.date:
    return dt.datetime.fromtimestamp(path.stat().st_mtime).date()


def read_received_log(path: Path) -> tuple[dict[str, dt.date], list[Issue]]:
    """`received.csv` (agency, received as YYYY-MM-DD), kept by the business unit: when each
    return arrived. Without it, a file's modification date stands in."""
    if not path.is_file():
        return {}, []
    received: dict[str, dt.date] = {}
    issues = []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            try:
                received[(row.get("agency") or "").strip()] = dt.date.fromisoformat(
                    (row.get("received") or "").strip()
                )
            except ValueError:
                issues.append(Issue(
                    Level.WARNING, "F-RECEIVED-DATE", "the received date is not a date like 2024-10-15",
                    Location(path.name, line=line), "Correct it; until then the file's date is used.",
                ))  # fmt: skip
    return received, issues


def discover(folder: Path) -> tuple[list[Path], list[Issue]]:
    """Candidate return files in a quarter's folder; lock and hidden files are skipped."""
    if not folder.is_dir():
        return [], []
    paths, issues = [], []
    for path in sorted(folder.iterdir()):
        if path.name.startswith((".", "~$")) or not path.is_file() or path.name == RECEIVED_LOG:
            continue
        if path.suffix.lower() in RETURN_SUFFIXES:
            paths.append(path)
        else:
            issues.append(
                Issue(
                    Level.WARNING,
                    "F-NOT-A-RETURN",
                    "this file is not a workbook and was ignored",
                    Location(path.name),
                    "Returns are Excel workbooks (.xlsx) made from the template.",
                )
            )
    return paths, issues


def _identify(
    workbook: Workbook, catalogue: Catalogue, quarter: Quarter, result: FileResult
) -> Agency | None:
    meta = workbook.metadata()
    name = workbook.path.name
    if meta.get("tool") == TOOL_MARK:
        agency_id, meta_quarter, how = meta.get("agency", ""), meta.get("quarter", ""), "metadata"
    else:
        match = FILE_NAME_PATTERN.match(name)
        if not match:
            result.issues.append(
                Issue(
                    Level.ERROR,
                    "F-UNIDENTIFIED",
                    "cannot tell which agency this return is from",
                    Location(name),
                    "Use the template for your agency (it identifies itself), or name "
                    "the file <agency id>-<quarter>.xlsx, e.g. cleveland_police-2024Q3.xlsx.",
                )
            )
            return None
        agency_id, meta_quarter, how = (
            match["agency"].lower(),
            match["quarter"].upper(),
            "file name",
        )
    agency = catalogue.agency(agency_id)
    if agency is None:
        close = get_close_matches(agency_id, [a.id for a in catalogue.agencies], n=1)
        result.issues.append(
            Issue(
                Level.ERROR,
                "F-UNKNOWN-AGENCY",
                f"the {how} names an unknown agency '{agency_id}'",
                Location(name),
                f"Did you mean '{close[0]}'?" if close else "Use your agency's template.",
            )
        )
        return None
    result.agency_id, result.identified_by = agency.id, how
    if meta_quarter != str(quarter):
        result.issues.append(
            Issue(
                Level.ERROR,
                "F-WRONG-QUARTER",
                f"this is the return for {meta_quarter or 'an unknown quarter'}, not {quarter}",
                Location(name),
                f"Move it to the {meta_quarter} folder, and send the {quarter} return.",
                agency=agency.id,
            )
        )
        return None
    return agency


def load_quarter(catalogue: Catalogue, quarter: Quarter, returns_dir: Path) -> QuarterReturns:
    """Read and validate every return for the quarter; one bad file never stops the others."""
    folder = returns_dir / str(quarter)
    paths, folder_issues = discover(folder)
    received_log, log_issues = read_received_log(folder / RECEIVED_LOG)
    folder_issues += log_issues
    files: list[FileResult] = []
    if folder_issues:
        files.append(FileResult(folder, "", issues=folder_issues))
    by_agency: dict[str, list[tuple[FileResult, Workbook]]] = defaultdict(list)
    for path in paths:
        result = FileResult(path, sha256_of(path))
        files.append(result)
        try:
            workbook = Workbook(path)
        except ReturnFileError as exc:
            result.issues.append(exc.issue)
            continue
        agency = _identify(workbook, catalogue, quarter, result)
        if agency is not None:
            result.comment = workbook.comment()
            result.received = received_log.get(agency.id) or _modified(path)
            by_agency[agency.id].append((result, workbook))

    status: dict[tuple[str, str], Status] = {
        (agency_id, spec.id): "missing"
        for spec in catalogue.returns
        for agency_id in spec.submitted_by
    }
    parts: dict[str, list[pl.DataFrame]] = defaultdict(list)
    for agency_id, submitted in by_agency.items():
        agency = catalogue.agency(agency_id)
        assert agency is not None
        if len(submitted) > 1:
            names = ", ".join(r.path.name for r, _ in submitted)
            for result, _ in submitted:
                result.issues.append(
                    Issue(
                        Level.ERROR,
                        "F-DUPLICATE",
                        f"{agency.name} sent {len(submitted)} returns for {quarter}: {names}",
                        Location(result.path.name),
                        "Keep only the final return in the folder and rebuild.",
                        agency=agency.id,
                    )
                )
            for spec in catalogue.returns_of(agency_id):
                status[(agency_id, spec.id)] = "rejected"
            continue
        result, workbook = submitted[0]
        for spec in catalogue.returns_of(agency_id):
            frame = _read_return(workbook, spec.id, catalogue, agency, quarter, result)
            if frame is None:
                status[(agency_id, spec.id)] = "rejected"
            else:
                status[(agency_id, spec.id)] = "received"
                parts[spec.id].append(frame)
    frames = {spec_id: pl.concat(chunks, how="vertical") for spec_id, chunks in parts.items()}
    return QuarterReturns(quarter, folder, files, frames, status)


BLANK_CODES = frozenset({"V-REQUIRED", "V-AREA"})


def _explain_blanks(path: Path, sheet: str, issues: list[Issue]) -> list[Issue]:
    """A blank that is really a merged cell or an unsaved formula says so."""
    blanks = {i.location.cell for i in issues if i.code in BLANK_CODES and i.value is None}
    causes = blank_cell_causes(path, sheet, {c for c in blanks if c})
    if not causes:
        return issues
    out = []
    for issue in issues:
        cause = causes.get(issue.location.cell or "") if issue.code in BLANK_CODES else None
        if cause:
            issue = replace(issue, message=f"{issue.message}: {cause[0]}", fix=cause[1])
        out.append(issue)
    return out


def _read_return(
    workbook: Workbook,
    return_id: str,
    catalogue: Catalogue,
    agency: Agency,
    quarter: Quarter,
    result: FileResult,
) -> pl.DataFrame | None:
    spec = catalogue.return_spec(return_id)
    assert spec is not None
    name = workbook.path.name
    if spec.sheet not in workbook.sheet_names:
        visible = [s for s in workbook.sheet_names if not s.startswith("_")]
        close = get_close_matches(spec.sheet, visible, n=1, cutoff=0.4)
        fix = (
            f"Rename the sheet '{close[0]}' to '{spec.sheet}'."
            if close
            else f"Add the sheet '{spec.sheet}' from the template."
        )
        result.issues.append(
            Issue(
                Level.ERROR,
                "V-SHEET-MISSING",
                f"the sheet '{spec.sheet}' is missing",
                Location(name),
                fix,
                agency=agency.id,
                return_id=spec.id,
            )
        )
        return None
    try:
        raw = workbook.raw_sheet(spec.sheet)
    except ReturnFileError as exc:
        result.issues.append(replace(exc.issue, agency=agency.id, return_id=spec.id))
        return None
    try:
        checked = validate_sheet(raw, spec, catalogue, agency, quarter, name)
    except Exception as exc:  # a fault here must not stop the other returns
        log.exception("validating %s › %s failed", name, spec.sheet)
        result.issues.append(
            Issue(
                Level.ERROR,
                "V-INTERNAL",
                f"the sheet could not be checked ({exc.__class__.__name__}); it was not used",
                Location(name, sheet=spec.sheet),
                "This is a fault in tees-dataset, not in your return: the analyst will report it.",
                agency=agency.id,
                return_id=spec.id,
            )
        )
        return None
    result.issues.extend(_explain_blanks(workbook.path, spec.sheet, checked.issues))
    if checked.rejected or checked.frame is None:
        return None
    # Child references stop here: nothing downstream of validation ever sees them.
    keep = [c.name for c in spec.columns if not c.personal]
    if spec.area_level == "partnership":
        # Rows of a partnership-level return belong to the partnership that sent them.
        partnership = catalogue.partnership_of(agency)
        area = pl.lit(partnership.id if partnership else None, pl.String).alias(AREA_COLUMN)
    else:
        area = pl.col(AREA_COLUMN)
    return checked.frame.select(
        pl.lit(agency.id).alias(AGENCY), pl.lit(agency.sector).alias(SECTOR), area, *keep
    )
