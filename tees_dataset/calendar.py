"""Working days: Monday to Friday, less England and Wales bank holidays."""

from __future__ import annotations

import datetime as dt
from functools import cache, lru_cache

import holidays

# Bank holidays come from the `holidays` package (England subdivision of GB), which carries
# substitute days and one-off days such as the 2022 State Funeral and the 2023 Coronation.
# Today's set of England and Wales bank holidays dates from 1978 (May Day); the package's lists
# for earlier years are incomplete (no August bank holiday before 1971, New Year's Day from
# 1975 not 1974), so working days are counted from 1978 on. Later years follow the rules in
# force (one-off days are added to the package as they are announced), loaded as needed.
FIRST_YEAR = 1978
# Years loaded at once for the Polars expression: every date a return can sensibly hold.
EXPRESSION_LAST_YEAR = 2100


class DateOrderError(ValueError):
    """An end date before its start date: a data error, never a negative duration."""


class CalendarRangeError(ValueError):
    """A date before FIRST_YEAR, for which bank holidays are not known."""


def _weekday_holidays(years: range) -> frozenset[dt.date]:
    if years.start < FIRST_YEAR:
        raise CalendarRangeError(
            f"working days are counted from {FIRST_YEAR}: England and Wales bank holidays "
            f"before then are not known here (a date in {years.start} is probably a typing error)"
        )
    days = holidays.country_holidays("GB", subdiv="ENG", years=years)
    return frozenset(d for d in days if d.year in years and d.weekday() < 5)


@cache
def _bank_holidays_of(year: int) -> frozenset[dt.date]:
    return _weekday_holidays(range(year, year + 1))


def bank_holidays(first_year: int, last_year: int) -> tuple[dt.date, ...]:
    """England and Wales bank holidays that fall on a weekday in these years, sorted."""
    return tuple(sorted(d for y in range(first_year, last_year + 1) for d in _bank_holidays_of(y)))


@lru_cache(maxsize=1)
def expression_bank_holidays() -> tuple[dt.date, ...]:
    """Every weekday bank holiday from FIRST_YEAR to EXPRESSION_LAST_YEAR (about 1,000 days),
    loaded on first use: what the Polars working-day expression counts against."""
    return tuple(sorted(_weekday_holidays(range(FIRST_YEAR, EXPRESSION_LAST_YEAR + 1))))


def is_working_day(day: dt.date) -> bool:
    # The holidays first: a date before FIRST_YEAR is an error even on a weekend.
    return day not in _bank_holidays_of(day.year) and day.weekday() < 5


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days d with start <= d < end (Polars `business_day_count` semantics)."""
    if end < start:
        raise DateOrderError(f"end date {end} is before start date {start}")
    count = 0
    day = start
    while day < end:
        if is_working_day(day):
            count += 1
        day += dt.timedelta(days=1)
    return count
