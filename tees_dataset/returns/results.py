"""What reading a quarter's returns gives: each file's outcome, and the accepted rows of each return."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import polars as pl

from tees_dataset.quarter import Quarter
from tees_dataset.report import Issue

Status = Literal["received", "rejected", "missing"]
AGENCY = "agency"
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
    # Made by `tees-dataset sample`: its metadata says `synthetic: true`.
    synthetic: bool = False


@dataclass
class QuarterReturns:
    """Everything read for a quarter: accepted rows per return, and who sent what."""

    quarter: Quarter
    folder: Path
    files: list[FileResult]
    frames: dict[str, pl.DataFrame]
    status: dict[tuple[str, str], Status]
    # The files opened and validated this time (the others' outcomes came from a cache).
    opened: list[str] = field(default_factory=list)

    @property
    def issues(self) -> list[Issue]:
        return [i for f in self.files for i in f.issues]

    def accepted(self, agency_id: str, return_id: str) -> bool:
        return self.status.get((agency_id, return_id)) == "received"

    @property
    def acceptance(self) -> dict[tuple[str, str], bool]:
        """Whether each (agency, return) was accepted: what QuarterData holds of who sent what."""
        return {k: v == "received" for k, v in self.status.items()}
