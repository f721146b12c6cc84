"""Finding the return files in a quarter's folder, opening each and telling which agency and quarter it is for."""

from __future__ import annotations

import datetime as dt
import re
from difflib import get_close_matches
from pathlib import Path
from typing import NamedTuple

from tees_dataset import codes
from tees_dataset.catalogue.models import Agency, Catalogue
from tees_dataset.digest import sha256_of
from tees_dataset.quarter import Quarter
from tees_dataset.report import Issue, Location
from tees_dataset.returns.file_cache import FileOutcome
from tees_dataset.returns.read import ReturnFileError, Workbook
from tees_dataset.returns.received import RECEIVED_LOG, _modified
from tees_dataset.returns.results import FileResult
from tees_dataset.returns.workbook import (
    GUIDANCE_SHEET,
    LISTS_SHEET,
    META_SHEET,
    SYNTHETIC_KEY,
    TOOL_MARK,
    as_found,
)

RETURN_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
# Used when a workbook has no template metadata: `<agency id>-<quarter>.xlsx`, e.g.
# `cleveland_police-2024Q3.xlsx` (any text may follow the quarter).
FILE_NAME_PATTERN = re.compile(
    r"^(?P<agency>[A-Za-z0-9_]+?)[-_ ]+(?P<quarter>\d{4}Q[1-4])", re.IGNORECASE
)


# A quarter read from a workbook is quoted in a message only when it is one (2000Q1 to 2099Q4);
# an agency id read from one never is (any text can be there), only the catalogue's own ids.
def discover(folder: Path) -> tuple[list[Path], list[Issue]]:
    """Candidate return files in a quarter's folder; lock and hidden files are skipped.

    A link is never followed, nor anything whose real place is outside the folder: it is
    reported (by its own name only) and never opened or hashed."""
    if not folder.is_dir():
        return [], []
    paths, issues = [], []
    root = folder.resolve()
    for path in sorted(folder.iterdir()):
        if path.name.startswith((".", "~$")):
            continue
        if path.is_symlink() or path.resolve().parent != root:
            issues.append(
                codes.F_LINK.issue(
                    "this is a link to a file elsewhere; it was not followed or read",
                    Location(path.name),
                )
            )
            continue
        if not path.is_file() or path.name == RECEIVED_LOG:
            continue
        if path.suffix.lower() in RETURN_SUFFIXES:
            paths.append(path)
        else:
            issues.append(
                codes.F_NOT_A_RETURN.issue(
                    "this file is not a workbook and was ignored",
                    Location(path.name),
                )
            )
    return paths, issues


def folder_outside(returns_dir: Path, folder: Path) -> bool:
    """A quarter folder that is a link to somewhere outside the returns folder: not read. (A
    link to another folder inside the returns folder is followed.)"""
    if not folder.is_symlink():
        return False
    try:
        return not folder.resolve(strict=True).is_relative_to(returns_dir.resolve())
    except (OSError, RuntimeError):  # a broken link, or a loop
        return True


def template_sheets(catalogue: Catalogue) -> frozenset[str]:
    """The sheet names a return made from the template has: the only ones a message names."""
    return frozenset(
        {GUIDANCE_SHEET, META_SHEET, LISTS_SHEET} | {s.sheet for s in catalogue.returns}
    )


def _named_by_file(name: str, catalogue: Catalogue) -> Agency | None:
    """The agency a file's name names, `<agency id>-<quarter>…`, if it is one we know."""
    match = FILE_NAME_PATTERN.match(name)
    return catalogue.agency(match["agency"].lower()) if match else None


