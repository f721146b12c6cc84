"""Returns stage: find each agency's workbook for a quarter, identify, read and validate it."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import logging
import re
from collections import defaultdict, deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from difflib import get_close_matches
from pathlib import Path
from typing import Literal, NamedTuple

import polars as pl

from tees_dataset.catalogue.models import Agency, Catalogue, ReturnSpec
from tees_dataset.quarter import Quarter
from tees_dataset.report import Issue, Level, Location
from tees_dataset.returns.read import RawSheet, ReturnFileError, Workbook, blank_cell_causes
from tees_dataset.returns.validate import SHEET, BatchResult, SheetInput, validate_sheets
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


@dataclass
class _Submission:
    """An agency's one return workbook for a quarter, identified and open."""

    quarter: int  # index into the quarters being read
    agency: Agency
    result: FileResult
    workbook: Workbook


def _open_quarter(
    catalogue: Catalogue, quarter: Quarter, index: int, returns_dir: Path
) -> tuple[QuarterReturns, list[_Submission]]:
    """Find, check and identify the quarter's files; nothing is validated yet."""
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
    submissions = []
    for agency_id, submitted in by_agency.items():
        agency = catalogue.agency(agency_id)
        assert agency is not None
        if len(submitted) == 1:
            submissions.append(_Submission(index, agency, *submitted[0]))
            continue
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
    return QuarterReturns(quarter, folder, files, {}, status), submissions


def load_quarter(catalogue: Catalogue, quarter: Quarter, returns_dir: Path) -> QuarterReturns:
    """Read and validate every return for the quarter; one bad file never stops the others."""
    return load_quarters(catalogue, [quarter], returns_dir)[0]


def load_quarters(
    catalogue: Catalogue, quarters: Sequence[Quarter], returns_dir: Path
) -> list[QuarterReturns]:
    """Read and validate the returns of several quarters together: each return's sheets, from
    every agency and quarter, are validated in one pass. One bad file never stops the others."""
    opened = [_open_quarter(catalogue, q, n, returns_dir) for n, q in enumerate(quarters)]
    quarter_returns = [returns for returns, _ in opened]

    def gather(spec: ReturnSpec) -> tuple[list[SheetInput], list[_Submission], list[_Unread]]:
        sheets: list[SheetInput] = []
        owners: list[_Submission] = []
        unread: list[_Unread] = []
        for returns, submissions in opened:
            for sub in submissions:
                if sub.agency.id not in spec.submitted_by:
                    continue
                raw = _raw_sheet(sub, spec)
                if isinstance(raw, Issue):
                    unread.append(_Unread(sub, raw))
                    continue
                sheets.append(SheetInput(raw, sub.agency, returns.quarter, sub.result.path.name))
                owners.append(sub)
        return sheets, owners, unread

    def settle(
        spec: ReturnSpec,
        owners: list[_Submission],
        unread: list[_Unread],
        validating: Future[BatchResult] | None,
    ) -> None:
        for sub, issue in unread:
            sub.result.issues.append(issue)
            quarter_returns[sub.quarter].status[(sub.agency.id, spec.id)] = "rejected"
        if validating is None:
            return
        checked = validating.result()
        accepted: list[int] = []
        for index, sub in enumerate(owners):
            sub.result.issues.extend(
                _explain_blanks(sub.workbook.path, spec.sheet, checked.issues[index])
            )
            ok = not checked.rejected(index)
            status: Status = "received" if ok else "rejected"
            quarter_returns[sub.quarter].status[(sub.agency.id, spec.id)] = status
            if ok:
                accepted.append(index)
        if accepted:
            rows = _accepted_rows(catalogue, spec, checked.frame, owners, accepted)
            for n in {owners[i].quarter for i in accepted}:
                quarter_returns[n].frames[spec.id] = rows.filter(pl.col(_QUARTER) == n).drop(
                    _QUARTER
                )

    # A return's sheets are read here while the one before is validated in a second thread
    # (polars and fastexcel let go of the GIL as they work); the findings are settled in the
    # catalogue's order, so the output is the same as one return after the other.
    pending: deque[
        tuple[ReturnSpec, list[_Submission], list[_Unread], Future[BatchResult] | None]
    ] = deque()
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="validate") as pool:
        for spec in catalogue.returns:
            sheets, owners, unread = gather(spec)
            validating = pool.submit(_validate, spec, catalogue, sheets) if sheets else None
            del sheets
            pending.append((spec, owners, unread, validating))
            while len(pending) > 2:
                settle(*pending.popleft())
        while pending:
            settle(*pending.popleft())
    return quarter_returns


