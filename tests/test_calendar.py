import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tees_dataset.calendar import (
    CalendarRangeError,
    DateOrderError,
    bank_holidays,
    is_working_day,
    working_days_between,
)
from tees_dataset.compute.measures import working_days_elapsed

D = dt.date


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (D(2024, 7, 1), D(2024, 7, 1), 0),  # same day
        (D(2024, 7, 1), D(2024, 7, 2), 1),  # Mon to Tue
        (D(2024, 7, 5), D(2024, 7, 8), 1),  # Fri to Mon: only the Friday counts
        (D(2024, 7, 6), D(2024, 7, 8), 0),  # Sat to Mon: nothing
        (D(2024, 8, 23), D(2024, 8, 27), 1),  # Fri to Tue over the August bank holiday (Mon 26)
        (D(2024, 8, 23), D(2024, 8, 28), 2),  # ... and to Wed: Fri 23, Tue 27
        (
            D(2024, 12, 24),
            D(2024, 12, 27),
            1,
        ),  # Christmas Eve (Tue) to Fri 27: 25 and 26 are holidays
        (D(2024, 12, 20), D(2025, 1, 2), 6),  # Fri 20 Dec to Thu 2 Jan: 20, 23, 24, 27, 30, 31
        (D(2024, 3, 28), D(2024, 4, 2), 1),  # Easter 2024: Good Fri 29 Mar, Easter Mon 1 Apr
        (D(2022, 12, 23), D(2022, 12, 28), 1),  # Christmas 2022 on a Sunday: substitute Tue 27
        (D(2022, 9, 16), D(2022, 9, 20), 1),  # Mon 19 Sep 2022: the Queen's State Funeral
        (D(2023, 5, 5), D(2023, 5, 10), 2),  # Mon 8 May 2023: the Coronation, then Tue 9
        # Christmas 2011: Sun 25 and Mon 26 Dec, so Christmas Day is made up on Tue 27.
        (D(2011, 12, 23), D(2011, 12, 29), 2),  # Fri 23 to Thu 29: Fri 23, Wed 28
        (D(2011, 12, 23), D(2012, 1, 4), 5),  # ... to Wed 4 Jan: 23, 28, 29, 30, Tue 3 (Mon 2 off)
        # Easter 2012: Good Friday 6 April, Easter Monday 9 April.
        (D(2012, 4, 5), D(2012, 4, 11), 2),  # Thu 5 to Wed 11: Thu 5, Tue 10
        # 2012's spring bank holiday moved to Mon 4 June, and Tue 5 June was the Diamond Jubilee.
        (D(2012, 6, 1), D(2012, 6, 7), 2),  # Fri 1 to Thu 7: Fri 1, Wed 6
        (D(2000, 12, 22), D(2001, 1, 3), 5),  # Fri 22 to Wed 3: 22, 27, 28, 29, Tue 2 Jan
        # Christmas 2049: Sat 25 and Sun 26 Dec, made up on Mon 27 and Tue 28.
        (D(2049, 12, 24), D(2049, 12, 31), 3),  # Fri 24 to Fri 31: Fri 24, Wed 29, Thu 30
        # Easter 2060: Good Friday 16 April, Easter Monday 19 April.
        (D(2060, 4, 15), D(2060, 4, 21), 2),  # Thu 15 to Wed 21: Thu 15, Tue 20
    ],
)
def test_working_days_hand_worked(start: dt.date, end: dt.date, expected: int) -> None:
    assert working_days_between(start, end) == expected


def test_one_off_and_substitute_days_are_bank_holidays() -> None:
    days = set(bank_holidays(2021, 2024))
    assert {D(2022, 9, 19), D(2023, 5, 8), D(2022, 12, 27), D(2021, 12, 28), D(2022, 6, 3)} <= days
    assert not is_working_day(D(2024, 8, 26))
    assert is_working_day(D(2024, 8, 27))
    # Scotland's 2 January and St Andrew's Day are not England and Wales holidays.
    assert is_working_day(D(2024, 1, 2)) and is_working_day(D(2023, 11, 30))


def test_end_before_start_is_an_error_not_a_negative_duration() -> None:
    with pytest.raises(DateOrderError):
        working_days_between(D(2024, 7, 2), D(2024, 7, 1))


def test_early_and_late_bank_holidays_are_known() -> None:
    early = set(bank_holidays(2011, 2012))
    # 2011: the royal wedding (Fri 29 Apr) and Christmas made up on Tue 27 Dec;
    # 2012: Good Friday, Easter Monday, the moved spring bank holiday and the Diamond Jubilee.
    assert {D(2011, 4, 29), D(2011, 12, 27), D(2012, 4, 6), D(2012, 4, 9)} <= early
    assert {D(2012, 6, 4), D(2012, 6, 5)} <= early and D(2012, 5, 28) not in early
    assert not is_working_day(D(2060, 12, 27)) and not is_working_day(D(2060, 12, 28))


def test_polars_expression_counts_bank_holidays_in_early_and_late_years() -> None:
    frame = pl.DataFrame(
        {
            "a": [D(2011, 12, 23), D(2012, 4, 5), D(2049, 12, 24), D(2060, 4, 15)],
            "b": [D(2011, 12, 29), D(2012, 4, 11), D(2049, 12, 31), D(2060, 4, 21)],
        }
    )
    # worked out in test_working_days_hand_worked
    assert frame.select(working_days_elapsed("a", "b")).to_series().to_list() == [2, 2, 3, 2]


def test_dates_before_the_known_bank_holidays_are_an_error_never_a_guess() -> None:
    with pytest.raises(CalendarRangeError):
        working_days_between(D(1977, 12, 23), D(1977, 12, 29))
    with pytest.raises(CalendarRangeError):
        is_working_day(D(1970, 1, 3))  # a Saturday, but the year is not known
    frame = pl.DataFrame({"a": [D(1977, 12, 23), D(2024, 7, 1)], "b": [D(1977, 12, 29), None]})
    assert frame.select(working_days_elapsed("a", "b")).to_series().to_list() == [None, None]


@settings(max_examples=200, deadline=None)
@given(st.dates(D(1978, 1, 1), D(2099, 12, 31)), st.integers(0, 40))
def test_polars_expression_agrees_with_the_definition(start: dt.date, span: int) -> None:
    end = start + dt.timedelta(days=span)
    frame = pl.DataFrame({"a": [start], "b": [end]})
    assert frame.select(working_days_elapsed("a", "b")).item() == working_days_between(start, end)


@given(st.dates(D(1978, 1, 1), D(2099, 12, 1)), st.integers(0, 20), st.integers(0, 20))
def test_working_days_add_up(start: dt.date, a: int, b: int) -> None:
    mid = start + dt.timedelta(days=a)
    end = mid + dt.timedelta(days=b)
    assert working_days_between(start, end) == working_days_between(
        start, mid
    ) + working_days_between(mid, end)
