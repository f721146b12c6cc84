"""Quarters: parsing `2024Q3`, `previous`, ranges, and the financial-year label."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import total_ordering

_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*Q([1-4])\s*$", re.IGNORECASE)
_EXACT = re.compile(r"^(\d{4})Q([1-4])$")
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


# The quarters the tool builds, validates and makes returns for: bank holidays, population
# estimates and plausible dates are defined for these years.
SUPPORTED_YEARS = range(2000, 2100)


class QuarterError(ValueError):
    """A quarter that could not be understood; the message says what is expected."""


@total_ordering
@dataclass(frozen=True, slots=True)
class Quarter:
    """A calendar quarter: 2024Q3 is July to September 2024."""

    year: int
    q: int

    def __post_init__(self) -> None:
        if not 1 <= self.q <= 4:
            raise QuarterError(f"quarter number must be 1 to 4, not {self.q}")
        if not 1900 <= self.year <= 9999:
            raise QuarterError(f"year {self.year} is out of range")

    @classmethod
    def parse(cls, text: str, *, today: dt.date | None = None) -> Quarter:
        """Parse `2024Q3` (case and a `-` are forgiven) or `previous`."""
        if text.strip().lower() == "previous":
            return cls.previous(today)
        match = _QUARTER.match(text)
        if not match:
            raise QuarterError(
                f"'{text}' is not a quarter: write the year and quarter like 2024Q3 "
                "(July to September 2024), or 'previous' for the last complete quarter"
            )
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def named(cls, text: str) -> Quarter | None:
        """The quarter `text` names exactly as folders and templates write it (2024Q3), in a
        year the tool supports; None for anything else (never an error)."""
        match = _EXACT.match(text)
        if match is None or int(match[1]) not in SUPPORTED_YEARS:
            return None
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def containing(cls, day: dt.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def previous(cls, today: dt.date | None = None) -> Quarter:
        """The last complete quarter before `today`."""
        return cls.containing(today or dt.date.today()).shift(-1)

    @classmethod
    def parse_range(cls, text: str) -> list[Quarter]:
        """Parse `2023Q4..2024Q3` (inclusive) or a single quarter."""
        first, sep, last = text.partition("..")
        start = cls.parse(first)
        end = cls.parse(last) if sep else start
        if end < start:
            raise QuarterError(f"'{text}': the range ends before it starts")
        return start.through(end)

    def check_supported(self) -> Quarter:
        """This quarter, or QuarterError if it is outside the years the tool supports."""
        if self.year not in SUPPORTED_YEARS:
            raise QuarterError(
                f"{self} is outside the quarters tees-dataset supports "
                f"({SUPPORTED_YEARS[0]}Q1 to {SUPPORTED_YEARS[-1]}Q4)"
            )
        return self

    def shift(self, quarters: int) -> Quarter:
        index = self.year * 4 + (self.q - 1) + quarters
        return Quarter(index // 4, index % 4 + 1)

    def through(self, last: Quarter) -> list[Quarter]:
        out: list[Quarter] = []
        current = self
        while current <= last:
            out.append(current)
            current = current.shift(1)
        return out

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 3 * self.q - 2, 1)

    @property
    def end(self) -> dt.date:
        """The last day of the quarter (inclusive)."""
        return self.shift(1).start - dt.timedelta(days=1)

    @property
    def financial_year_label(self) -> str:
        """The UK financial-year label: 2024Q3 is 2024/25 Q2, 2025Q1 is 2024/25 Q4."""
        fy_start = self.year if self.q >= 2 else self.year - 1
        fy_q = self.q - 1 if self.q >= 2 else 4
        return f"{fy_start}/{(fy_start + 1) % 100:02d} Q{fy_q}"

    @property
    def months_label(self) -> str:
        first = _MONTH_NAMES[3 * self.q - 3]
        last = _MONTH_NAMES[3 * self.q - 1]
        return f"{first} to {last} {self.year}"

    def __str__(self) -> str:
        return f"{self.year}Q{self.q}"

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Quarter):
            return NotImplemented
        return (self.year, self.q) < (other.year, other.q)
