import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tees_dataset.calendar import (
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
    ],
)
def test_working_days_hand_worked(start: dt.date, end: dt.date, expected: int) -> None:
    assert working_days_between(start, end) == expected


def test_one_off_and_substitute_days_are_bank_holidays() -> None:
    days = set(bank_holidays())
    assert {D(2022, 9, 19), D(2023, 5, 8), D(2022, 12, 27), D(2021, 12, 28), D(2022, 6, 3)} <= days
    assert not is_working_day(D(2024, 8, 26))
    assert is_working_day(D(2024, 8, 27))
    # Scotland's 2 January and St Andrew's Day are not England and Wales holidays.
    assert is_working_day(D(2024, 1, 2)) and is_working_day(D(2023, 11, 30))


def test_end_before_start_is_an_error_not_a_negative_duration() -> None:
    with pytest.raises(DateOrderError):
        working_days_between(D(2024, 7, 2), D(2024, 7, 1))


@settings(max_examples=200, deadline=None)
@given(st.dates(D(2016, 1, 1), D(2034, 12, 31)), st.integers(0, 40))
def test_polars_expression_agrees_with_the_definition(start: dt.date, span: int) -> None:
    end = start + dt.timedelta(days=span)
    frame = pl.DataFrame({"a": [start], "b": [end]})
    assert frame.select(working_days_elapsed("a", "b")).item() == working_days_between(start, end)


@given(st.dates(D(2016, 1, 1), D(2034, 12, 1)), st.integers(0, 20), st.integers(0, 20))
def test_working_days_add_up(start: dt.date, a: int, b: int) -> None:
    mid = start + dt.timedelta(days=a)
    end = mid + dt.timedelta(days=b)
    assert working_days_between(start, end) == working_days_between(
        start, mid
    ) + working_days_between(mid, end)