def _identify(
    workbook: Workbook, catalogue: Catalogue, quarter: Quarter, result: FileResult
) -> Agency | None:
    meta = workbook.metadata()
    name = workbook.path.name
    if meta.get("tool") == TOOL_MARK:
        agency_id, meta_quarter, how = meta.get("agency", ""), meta.get("quarter", ""), "metadata"
        result.synthetic = meta.get(SYNTHETIC_KEY, "").lower() == "true"
    else:
        match = FILE_NAME_PATTERN.match(name)
        if not match:
            result.issues.append(
                codes.F_UNIDENTIFIED.issue(
                    "cannot tell which agency this return is from",
                    Location(name),
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
        # Only the catalogue's ids are quoted: the workbook's text goes in `value`.
        close = get_close_matches(agency_id, [a.id for a in catalogue.agencies], n=1)
        result.issues.append(
            codes.F_UNKNOWN_AGENCY.issue(f"the {how} names an agency that is not in the catalogue"
                if agency_id else f"the {how} names no agency",
                Location(name),
                f"Did you mean '{close[0]}'? Use that agency's template."
                if close else "Use your agency's template.",
                value=as_found(agency_id) or None,
            )
        )  # fmt: skip
        return None
    result.agency_id, result.identified_by = agency.id, how
    if meta_quarter != str(quarter):
        known = Quarter.named(meta_quarter)
        result.issues.append(
            codes.F_WRONG_QUARTER.issue(f"this is the return for {known or 'an unknown quarter'}, not {quarter}",
                Location(name),
                (f"Move it to the {known} folder, and send the {quarter} return."
                 if known else f"Send the {quarter} return, made from the {quarter} template."),
                agency=agency.id,
                value=None if known else as_found(meta_quarter) or None,
            )
        )  # fmt: skip
        return None
    return agency


class Candidate(NamedTuple):
    """A file identified as an agency's return, and the agency its file name names (if any)."""

    result: FileResult
    workbook: Workbook | None  # None: what reading it gives comes from the cache
    named: Agency | None


def reopen(
    outcome: FileOutcome, path: Path, catalogue: Catalogue, received_log: dict[str, dt.date]
) -> tuple[FileResult, Candidate | None]:
    """What `open_file` gives, from what it gave before (see file_cache.py), without opening the
    file: only the date it was received is worked out afresh."""
    received = None
    if outcome.candidate and outcome.agency_id:
        received = received_log.get(outcome.agency_id) or _modified(path)
    result = outcome.file_result(path, received)
    if not outcome.candidate:
        return result, None
    return result, Candidate(result, None, _named_by_file(path.name, catalogue))


def open_file(
    path: Path, catalogue: Catalogue, quarter: Quarter, received_log: dict[str, dt.date]
) -> tuple[FileResult, Candidate | None]:
    """Check, open and identify one file. Whatever is wrong with it stays with it."""
    result = FileResult(path, "")
    try:
        result.sha256 = sha256_of(path)
        workbook = Workbook(path, known_sheets=template_sheets(catalogue))
        agency = _identify(workbook, catalogue, quarter, result)
        if agency is not None:
            result.comment = workbook.comment()
            result.received = received_log.get(agency.id) or _modified(path)
        result.issues += [
            codes.F_CHARACTER.issue(
                "a character that no workbook can hold (a control character) was removed here",
                Location(path.name, sheet=sheet, cell=cell),
                agency=result.agency_id,
            )
            for sheet, cell in workbook.cleaned
        ]
        if workbook.cleaned_count > len(workbook.cleaned):
            result.issues.append(codes.F_CHARACTER.issue(f"such characters were removed from {workbook.cleaned_count - len(workbook.cleaned):,} "
                "more cells of the template's sheets", Location(path.name),
                "Retype the text in those cells; it was probably pasted from another system.",
                agency=result.agency_id,
            ))  # fmt: skip
        if agency is None:
            return result, None
    except ReturnFileError as exc:
        result.issues.append(exc.issue)
        return result, None
    except Exception as exc:  # an unreadable file, or a fault here: never the others' problem
        result.issues.append(
            codes.F_UNREADABLE.issue(
                f"the file could not be read ({exc.__class__.__name__})",
                Location(path.name),
            )
        )
        return result, None
    return result, Candidate(result, workbook, _named_by_file(path.name, catalogue))


def choose(agency: Agency, quarter: Quarter, candidates: list[Candidate]) -> Candidate | None:
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