class _Unread(NamedTuple):
    """A submission whose sheet for a return could not be read, and why."""

    sub: _Submission
    issue: Issue


_QUARTER = "_quarter"


def _validate(spec: ReturnSpec, catalogue: Catalogue, sheets: list[SheetInput]) -> BatchResult:
    """All the sheets at once; should that fail, each on its own so that a fault in checking
    one sheet rejects only that sheet."""
    try:
        return validate_sheets(spec, catalogue, sheets)
    except Exception:  # a fault here must not stop the other returns
        log.exception("validating the '%s' sheets together failed; trying one by one", spec.sheet)
    frames, issues, read = [], [], set()
    for index, sheet in enumerate(sheets):
        try:
            one = validate_sheets(spec, catalogue, [sheet])
        except Exception as exc:
            log.exception("validating %s › %s failed", sheet.file, spec.sheet)
            issues.append([Issue(
                Level.ERROR, "V-INTERNAL",
                f"the sheet could not be checked ({exc.__class__.__name__}); it was not used",
                Location(sheet.file, sheet=spec.sheet),
                "This is a fault in tees-dataset, not in your return: the analyst will report it.",
                agency=sheet.agency.id, return_id=spec.id,
            )])  # fmt: skip
            continue
        frames.append(one.frame.with_columns(pl.lit(index, pl.Int64).alias(SHEET)))
        issues.append(one.issues[0])
        if 0 in one.read:
            read.add(index)
    return BatchResult(pl.concat(frames, how="vertical"), issues, frozenset(read))


def _accepted_rows(
    catalogue: Catalogue,
    spec: ReturnSpec,
    frame: pl.DataFrame,
    owners: list[_Submission],
    accepted: list[int],
) -> pl.DataFrame:
    """The accepted sheets' rows, marked with agency, sector and quarter.

    Child references stop here: nothing downstream of validation ever sees them."""
    keep = [c.name for c in spec.columns if not c.personal]
    by_sheet = pl.col(SHEET)

    def per_sheet(values: dict[int, object], dtype: pl.DataType) -> pl.Expr:
        return by_sheet.replace_strict(values, return_dtype=dtype)

    if spec.area_level == "partnership":
        # Rows of a partnership-level return belong to the partnership that sent them.
        partnerships = {i: catalogue.partnership_of(owners[i].agency) for i in accepted}
        area = per_sheet({i: p.id if p else None for i, p in partnerships.items()}, pl.String())
    else:
        area = pl.col(AREA_COLUMN)
    return frame.filter(by_sheet.is_in(accepted)).select(
        per_sheet({i: owners[i].agency.id for i in accepted}, pl.String()).alias(AGENCY),
        per_sheet({i: owners[i].agency.sector for i in accepted}, pl.String()).alias(SECTOR),
        area.alias(AREA_COLUMN),
        *keep,
        per_sheet({i: owners[i].quarter for i in accepted}, pl.Int64()).alias(_QUARTER),
    )


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


def _raw_sheet(sub: _Submission, spec: ReturnSpec) -> RawSheet | Issue:
    """The return's sheet as text, or the issue saying why it is missing or unreadable."""
    workbook, agency = sub.workbook, sub.agency
    name = workbook.path.name
    if spec.sheet not in workbook.sheet_names:
        visible = [s for s in workbook.sheet_names if not s.startswith("_")]
        close = get_close_matches(spec.sheet, visible, n=1, cutoff=0.4)
        fix = (
            f"Rename the sheet '{close[0]}' to '{spec.sheet}'."
            if close
            else f"Add the sheet '{spec.sheet}' from the template."
        )
        return Issue(
            Level.ERROR,
            "V-SHEET-MISSING",
            f"the sheet '{spec.sheet}' is missing",
            Location(name),
            fix,
            agency=agency.id,
            return_id=spec.id,
        )
    try:
        return workbook.raw_sheet(spec.sheet)
    except ReturnFileError as exc:
        return replace(exc.issue, agency=agency.id, return_id=spec.id)
