"""Working days: Monday to Friday, less England and Wales bank holidays."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays

# Bank holidays come from the `holidays` package (England subdivision of GB), which carries
# substitute days and one-off days such as the 2022 State Funeral and the 2023 Coronation.
FIRST_YEAR = 2015
LAST_YEAR = 2035


class DateOrderError(ValueError):
    """An end date before its start date: a data error, never a negative duration."""


@lru_cache(maxsize=1)
def bank_holidays() -> tuple[dt.date, ...]:
    """England and Wales bank holidays that fall on a weekday, sorted."""
    days = holidays.country_holidays("GB", subdiv="ENG", years=range(FIRST_YEAR, LAST_YEAR + 1))
    return tuple(sorted(d for d in days if d.weekday() < 5))


@lru_cache(maxsize=1)
def _bank_holiday_set() -> frozenset[dt.date]:
    return frozenset(bank_holidays())


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _bank_holiday_set()


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days d with start <= d < end (Polars `business_day_count` semantics)."""
    if end < start:
        raise DateOrderError(f"end date {end} is before start date {start}")
    if start.year < FIRST_YEAR or end.year > LAST_YEAR:
        raise ValueError(f"working days are known for {FIRST_YEAR} to {LAST_YEAR} only")
    count = 0
    day = start
    while day < end:
        if is_working_day(day):
            count += 1
        day += dt.timedelta(days=1)
    return count
