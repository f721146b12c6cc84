"""Measures and pooling on tiny inline frames, against values worked out by hand."""

import datetime as dt

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tees_dataset.catalogue.models import (
    CountMeasure,
    Indicator,
    ProportionMeasure,
    RatioMeasure,
    WithinWorkingDaysMeasure,
)
from tees_dataset.compute import AreaDef, indicator_results
from tees_dataset.compute.measures import measure_by_area

D = dt.date
AREAS = [
    AreaDef("A", "E1", "local_authority", ("a",)),
    AreaDef("B", "E2", "local_authority", ("b",)),
    AreaDef("AB", "AB", "partnership", ("a", "b")),
]
BOTH = {"a": True, "b": True}


def indicator(measure: object, unit: str) -> Indicator:
    return Indicator.model_validate(
        {
            "id": "3.2.1",
            "title": "t",
            "definition": "d",
            "source": "s",
            "measure": measure,
            "unit": unit,
            "polarity": "neither",
        }
    )


def headline(results: pl.DataFrame) -> dict[str, tuple[object, object, object, str]]:
    rows = results.filter(pl.col("breakdown") == "")
    return {
        r["area"]: (r["numerator"], r["denominator"], r["value"], r["status"])
        for r in rows.to_dicts()
    }


STRATEGY = pl.DataFrame(
    {
        "local_authority": ["a", "a", "a", "a", "b"],
        "referral_date": [
            D(2024, 8, 23),
            D(2024, 8, 23),
            D(2024, 7, 6),
            D(2024, 7, 1),
            D(2024, 7, 5),
        ],
        "strategy_date": [
            D(2024, 8, 27),
            D(2024, 8, 28),
            D(2024, 7, 8),
            D(2024, 7, 3),
            D(2024, 7, 8),
        ],
    }
)


def test_within_working_days_over_a_bank_holiday_weekend() -> None:
    # a: Fri 23 Aug -> Tue 27 Aug is 1 working day (Mon 26 is a bank holiday): within.
    #    Fri 23 Aug -> Wed 28 Aug is 2: not within. Sat 6 Jul -> Mon 8 Jul is 0: within.
    #    Mon 1 Jul -> Wed 3 Jul is 2: not within.          => 2 of 4
    # b: Fri 5 Jul -> Mon 8 Jul is 1: within.             => 1 of 1
    measure = WithinWorkingDaysMeasure(
        kind="within_working_days", start="referral_date", end="strategy_date", days=1
    )
    got = measure_by_area(STRATEGY.lazy(), measure).collect().sort("local_authority")
    expected = pl.DataFrame(
        {"local_authority": ["a", "b"], "numerator": [2.0, 1.0], "denominator": [4.0, 1.0]}
    )
    assert_frame_equal(got, expected)


def test_within_zero_working_days_means_same_working_day() -> None:
    measure = WithinWorkingDaysMeasure(
        kind="within_working_days", start="referral_date", end="strategy_date", days=0
    )
    got = measure_by_area(STRATEGY.lazy(), measure).collect().sort("local_authority")
    # only Sat 6 Jul -> Mon 8 Jul (0 working days) in a; none in b.
    assert got["numerator"].to_list() == [1.0, 0.0]


def test_end_before_start_never_counts_as_a_negative_duration() -> None:
    rows = pl.DataFrame(
        {
            "local_authority": ["a", "a"],
            "referral_date": [D(2024, 7, 3), D(2024, 7, 1)],
            "strategy_date": [D(2024, 7, 1), D(2024, 7, 1)],
        }
    )
    measure = WithinWorkingDaysMeasure(
        kind="within_working_days", start="referral_date", end="strategy_date", days=1
    )
    got = measure_by_area(rows.lazy(), measure).collect()
    assert (got["numerator"].item(), got["denominator"].item()) == (1.0, 1.0)


def test_pooling_sums_numerators_and_denominators_never_averages_rates() -> None:
    # a: 3 leavers of 55 in post (5.45%); b: 3 of 75 (4.0%). Pooled: 6 of 130 = 4.6%,
    # where the average of the two rates would be 4.7%.
    rows = pl.DataFrame(
        {
            "local_authority": ["a", "a", "b"],
            "fte_leavers": [2.0, 1.0, 3.0],
            "fte_in_post": [40.0, 15.0, 75.0],
        }
    )
    ind = indicator(
        {"kind": "ratio", "numerator": "fte_leavers", "denominator": "fte_in_post"}, "percent"
    )
    got = headline(indicator_results(ind, rows.lazy(), BOTH, AREAS, "2024Q3"))
    assert got == {
        "A": (3.0, 55.0, 5.5, "ok"),
        "B": (3.0, 75.0, 4.0, "ok"),
        "AB": (6.0, 130.0, 4.6, "ok"),
    }


