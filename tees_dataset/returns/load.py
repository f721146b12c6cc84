"""Loading quarters: each agency's one return chosen among its files, its sheets read and validated
(all agencies' sheets of a return at once), and the accepted rows kept. A file read before, the
same bytes under the same name, is not opened again: its outcome comes from `file_cache`."""

from __future__ import annotations

import logging
import traceback
from collections import defaultdict, deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from difflib import get_close_matches
from pathlib import Path
from typing import NamedTuple

import polars as pl

from tees_dataset import codes
from tees_dataset.catalogue.models import PARTNERSHIP, Agency, Catalogue, ReturnSpec
from tees_dataset.quarter import Quarter
from tees_dataset.report import Issue, Location
from tees_dataset.returns.discover import (
    Candidate,
    choose,
    discover,
    folder_outside,
    open_file,
    reopen,
)
from tees_dataset.returns.file_cache import FileCache, FileOutcome, SheetOutcome
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
    workbook: Workbook | None  # None: its outcome comes from the cache
    cached: FileOutcome | None = None
    # Each of its sheets' outcome, as settled (what the cache keeps of a file read afresh).
    sheets: dict[str, SheetOutcome] = field(default_factory=dict)
    # Its place among the quarter's submissions: the order its rows take.
    position: int = 0
    opened: int = 0  # how many of its issues were found opening it


def _open_quarter(
    catalogue: Catalogue, quarter: Quarter, index: int, returns_dir: Path, cache: FileCache | None
) -> tuple[QuarterReturns, list[_Submission]]:
    """Find, check and identify the quarter's files; nothing is validated yet. A file whose
    outcome is in `cache` is not opened."""
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
    reused: dict[int, FileOutcome] = {}  # by id() of the FileResult made from it
    opened: list[str] = []  # the files opened (the others' outcomes are from the cache)
    for path in paths:
        outcome = cache.lookup(quarter, path) if cache is not None else None
        if outcome is not None:
            result, candidate = reopen(outcome, path, catalogue, received_log)
            reused[id(result)] = outcome
        else:
            result, candidate = open_file(path, catalogue, quarter, received_log)
            opened.append(path.name)
            if candidate is None and cache is not None and result.sha256:
                cache.save(quarter, FileOutcome.unopened(result))
        files.append(result)
        if candidate is not None and result.agency_id:
            by_agency[result.agency_id].append(candidate)

    submissions: list[_Submission] = []
    for agency_id, candidates in by_agency.items():
        agency = catalogue.agency(agency_id)
        assert agency is not None
        chosen = choose(agency, quarter, candidates)
        if chosen is not None:
            submissions.append(_Submission(
                index, agency, chosen.result, chosen.workbook, reused.get(id(chosen.result)),
                position=len(submissions), opened=len(chosen.result.issues),
            ))  # fmt: skip
            continue
        for spec in catalogue.returns_of(agency_id):
            status[(agency_id, spec.id)] = "rejected"
    return QuarterReturns(quarter, folder, files, {}, status, opened), submissions


def load_quarter(catalogue: Catalogue, quarter: Quarter, returns_dir: Path) -> QuarterReturns:
    """Read and validate every return for the quarter; one bad file never stops the others."""
    return load_quarters(catalogue, [quarter], returns_dir)[0]


