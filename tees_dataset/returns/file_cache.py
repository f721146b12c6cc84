"""A cache of what reading one return file gave, in `<out>/.cache/files/`: a rebuild after one
agency corrects its return opens and validates only that file; every other file's outcome (who
sent it, its issues, each sheet's status and accepted rows) comes from here.

An entry is keyed by the file's SHA-256 and name, the quarter it is read for, the catalogue's
digest and the tool's (version and code digest): anything that could change the outcome. What
depends on the other files in the folder (which of an agency's files is its return, the date
`received.csv` gives it) is worked out afresh on every build, never cached.

The cache holds no child references: a file whose issues quote one (a row's reference, or a value
that may be one, both shown in the agency's own feedback) is not cached and is read afresh each
time, so that its feedback is complete. Accepted rows never hold them (they stop at validation).

An entry is JSON beside one Parquet file per accepted sheet, each with its SHA-256: an entry that
cannot be read, does not match its checksums or is not for the file it is looked up for is
removed and the file read afresh, never trusted. Entries are written in a background thread
(`close` waits for them; a build reading a few quarters holds them back until it has read them),
atomically (`cache.write_entry`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import shutil
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from tees_dataset.digest import sha256_of
from tees_dataset.quarter import Quarter
from tees_dataset.report import Issue
from tees_dataset.returns.results import AGENCY, FileResult, Status

log = logging.getLogger(__name__)


@dataclass
class SheetOutcome:
    """What became of one return's sheet in the file: its status, issues and accepted rows."""

    status: Status
    issues: list[Issue]
    rows: pl.DataFrame | None = None
    # Where its rows are, when they are not picked out yet: the quarter's rows of the return
    # and the agency whose they are (one return per agency and quarter).
    rows_of: tuple[pl.DataFrame, str] | None = None

    def accepted_rows(self) -> pl.DataFrame | None:
        if self.rows is None and self.rows_of is not None:
            frame, agency = self.rows_of
            return frame.filter(pl.col(AGENCY) == agency)
        return self.rows


@dataclass
class FileOutcome:
    """What reading one file gave, whatever the other files in its folder are."""

    name: str
    sha256: str
    agency_id: str | None
    identified_by: str | None
    synthetic: bool
    comment: str | None
    issues: list[Issue]  # found opening it: identification, removed characters
    candidate: bool  # identified as its agency's return for the quarter
    sheets: dict[str, SheetOutcome] = field(default_factory=dict)  # by return id

    def file_result(self, path: Path, received: Any) -> FileResult:
        """A fresh FileResult for this build (its issues a new list: the build adds to it)."""
        return FileResult(
            path, self.sha256, self.agency_id, self.identified_by, list(self.issues),
            received if self.candidate else None, self.comment if self.candidate else None,
            self.synthetic,
        )  # fmt: skip

    @classmethod
    def unopened(cls, result: FileResult) -> FileOutcome:
        """The outcome of a file that is no agency's return for the quarter (not read)."""
        return cls(result.path.name, result.sha256, result.agency_id, result.identified_by,
                   result.synthetic, None, list(result.issues), candidate=False)  # fmt: skip

    def holds_child_references(self) -> bool:
        issues = self.issues + [i for s in self.sheets.values() for i in s.issues]
        return any(i.record is not None or i.personal for i in issues)


