"""Loading quarters: each agency's one return chosen among its files, its sheets read and validated
(all agencies' sheets of a return at once), and the accepted rows kept."""

from __future__ import annotations

import logging
import traceback
from collections import defaultdict, deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from difflib import get_close_matches
from pathlib import Path
from typing import NamedTuple

import polars as pl

from tees_dataset import codes
from tees_dataset.catalogue.models import PARTNERSHIP, Agency, Catalogue, ReturnSpec
from tees_dataset.quarter import Quarter
from tees_dataset.report import Issue, Location
from tees_dataset.returns.discover import Candidate, discover, folder_outside, open_file
from tees_dataset.returns.read import RawSheet, ReturnFileError, Workbook, blank_cell_causes
from tees_dataset.returns.received import RECEIVED_LOG, read_received_log
from tees_dataset.returns.results import AGENCY, SECTOR, FileResult, QuarterReturns, Status
from tees_dataset.returns.validate import SHEET, BatchResult, SheetInput, validate_sheets
from tees_dataset.returns.workbook import (
    AREA_COLUMN,
    as_found,
)

log = logging.getLogger(__name__)


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
    status: dict[tuple[str, str], Status] = {
        (agency_id, spec.id): "missing"
        for spec in catalogue.returns
        for agency_id in spec.submitted_by
    }
    if folder_outside(returns_dir, folder):
        issue = codes.F_FOLDER_LINK.issue(
            f"the {quarter} folder is a link to a folder outside the returns folder; it was not read",
            Location(folder.name),
        )
        return QuarterReturns(
            quarter, folder, [FileResult(folder, "", issues=[issue])], {}, status
        ), []
    paths, folder_issues = discover(folder)
    received_log, log_issues = read_received_log(folder / RECEIVED_LOG)
    folder_issues += log_issues
    files: list[FileResult] = []
    if folder_issues:
        files.append(FileResult(folder, "", issues=folder_issues))
    by_agency: dict[str, list[Candidate]] = defaultdict(list)
    for path in paths:
        result, candidate = open_file(path, catalogue, quarter, received_log)
        files.append(result)
        if candidate is not None and result.agency_id:
            by_agency[result.agency_id].append(candidate)

    submissions = []
    for agency_id, candidates in by_agency.items():
        agency = catalogue.agency(agency_id)
        assert agency is not None
        chosen = _choose(agency, quarter, candidates)
        if chosen is not None:
            submissions.append(_Submission(index, agency, chosen.result, chosen.workbook))
            continue
        for spec in catalogue.returns_of(agency_id):
            status[(agency_id, spec.id)] = "rejected"
    return QuarterReturns(quarter, folder, files, {}, status), submissions


