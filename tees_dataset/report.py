"""Issues: the one type for every problem found in the catalogue or in a return."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Level(StrEnum):
    """How serious an issue is. Only errors fail `check` or reject a return."""

    ERROR = "error"
    WARNING = "warning"


def printable(text: str) -> str:
    """A name as it may be shown in a terminal or a log: control and other unprintable
    characters (a file name can hold terminal escapes) are written as \\xNN or \\uNNNN."""
    if text.isprintable():
        return text
    return "".join(
        c if c.isprintable() else (f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}")
        for c in text
    )


@dataclass(frozen=True, slots=True)
class Location:
    """Where an issue is: a file and line (catalogue) or a file, sheet and cell (return)."""

    file: str = ""
    line: int | None = None
    sheet: str | None = None
    cell: str | None = None

    def __str__(self) -> str:
        text = printable(self.file)
        if self.line is not None:
            text += f":{self.line}"
        if self.sheet:
            text += f" › {printable(self.sheet)}"
        if self.cell:
            text += f" › {self.cell}"
        return text


# What an issue holds of the agency's workbook: left out of everything but its own feedback.
SHOWN_ONLY_TO_THE_AGENCY = ("value", "personal", "record")


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem, with a stable code, what is wrong and what to do about it."""

    level: Level
    code: str
    message: str
    location: Location = field(default_factory=Location)
    fix: str = ""
    agency: str | None = None
    return_id: str | None = None
    # What the workbook holds there (a cell, a heading, a sheet's name): shown only in the
    # agency's own feedback, never in a message, a log or a shared report, whatever it holds.
    value: str | None = None
    # True when `value` may hold a pseudonymous child reference (kept for the agency's feedback,
    # which shows every value of the agency's own return either way).
    personal: bool = False
    # The row's pseudonymous child reference, so an agency can find the record: shown only in
    # the agency's own feedback.
    record: str | None = None

    def __str__(self) -> str:
        where = str(self.location)
        text = f"{where}: {self.level.value} {self.code}: {printable(self.message)}"
        if self.fix:
            text += f" {printable(self.fix)}"
        return text

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Issue:
        """An issue back from `to_dict(include_personal=True)` (a cache entry)."""
        fields = dict(data)
        location = Location(**fields.pop("location"))
        return cls(level=Level(fields.pop("level")), location=location, **fields)

    def to_dict(self, *, include_personal: bool = False) -> dict[str, Any]:
        """The issue as data. Shared reports (the default) carry no `value` or `record`: only
        the agency's own feedback (`include_personal`) shows what its workbook holds."""
        data = asdict(self)
        data["level"] = self.level.value
        if not include_personal:
            for key in SHOWN_ONLY_TO_THE_AGENCY:
                del data[key]
        return data


@dataclass(slots=True)
class Report:
    """A list of issues with the questions callers ask of it."""

    issues: list[Issue] = field(default_factory=list)

    def extend(self, issues: Iterable[Issue]) -> None:
        self.issues.extend(issues)

    def add(self, issue: Issue) -> None:
        self.issues.append(issue)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.level is Level.ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.level is not Level.ERROR]

    @property
    def valid(self) -> bool:
        return not self.errors