class FileCache:
    """File outcomes on disk, one folder per key (see the module's docstring)."""

    def __init__(self, root: Path, salt: str, *, hold: bool = False) -> None:
        """`hold`: entries are written only from `release` on (a build holds them back while
        it reads a few quarters, so that writing them does not slow the reading)."""
        self.root = root
        self.salt = salt  # the catalogue's digest and the tool's
        self._writer: ThreadPoolExecutor | None = None
        self._pending: list[Future[None]] = []
        self._held: list[Callable[[], None]] | None = [] if hold else None

    def key(self, quarter: Quarter, name: str, sha256: str) -> str:
        text = json.dumps([self.salt, str(quarter), name, sha256])
        return hashlib.sha256(text.encode()).hexdigest()

    def lookup(self, quarter: Quarter, path: Path) -> FileOutcome | None:
        """What reading the file at `path` gave before, if it is here and sound."""
        try:
            sha256 = sha256_of(path)
        except OSError:
            return None  # opening it will say what is wrong
        return self.load(quarter, path.name, sha256)

    def load(self, quarter: Quarter, name: str, sha256: str) -> FileOutcome | None:
        entry = self.root / self.key(quarter, name, sha256)
        if not entry.is_dir():
            return None
        try:
            meta = json.loads((entry / "entry.json").read_text(encoding="utf-8"))
            if meta["name"] != name or meta["sha256"] != sha256:
                raise ValueError("it is for another file")
            sheets = {}
            for return_id, sheet in (meta["sheets"] or {}).items():
                rows = None
                if sheet["rows"] is not None:
                    data = (entry / sheet["rows"]["file"]).read_bytes()
                    if hashlib.sha256(data).hexdigest() != sheet["rows"]["sha256"]:
                        raise ValueError("its rows do not match their checksum")
                    rows = pl.read_parquet(data)
                issues = [Issue.from_dict(i) for i in sheet["issues"]]
                sheets[return_id] = SheetOutcome(sheet["status"], issues, rows)
            outcome = FileOutcome(
                name, sha256, meta["agency_id"], meta["identified_by"], bool(meta["synthetic"]),
                meta["comment"], [Issue.from_dict(i) for i in meta["issues"]], bool(meta["candidate"]),
                sheets,
            )  # fmt: skip
            if outcome.candidate and meta["sheets"] is None:
                raise ValueError("it has no sheets")
        except Exception as exc:  # anything wrong with an entry: read the file afresh
            log.warning("a cached return's outcome was ignored and the file read again (%s)",
                        exc.__class__.__name__)  # fmt: skip
            shutil.rmtree(entry, ignore_errors=True)
            return None
        return outcome

    def save(self, quarter: Quarter, outcome: FileOutcome) -> None:
        """Keep `outcome` (unless its issues quote a child reference), in the background."""
        if outcome.holds_child_references():
            return
        key = self.key(quarter, outcome.name, outcome.sha256)
        if (self.root / key).exists():
            return

        def fill(partial: Path) -> None:
            sheets: dict[str, Any] = {}
            for n, (return_id, sheet) in enumerate(sorted(outcome.sheets.items())):
                rows, accepted = None, sheet.accepted_rows()
                if sheet.status == "received" and accepted is None:
                    raise ValueError("a sheet received without its rows")
                if accepted is not None:
                    path = partial / f"{n}.parquet"
                    accepted.write_parquet(path)
                    digest = hashlib.sha256(path.read_bytes()).hexdigest()
                    rows = {"file": path.name, "sha256": digest}
                issues = [i.to_dict(include_personal=True) for i in sheet.issues]
                sheets[return_id] = {"status": sheet.status, "issues": issues, "rows": rows}
            meta = {
                "name": outcome.name, "sha256": outcome.sha256, "agency_id": outcome.agency_id,
                "identified_by": outcome.identified_by, "synthetic": outcome.synthetic,
                "comment": outcome.comment, "candidate": outcome.candidate,
                "issues": [i.to_dict(include_personal=True) for i in outcome.issues],
                "sheets": sheets if outcome.candidate else None,
            }  # fmt: skip
            (partial / "entry.json").write_text(json.dumps(meta), encoding="utf-8")

        from tees_dataset.returns.cache import write_entry  # (cache.py imports the package)

        job = functools.partial(write_entry, self.root, key, fill, "a return's outcome")
        if self._held is not None:
            self._held.append(job)
        else:
            self._submit([job])

    def release(self) -> None:
        """Write the entries held back, and any saved from now on, in the background."""
        held, self._held = self._held or [], None
        self._submit(held)

    def _submit(self, jobs: list[Callable[[], None]]) -> None:
        """Hand `jobs` to the background writer (started with the first)."""
        if jobs and self._writer is None:
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="file-cache")
        if self._writer is not None:
            self._pending += [self._writer.submit(job) for job in jobs]

    def close(self, *, abandon: bool = False) -> None:
        """Wait for every entry being written (a failed write only costs time later); or, to
        `abandon` them (the build is failing or stopped), for the one being written only."""
        if abandon:
            self._held = None
            if self._writer is not None:
                self._writer.shutdown(wait=True, cancel_futures=True)
            self._writer, self._pending = None, []
            return
        self.release()
        writer, self._writer = self._writer, None
        pending, self._pending = self._pending, []
        for future in pending:
            try:
                future.result()
            except Exception as exc:
                log.warning("a return's outcome could not be cached (%s)", exc.__class__.__name__)
        if writer is not None:
            writer.shutdown(wait=True)