def _choose(agency: Agency, quarter: Quarter, candidates: list[Candidate]) -> Candidate | None:
    """The agency's one return among the files identified as its, flagging the others.

    A file whose name names another agency than its metadata does is not the agency's genuine
    return: if exactly one file is (its name agrees, or names no agency), it is used and the
    others are flagged; otherwise they are all held back, as duplicates."""
    genuine = [c for c in candidates if c.named is None or c.named.id == agency.id]
    if len(genuine) == 1 or len(candidates) == 1:
        chosen = genuine[0] if genuine else None
        for other in candidates:
            if other is chosen:
                continue
            assert other.named is not None
            used = (
                f"; {chosen.result.path.name} is used as {agency.name}'s return, not this file"
                if chosen else "; it was not used"
            )  # fmt: skip
            other.result.issues.append(
                codes.F_NAME_MISMATCH.issue(
                    f"the file name says this is {other.named.name}'s return but the workbook's "
                    f"metadata says it is {agency.name}'s{used}",
                    Location(other.result.path.name),
                    f"Make each agency's return from its own template and name it "
                    f"<agency id>-{quarter}.xlsx (e.g. {other.named.id}-{quarter}.xlsx); "
                    "remove this file if it is a copy.",
                    agency=agency.id,
                )
            )
            other.result.received = other.result.comment = None  # not what the agency sent
        return chosen
    names = ", ".join(c.result.path.name for c in candidates)
    for candidate in candidates:
        candidate.result.issues.append(
            codes.F_DUPLICATE.issue(
                f"{agency.name} sent {len(candidates)} returns for {quarter}: {names}",
                Location(candidate.result.path.name),
                agency=agency.id,
            )
        )
    return None


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
    except Exception as exc:  # a fault here must not stop the other returns
        _log_fault(exc, f"validating the {spec.id} sheets together", "; trying one by one")
    frames, issues, read = [], [], set()
    for index, sheet in enumerate(sheets):
        try:
            one = validate_sheets(spec, catalogue, [sheet])
        except Exception as exc:
            _log_fault(exc, f"validating {sheet.file} › {spec.sheet}")
            issues.append([codes.V_INTERNAL.issue(f"the sheet could not be checked ({exc.__class__.__name__}); it was not used",
                Location(sheet.file, sheet=spec.sheet),
                agency=sheet.agency.id, return_id=spec.id,
            )])  # fmt: skip
            continue
        frames.append(one.frame.with_columns(pl.lit(index, pl.Int64).alias(SHEET)))
        issues.append(one.issues[0])
        if 0 in one.read:
            read.add(index)
    frame = pl.concat(frames, how="vertical") if frames else pl.DataFrame(schema={SHEET: pl.Int64})
    return BatchResult(frame, issues, frozenset(read))


def _log_fault(exc: BaseException, stage: str, then: str = "") -> None:
    """A fault in the checks, logged by its type and stage only: its text could quote a cell.
    Where it happened (the code's lines, no values) goes to the debug log."""
    log.error("%s failed (%s)%s", stage, exc.__class__.__name__, then)
    frames = traceback.extract_tb(exc.__traceback__)
    log.debug(
        "%s failed at: %s",
        stage,
        " < ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames)),
    )


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

    if spec.area_level == PARTNERSHIP:
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


BLANK_CODES = frozenset({codes.V_REQUIRED.code, codes.V_AREA.code})


def _explain_blanks(path: Path, sheet: str, issues: list[Issue]) -> list[Issue]:
    """A blank that is really a merged cell or an unsaved formula says so."""
    blanks = {i.location.cell for i in issues if i.code in BLANK_CODES and i.value is None}
    try:
        causes = blank_cell_causes(path, sheet, {c for c in blanks if c})
    except Exception as exc:  # an explanation is a courtesy: never worth a return
        _log_fault(exc, f"explaining blank cells in {path.name} › {sheet}")
        return issues
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
        # The workbook's own sheet names are never quoted in a message (any text can be one):
        # the one that looks like it goes in `value`, which only the agency's feedback shows.
        visible = [as_found(s) for s in workbook.sheet_names if not s.startswith("_")]
        close = get_close_matches(spec.sheet, visible, n=1, cutoff=0.4)
        fix = (
            f"Rename the sheet named under Value in your feedback to '{spec.sheet}'."
            if close
            else f"Add the sheet '{spec.sheet}' from the template."
        )
        return codes.V_SHEET_MISSING.issue(
            f"the sheet '{spec.sheet}' is missing"
            + ("; a sheet with a similar name is there" if close else ""),
            Location(name),
            fix,
            agency=agency.id,
            return_id=spec.id,
            value=close[0] if close else None,
        )
    try:
        return workbook.raw_sheet(spec.sheet)
    except ReturnFileError as exc:
        return replace(exc.issue, agency=agency.id, return_id=spec.id)
    except Exception as exc:  # a fault reading one sheet rejects only that sheet
        _log_fault(exc, f"reading {name} › {spec.sheet}")
        return codes.V_SHEET_UNREADABLE.issue(
            f"the sheet could not be read ({exc.__class__.__name__})",
            Location(name, sheet=spec.sheet),
            agency=agency.id,
            return_id=spec.id,
        )
