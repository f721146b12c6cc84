import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tees_dataset.quarter import Quarter, QuarterError


def test_2024q3_is_july_to_september_2024_and_2024_25_q2() -> None:
    q = Quarter.parse("2024Q3")
    assert (q.start, q.end) == (dt.date(2024, 7, 1), dt.date(2024, 9, 30))
    assert q.financial_year_label == "2024/25 Q2"
    assert q.months_label == "July to September 2024"


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("2024Q1", "2023/24 Q4"),
        ("2024Q2", "2024/25 Q1"),
        ("2024Q4", "2024/25 Q3"),
        ("1999Q1", "1998/99 Q4"),
    ],
)
def test_financial_year_labels(text: str, label: str) -> None:
    assert Quarter.parse(text).financial_year_label == label


def test_quarter_ends_on_the_last_day_including_leap_february() -> None:
    assert Quarter.parse("2024Q1").end == dt.date(2024, 3, 31)
    assert Quarter.parse("2024Q4").end == dt.date(2024, 12, 31)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (dt.date(2025, 1, 1), "2024Q4"),  # new year's day: last quarter is the old year's Q4
        (dt.date(2024, 12, 31), "2024Q3"),
        (dt.date(2024, 10, 1), "2024Q3"),
        (dt.date(2024, 9, 30), "2024Q2"),
        (dt.date(2024, 4, 1), "2024Q1"),
    ],
)
def test_previous_is_the_last_complete_quarter(today: dt.date, expected: str) -> None:
    assert str(Quarter.parse("previous", today=today)) == expected


@pytest.mark.parametrize("text", ["2024q3", " 2024Q3 ", "2024-Q3"])
def test_forgiving_spellings(text: str) -> None:
    assert Quarter.parse(text) == Quarter(2024, 3)


@pytest.mark.parametrize("text", ["2024Q5", "2024Q0", "Q3 2024", "2024", "", "last", "24Q3"])
def test_bad_quarters_say_what_is_expected(text: str) -> None:
    with pytest.raises(QuarterError, match="like 2024Q3"):
        Quarter.parse(text)


def test_range_is_inclusive_and_crosses_years() -> None:
    assert [str(q) for q in Quarter.parse_range("2023Q4..2024Q3")] == [
        "2023Q4",
        "2024Q1",
        "2024Q2",
        "2024Q3",
    ]
    with pytest.raises(QuarterError, match="ends before it starts"):
        Quarter.parse_range("2024Q3..2024Q1")


quarters = st.builds(Quarter, st.integers(1990, 2100), st.integers(1, 4))


@given(quarters)
def test_text_round_trip(q: Quarter) -> None:
    assert Quarter.parse(str(q)) == q


@given(quarters, st.integers(-50, 50))
def test_shift_moves_by_three_months_a_step(q: Quarter, n: int) -> None:
    shifted = q.shift(n)
    months = (shifted.start.year - q.start.year) * 12 + shifted.start.month - q.start.month
    assert months == 3 * n
    assert shifted.shift(-n) == q


@given(st.dates(dt.date(1990, 1, 1), dt.date(2100, 12, 31)))
def test_every_day_is_in_its_quarter_and_previous_ends_before_it(day: dt.date) -> None:
    q = Quarter.containing(day)
    assert q.start <= day <= q.end
    prev = Quarter.previous(day)
    assert prev.end < day
    assert prev.shift(1) == q