def test_ratio_with_an_expression_denominator() -> None:
    # vacancy rate = vacancies / (vacancies + in post): 10 / (10 + 40) = 20%
    rows = pl.DataFrame({"local_authority": ["a"], "v": [10.0], "p": [40.0]})
    ind = indicator({"kind": "ratio", "numerator": "v", "denominator": "v + p"}, "percent")
    assert headline(indicator_results(ind, rows.lazy(), BOTH, AREAS[:1], "q"))["A"] == (
        10.0,
        50.0,
        20.0,
        "ok",
    )


def test_missing_return_gives_missing_never_zero_and_spreads_to_the_partnership() -> None:
    rows = pl.DataFrame({"local_authority": ["a", "a"], "x": [1, 2]})
    ind = indicator({"kind": "count"}, "count")
    got = headline(indicator_results(ind, rows.lazy(), {"a": True, "b": False}, AREAS, "q"))
    assert got == {
        "A": (2.0, None, 2.0, "ok"),
        "B": (None, None, None, "missing"),
        "AB": (None, None, None, "missing"),
    }


def test_no_rows_at_all_is_a_real_zero_count_and_a_not_applicable_rate() -> None:
    empty = pl.DataFrame(schema={"local_authority": pl.String, "ok": pl.Boolean})
    count = indicator({"kind": "count"}, "count")
    assert headline(indicator_results(count, empty.lazy(), BOTH, AREAS, "q"))["AB"] == (
        0.0,
        None,
        0.0,
        "ok",
    )
    share = indicator({"kind": "proportion", "numerator": "ok"}, "percent")
    assert headline(indicator_results(share, empty.lazy(), BOTH, AREAS, "q"))["A"] == (
        0.0,
        0.0,
        None,
        "not_applicable",
    )


def test_proportion_with_filter() -> None:
    rows = pl.DataFrame(
        {
            "local_authority": ["a", "a", "a", "a", "b"],
            "kind": ["S47", "S47", "S47", "NFA", "S47"],
            "joint": [True, False, None, True, True],
        }
    )
    # a: S47 rows 3, joint among them 1 (null is not joint) -> 33.3%; b: 1 of 1 -> 100%; AB: 2 of 4 -> 50%
    ind = indicator(
        {"kind": "proportion", "numerator": "joint", "filter": "kind = 'S47'"}, "percent"
    )
    got = headline(indicator_results(ind, rows.lazy(), BOTH, AREAS, "q"))
    assert got == {
        "A": (1.0, 3.0, 33.3, "ok"),
        "B": (1.0, 1.0, 100.0, "ok"),
        "AB": (2.0, 4.0, 50.0, "ok"),
    }


def test_two_way_breakdown_is_zero_filled_across_areas() -> None:
    rows = pl.DataFrame(
        {
            "local_authority": ["a", "a", "a", "b"],
            "from": ["Police", "Police", "Health", "Health"],
            "to": ["Health", "Health", "Education", "Police"],
        }
    )
    ind = indicator({"kind": "count", "breakdown": ["from", "to"]}, "count")
    got = indicator_results(ind, rows.lazy(), BOTH, AREAS, "q").filter(pl.col("breakdown") != "")
    table = {(r["area"], r["breakdown_value"]): r["value"] for r in got.to_dicts()}
    assert set(got["breakdown"]) == {"from|to"}
    assert table[("A", "Police|Health")] == 2.0
    assert table[("B", "Police|Health")] == 0.0  # seen elsewhere, so shown as a real zero
    assert table[("B", "Health|Police")] == 1.0
    assert table[("AB", "Police|Health")] == 2.0
    assert table[("AB", "Health|Education")] == 1.0
    assert len(table) == 9  # 3 combinations x 3 areas


@pytest.mark.parametrize(
    "measure",
    [
        CountMeasure(kind="count"),
        ProportionMeasure(kind="proportion", numerator="x"),
        RatioMeasure(kind="ratio", numerator="x", denominator="x"),
    ],
)
def test_measures_are_lazy_in_lazy_out(measure: object) -> None:
    rows = pl.DataFrame({"local_authority": ["a"], "x": [1]}).lazy()
    assert isinstance(measure_by_area(rows, measure), pl.LazyFrame)  # type: ignore[arg-type]