def load_quarters(
    catalogue: Catalogue,
    quarters: Sequence[Quarter],
    returns_dir: Path,
    cache: FileCache | None = None,
) -> list[QuarterReturns]:
    """Read and validate the returns of several quarters together: each return's sheets, from
    every agency and quarter, are validated in one pass. One bad file never stops the others.
    With `cache`, a file read before (the same bytes and name, for the same quarter, catalogue
    and code) is not opened: what it gave then is used; each file read now is kept there."""
    opened = [_open_quarter(catalogue, q, n, returns_dir, cache) for n, q in enumerate(quarters)]
    quarter_returns = [returns for returns, _ in opened]

    def gather(
        spec: ReturnSpec,
    ) -> tuple[list[SheetInput], list[_Submission], list[_Unread], list[_Submission]]:
        sheets: list[SheetInput] = []
        owners: list[_Submission] = []
        unread: list[_Unread] = []
        reused: list[_Submission] = []
        for returns, submissions in opened:
            for sub in submissions:
                if sub.agency.id not in spec.submitted_by:
                    continue
                if sub.cached is not None:
                    reused.append(sub)
                    continue
                raw = _raw_sheet(sub, spec)
                if isinstance(raw, Issue):
                    unread.append(_Unread(sub, raw))
                    continue
                sheets.append(SheetInput(raw, sub.agency, returns.quarter, sub.result.path.name))
                owners.append(sub)
        return sheets, owners, unread, reused

    def settle(
        spec: ReturnSpec,
        owners: list[_Submission],
        unread: list[_Unread],
        reused: list[_Submission],
        validating: Future[BatchResult] | None,
    ) -> None:
        for sub, issue in unread:
            sub.result.issues.append(issue)
            quarter_returns[sub.quarter].status[(sub.agency.id, spec.id)] = "rejected"
            sub.sheets[spec.id] = SheetOutcome("rejected", [issue])
        for sub in reused:
            assert sub.cached is not None
            outcome = sub.cached.sheets.get(spec.id) or SheetOutcome("missing", [])
            sub.result.issues.extend(outcome.issues)
            quarter_returns[sub.quarter].status[(sub.agency.id, spec.id)] = outcome.status
        if validating is None:
            _settle_rows(quarter_returns, spec, None, owners, reused)
            return
        checked = validating.result()
        accepted: list[int] = []
        for index, sub in enumerate(owners):
            assert sub.workbook is not None
            issues = _explain_blanks(sub.workbook.path, spec.sheet, checked.issues[index])
            sub.result.issues.extend(issues)
            ok = not checked.rejected(index)
            status: Status = "received" if ok else "rejected"
            quarter_returns[sub.quarter].status[(sub.agency.id, spec.id)] = status
            sub.sheets[spec.id] = SheetOutcome(status, issues)
            if ok:
                accepted.append(index)
        rows = (
            _accepted_rows(catalogue, spec, checked.frame, owners, accepted) if accepted else None
        )
        _settle_rows(quarter_returns, spec, rows, owners, reused)

    # A return's sheets are read here while the one before is validated in a second thread
    # (polars and fastexcel let go of the GIL as they work); the findings are settled in the
    # catalogue's order, so the output is the same as one return after the other.
    pending: deque[tuple[ReturnSpec, _Subs, list[_Unread], _Subs, Future[BatchResult] | None]]
    pending = deque()
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="validate") as pool:
        for spec in catalogue.returns:
            sheets, owners, unread, reused = gather(spec)
            validating = pool.submit(_validate, spec, catalogue, sheets) if sheets else None
            del sheets
            pending.append((spec, owners, unread, reused, validating))
            while len(pending) > 2:
                settle(*pending.popleft())
        while pending:
            settle(*pending.popleft())
    if cache is not None:
        for n, (_, submissions) in enumerate(opened):
            for sub in submissions:
                if sub.cached is None:
                    cache.save(quarters[n], _outcome(sub, quarter_returns[n].frames))
    return quarter_returns


def _outcome(sub: _Submission, frames: dict[str, pl.DataFrame]) -> FileOutcome:
    """What reading a submission gave, as the cache keeps it: its rows of each return are
    those of its agency in the quarter's `frames` (picked out as the entry is written)."""
    for return_id, sheet in sub.sheets.items():
        if sheet.status == "received":
            sheet.rows_of = (frames[return_id], sub.agency.id)
    result = sub.result  # its first issues were found opening it, the rest in its sheets
    return FileOutcome(result.path.name, result.sha256, result.agency_id, result.identified_by,
                       result.synthetic, result.comment, result.issues[: sub.opened], True,
                       dict(sub.sheets))  # fmt: skip


def _settle_rows(
    quarter_returns: list[QuarterReturns],
    spec: ReturnSpec,
    rows: pl.DataFrame | None,
    owners: list[_Submission],
    reused: list[_Submission],
) -> None:
    """Each quarter's accepted rows for `spec`: the sheets validated now (`rows`) and those
    whose outcome came from the cache, in the order of the quarter's submissions."""
    if not reused:  # the rows as validated, a quarter at a time
        if rows is not None:
            for n in rows.get_column(_QUARTER).unique().to_list():
                quarter_returns[n].frames[spec.id] = rows.filter(pl.col(_QUARTER) == n).drop(
                    _QUARTER, SHEET
                )
        return
    pieces: dict[int, list[tuple[int, pl.DataFrame]]] = defaultdict(list)
    if rows is not None:
        for (index,), part in rows.partition_by(SHEET, as_dict=True, maintain_order=True).items():
            sub = owners[int(index)]
            pieces[sub.quarter].append((sub.position, part.drop(SHEET, _QUARTER)))
    for sub in reused:
        assert sub.cached is not None
        outcome = sub.cached.sheets.get(spec.id)
        if outcome is not None and outcome.rows is not None and outcome.status == "received":
            pieces[sub.quarter].append((sub.position, outcome.rows))
    for n, parts in pieces.items():
        parts.sort(key=lambda p: p[0])
        quarter_returns[n].frames[spec.id] = pl.concat([p for _, p in parts], how="vertical")


_Subs = list[_Submission]


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
        by_sheet,
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
    assert workbook is not None  # (a submission from the cache is never read)
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
