"""Measures and pooling on tiny inline frames, against values worked out by hand."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tees_dataset.catalogue.models import Catalogue, WithinDaysMeasure
from tees_dataset.compute import (
    ENGINE,
    Inputs,
    QuarterData,
    add_changes,
    indicator_plan,
    population_for,
)
from tees_dataset.compute.measures import measure_by_area, working_days_elapsed
from tees_dataset.quarter import Quarter

D = dt.date
Q = Quarter(2024, 3)


def tiny_catalogue(
    measure: dict[str, Any],
    unit: str,
    *,
    area_level: str = "local_authority",
    not_applicable: dict[str, str] | None = None,
) -> Catalogue:
    """Two local authorities a and b in partnership AB; council A covers a, council B covers b,
    and a police force covers both. The one return `r` is submitted by all three."""
    return Catalogue.model_validate({
        "version": "t", "title": "t",
        "local_authorities": [{"id": "a", "code": "E06000001", "name": "A"},
                              {"id": "b", "code": "E06000002", "name": "B"}],
        "partnerships": [{"id": "AB", "name": "AB", "local_authorities": ["a", "b"]}],
        "agencies": [{"id": "ca", "name": "Council A", "sector": "Children's social care", "covers": ["a"]},
                     {"id": "cb", "name": "Council B", "sector": "Children's social care", "covers": ["b"]},
                     {"id": "police", "name": "Police", "sector": "Police", "covers": ["a", "b"]}],
        "returns": [{"id": "r", "title": "r", "sheet": "r", "description": "r", "record_level": True,
                     "submitted_by": ["ca", "cb", "police"], "area_level": area_level,
                     "columns": [{"name": "x", "title": "x", "type": "text"}]}],
        "aims": [{"id": "3", "kind": "aim", "title": "t", "objectives": [{"id": "3.1", "title": "t", "indicators": [
            {"id": "3.1.1", "title": "t", "definition": "d", "source": "r", "measure": measure,
             "unit": unit, "polarity": "neither", "not_applicable": not_applicable or {}}]}]}],
    })  # fmt: skip


ALL_IN = {("ca", "r"): True, ("cb", "r"): True, ("police", "r"): True}


def run(
    catalogue: Catalogue,
    rows: pl.DataFrame,
    accepted: dict | None = None,
    history: dict | None = None,
    population: dict | None = None,
) -> pl.DataFrame:
    data = QuarterData({"r": rows}, accepted or ALL_IN)
    ((_, _, ind),) = catalogue.indicators()
    inputs = Inputs(Q, data, history=history or {}, population=population or {})
    return indicator_plan(catalogue, ind, inputs).collect(engine=ENGINE)


def headline(results: pl.DataFrame) -> dict[str, tuple[Any, Any, Any, str]]:
    rows = results.filter(pl.col("breakdown") == "")
    return {
        r["area"]: (r["numerator"], r["denominator"], r["value"], r["status"])
        for r in rows.to_dicts()
    }


def rows_of(
    results: pl.DataFrame, breakdown: str
) -> dict[tuple[str, str], tuple[Any, Any, Any, str]]:
    part = results.filter(pl.col("breakdown") == breakdown)
    return {
        (r["area"], r["breakdown_value"]): (
            r["numerator"],
            r["denominator"],
            r["value"],
            r["status"],
        )
        for r in part.to_dicts()
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
WITHIN_1 = {
    "kind": "within_working_days",
    "start": "referral_date",
    "end": "strategy_date",
    "days": 1,
}


def test_within_working_days_over_a_bank_holiday_weekend() -> None:
    # a: Fri 23 Aug -> Tue 27 Aug is 1 working day (Mon 26 is a bank holiday): within.
    #    Fri 23 Aug -> Wed 28 Aug is 2: not within. Sat 6 Jul -> Mon 8 Jul is 0: within.
    #    Mon 1 Jul -> Wed 3 Jul is 2: not within.          => 2 of 4 = 50%
    # b: Fri 5 Jul -> Mon 8 Jul is 1: within.             => 1 of 1 = 100%; AB 3 of 5 = 60%
    got = headline(run(tiny_catalogue(WITHIN_1, "percent"), STRATEGY))
    assert got == {
        "A": (2.0, 4.0, 50.0, "ok"),
        "B": (1.0, 1.0, 100.0, "ok"),
        "AB": (3.0, 5.0, 60.0, "ok"),
        "Tees": (3.0, 5.0, 60.0, "ok"),
    }


def test_within_zero_working_days_means_same_working_day() -> None:
    measure = WithinDaysMeasure(
        kind="within_working_days", start="referral_date", end="strategy_date", days=0
    )
    got = measure_by_area(STRATEGY.lazy(), measure).collect().sort("local_authority")
    # only Sat 6 Jul -> Mon 8 Jul (0 working days) in a; none in b.
    assert_frame_equal(
        got,
        pl.DataFrame(
            {"local_authority": ["a", "b"], "numerator": [1.0, 0.0], "denominator": [4.0, 1.0]}
        ),
    )


def test_within_calendar_days() -> None:
    # within 2 calendar days: a: 4 days, 5 days, 2 days (within), 2 days (within); b: 3 days.
    measure = {**WITHIN_1, "kind": "within_days", "days": 2}
    got = headline(run(tiny_catalogue(measure, "percent"), STRATEGY))
    assert got["A"] == (2.0, 4.0, 50.0, "ok") and got["B"] == (0.0, 1.0, 0.0, "ok")


def test_end_before_start_never_counts_as_a_negative_duration() -> None:
    rows = pl.DataFrame(
        {
            "local_authority": ["a", "a"],
            "referral_date": [D(2024, 7, 3), D(2024, 7, 1)],
            "strategy_date": [D(2024, 7, 1), D(2024, 7, 1)],
        }
    )
    assert headline(run(tiny_catalogue(WITHIN_1, "percent"), rows))["A"] == (1.0, 1.0, 100.0, "ok")


def test_median_working_days_pools_the_cases_not_the_medians() -> None:
    # a: 1, 2, 0, 2 working days -> median 1.5; b: 1 -> 1. AB: 0,1,1,2,2 -> 1 (not (1.5+1)/2).
    measure = {"kind": "median_working_days", "start": "referral_date", "end": "strategy_date"}
    got = headline(run(tiny_catalogue(measure, "days"), STRATEGY))
    assert got["A"] == (None, 4.0, 1.5, "ok")
    assert got["B"] == (None, 1.0, 1.0, "ok")
    assert got["AB"] == (None, 5.0, 1.0, "ok")


WORKFORCE = pl.DataFrame(
    {
        "local_authority": ["a", "a", "b"],
        "agency": ["ca", "police", "cb"],
        "fte_leavers": [2.0, 1.0, 3.0],
        "fte_in_post": [40.0, 15.0, 75.0],
        "fte_vacancies": [10.0, 0.0, 5.0],
    }
)


def test_pooling_sums_numerators_and_denominators_never_averages_rates() -> None:
    # a: 3 leavers of 55 in post (5.45%); b: 3 of 75 (4.0%). Pooled: 6 of 130 = 4.6%,
    # where the average of the two rates would be 4.7%.
    ratio = {"kind": "ratio", "numerator": "fte_leavers", "denominator": "fte_in_post"}
    got = headline(run(tiny_catalogue(ratio, "percent"), WORKFORCE))
    assert got == {
        "A": (3.0, 55.0, 5.5, "ok"),
        "B": (3.0, 75.0, 4.0, "ok"),
        "AB": (6.0, 130.0, 4.6, "ok"),
        "Tees": (6.0, 130.0, 4.6, "ok"),
    }


def test_ratio_with_an_expression_denominator_and_an_agency_filter() -> None:
    # vacancy rate = vacancies / (vacancies + in post), council rows only:
    # a: 10 / (10 + 40) = 20%; b: 5 / (5 + 75) = 6.25% -> 6.3% (halves round away from zero)
    ratio = {
        "kind": "ratio",
        "numerator": "fte_vacancies",
        "denominator": "fte_vacancies + fte_in_post",
        "filter": "agency IN ('ca', 'cb')",
    }
    got = headline(run(tiny_catalogue(ratio, "percent"), WORKFORCE))
    assert got["A"] == (10.0, 50.0, 20.0, "ok")
    assert got["B"] == (5.0, 80.0, 6.3, "ok")
    assert got["AB"] == (15.0, 130.0, 11.5, "ok")


def test_rolling_twelve_months_sums_four_quarters_of_leavers_over_this_quarters_staff() -> None:
    ratio = {
        "kind": "ratio",
        "numerator": "fte_leavers",
        "denominator": "fte_in_post",
        "rolling_quarters": 4,
    }
    cat = tiny_catalogue(ratio, "percent")
    older = pl.DataFrame(
        {
            "local_authority": ["a", "b"],
            "agency": ["ca", "cb"],
            "fte_leavers": [1.0, 2.0],
            "fte_in_post": [999.0, 999.0],
            "fte_vacancies": [0.0, 0.0],
        }
    )
    history = {Q.shift(-n): QuarterData({"r": older}, ALL_IN) for n in (1, 2, 3)}
    got = rows_of(run(cat, WORKFORCE, history=history), "period")
    # a: 3 this quarter + 1 x 3 earlier = 6 over 55 in post now = 10.9%; b: 3 + 6 = 9 / 75 = 12%
    assert got[("A", "12 months to quarter end")] == (6.0, 55.0, 10.9, "ok")
    assert got[("B", "12 months to quarter end")] == (9.0, 75.0, 12.0, "ok")
    assert got[("AB", "12 months to quarter end")] == (15.0, 130.0, 11.5, "ok")
    # without the earlier quarters the 12-month figure cannot be made
    partial = rows_of(run(cat, WORKFORCE, history={Q.shift(-1): history[Q.shift(-1)]}), "period")
    assert partial[("A", "12 months to quarter end")][3] == "missing"


def test_missing_return_gives_missing_never_zero_and_spreads_to_the_partnership() -> None:
    rows = pl.DataFrame({"local_authority": ["a", "a"], "x": ["1", "2"]})
    accepted = {("ca", "r"): True, ("cb", "r"): False, ("police", "r"): True}
    got = headline(run(tiny_catalogue({"kind": "count"}, "count"), rows, accepted))
    assert got == {
        "A": (2.0, None, 2.0, "ok"),
        "B": (None, None, None, "missing"),
        "AB": (None, None, None, "missing"),
        "Tees": (None, None, None, "missing"),
    }


def test_a_return_covering_every_area_missing_makes_every_area_missing() -> None:
    rows = pl.DataFrame({"local_authority": ["a"], "x": ["1"]})
    accepted = {("ca", "r"): True, ("cb", "r"): True, ("police", "r"): False}
    got = headline(run(tiny_catalogue({"kind": "count"}, "count"), rows, accepted))
    assert {status for *_, status in got.values()} == {"missing"}


def test_no_rows_at_all_is_a_real_zero_count_and_a_not_applicable_rate() -> None:
    empty = pl.DataFrame(schema={"local_authority": pl.String, "ok": pl.Boolean})
    assert headline(run(tiny_catalogue({"kind": "count"}, "count"), empty))["AB"] == (
        0.0,
        None,
        0.0,
        "ok",
    )
    share = tiny_catalogue({"kind": "proportion", "numerator": "ok"}, "percent")
    assert headline(run(share, empty))["A"] == (0.0, 0.0, None, "not_applicable")


def test_proportion_with_filter_labelled_numerators_and_shares() -> None:
    rows = pl.DataFrame(
        {
            "local_authority": ["a", "a", "a", "a", "b"],
            "kind": ["S47", "S47", "S47", "NFA", "S47"],
            "joint": [True, False, None, True, True],
            "police": ["Yes", "Yes", "No", "Yes", "No"],
            "method": ["Attended", "Attended", "Advocate", "None", "Advocate"],
        }
    )
    measure = {
        "kind": "proportion",
        "numerator": "joint",
        "filter": "kind = 'S47'",
        "numerators": {"Police": "police = 'Yes'"},
        "shares_of": "method",
    }
    results = run(tiny_catalogue(measure, "percent"), rows)
    # S47 rows: a has 3, joint in 1 (null is not joint) -> 33.3%; b 1 of 1; AB 2 of 4 = 50%
    assert headline(results) == {
        "A": (1.0, 3.0, 33.3, "ok"),
        "B": (1.0, 1.0, 100.0, "ok"),
        "AB": (2.0, 4.0, 50.0, "ok"),
        "Tees": (2.0, 4.0, 50.0, "ok"),
    }
    police = rows_of(results, "measure")
    assert police[("A", "Police")] == (2.0, 3.0, 66.7, "ok")
    assert police[("AB", "Police")] == (2.0, 4.0, 50.0, "ok")
    shares = rows_of(results, "method")
    assert shares[("A", "Attended")] == (2.0, 3.0, 66.7, "ok")
    assert shares[("A", "Advocate")] == (1.0, 3.0, 33.3, "ok")
    assert shares[("AB", "Advocate")] == (2.0, 4.0, 50.0, "ok")
    assert ("A", "None") not in shares  # the NFA row is filtered out before shares are taken


def test_total_with_parts() -> None:
    rows = pl.DataFrame(
        {"local_authority": ["a", "b", "b"], "plo": [3, 1, 2], "proceedings": [5, 0, 4]}
    )
    measure = {
        "kind": "total",
        "value": "plo + proceedings",
        "parts": {"Pre-proceedings (PLO)": "plo", "Care proceedings": "proceedings"},
    }
    results = run(tiny_catalogue(measure, "count"), rows)
    assert headline(results)["B"] == (7.0, None, 7.0, "ok")
    assert headline(results)["AB"] == (15.0, None, 15.0, "ok")
    assert rows_of(results, "part")[("AB", "Care proceedings")] == (9.0, None, 9.0, "ok")


def test_rate_per_10000_children_pools_counts_and_populations() -> None:
    rows = pl.DataFrame({"local_authority": ["a"] * 3 + ["b"] * 5, "x": ["1"] * 8})
    # a: 3 per 20,000 -> 1.5 per 10,000; b: 5 per 40,000 -> 1.25 -> 1.3 (1 dp); AB: 8 / 60,000 -> 1.3
    results = run(
        tiny_catalogue({"kind": "rate"}, "rate_per_10000"),
        rows,
        population={"a": 20000.0, "b": 40000.0},
    )
    got = headline(results)
    assert got["A"] == (3.0, 20000.0, 1.5, "ok")
    assert got["B"] == (5.0, 40000.0, 1.3, "ok")
    assert got["AB"] == (8.0, 60000.0, 1.3, "ok")


def test_population_uses_the_latest_estimate_not_after_the_quarter() -> None:
    table = pl.DataFrame(
        {
            "area_code": ["E06000001", "E06000001", "E06000002"],
            "year": [2023, 2024, 2023],
            "population_0_17": [100, 200, 300],
        }
    )
    cat = tiny_catalogue({"kind": "count"}, "count")
    assert population_for(table, cat, Quarter(2024, 3)) == {"a": 200.0, "b": 300.0}
    assert population_for(table, cat, Quarter(2023, 4)) == {"a": 100.0, "b": 300.0}


def test_two_way_breakdown_is_zero_filled_across_areas() -> None:
    rows = pl.DataFrame(
        {
            "local_authority": ["a", "a", "a", "b"],
            "from": ["Police", "Police", "Health", "Health"],
            "to": ["Health", "Health", "Education", "Police"],
        }
    )
    results = run(tiny_catalogue({"kind": "count", "breakdown": ["from", "to"]}, "count"), rows)
    table = {k: v[2] for k, v in rows_of(results, "from|to").items()}
    assert table[("A", "Police|Health")] == 2.0
    assert table[("B", "Police|Health")] == 0.0  # seen elsewhere, so shown as a real zero
    assert table[("B", "Health|Police")] == 1.0
    assert table[("AB", "Police|Health")] == 2.0
    assert table[("Tees", "Health|Education")] == 1.0
    assert len(table) == 12  # 3 combinations x 4 areas


def test_partnership_level_returns_are_not_applicable_for_local_authorities() -> None:
    rows = pl.DataFrame({"local_authority": ["AB", "AB"], "x": ["y", "n"]})
    got = run(
        tiny_catalogue({"kind": "count"}, "count", area_level="partnership"),
        rows,
        {("police", "r"): True},
    )
    table = headline(got)
    assert table["A"] == (None, None, None, "not_applicable")
    assert table["AB"] == (2.0, None, 2.0, "ok")
    assert (
        got.filter(pl.col("area") == "A")["note"].item().startswith("Recorded for the partnership")
    )


def test_not_applicable_with_the_catalogues_reason() -> None:
    rows = pl.DataFrame({"local_authority": ["a"], "x": ["y"]})
    cat = tiny_catalogue(
        {"kind": "count"}, "count", not_applicable={"tees": "Each partnership has its own."}
    )
    got = run(cat, rows).filter(pl.col("area") == "Tees")
    assert (got["status"].item(), got["note"].item()) == (
        "not_applicable",
        "Each partnership has its own.",
    )


def test_changes_against_last_quarter_and_last_year() -> None:
    def frame(value: float | None, status: str) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "area": ["A"],
                "indicator_id": ["1"],
                "breakdown": [""],
                "breakdown_value": [""],
                "value": [value],
                "status": [status],
            }
        )

    out = add_changes(frame(60.0, "ok"), frame(62.5, "ok"), frame(None, "missing"))
    assert out.select(
        "previous_value", "change_previous", "last_year_value", "change_last_year"
    ).row(0) == (62.5, -2.5, None, None)


# --- A figure with a missing input is missing, with the reason; pooled figures never pool a subset.

MISSING_B = {("ca", "r"): True, ("cb", "r"): False, ("police", "r"): True}
B_MISSING_NOTE = "The r return from Council B for 2024Q3 was missing or rejected."
EVERY_KIND = [
    ({"kind": "count"}, "count"),
    ({"kind": "total", "value": "n"}, "count"),
    ({"kind": "proportion", "numerator": "flag"}, "percent"),
    (WITHIN_1, "percent"),
    (
        {"kind": "within_days", "start": "referral_date", "end": "strategy_date", "days": 2},
        "percent",
    ),
    ({"kind": "median_working_days", "start": "referral_date", "end": "strategy_date"}, "days"),
    ({"kind": "ratio", "numerator": "n", "denominator": "n + 1"}, "percent"),
    ({"kind": "rate"}, "rate_per_10000"),
]
ONE_ROW_EACH = pl.DataFrame(
    {
        "local_authority": ["a", "b"],
        "n": [2, 3],
        "flag": [True, False],
        "referral_date": [D(2024, 7, 1), D(2024, 7, 1)],
        "strategy_date": [D(2024, 7, 2), D(2024, 7, 2)],
    }
)


@pytest.mark.parametrize(("measure", "unit"), EVERY_KIND, ids=lambda v: str(v)[:40])
def test_every_kind_is_missing_with_its_reason_when_one_authoritys_return_is(
    measure: dict[str, Any], unit: str
) -> None:
    # Council B's return was rejected: B, and every area pooling B, is missing and says why;
    # A, whose returns are all in, keeps its figure.
    rows = ONE_ROW_EACH.filter(pl.col("local_authority") == "a")
    results = run(
        tiny_catalogue(measure, unit), rows, MISSING_B, population={"a": 1e4, "b": 1e4}
    ).filter(pl.col("breakdown") == "")
    got = {r["area"]: (r["status"], r["note"], r["value"]) for r in results.to_dicts()}
    assert got["A"][0] == "ok" and got["A"][2] is not None
    for area in ("B", "AB", "Tees"):
        assert got[area] == ("missing", B_MISSING_NOTE, None), area


@pytest.mark.parametrize(("measure", "unit"), EVERY_KIND, ids=lambda v: str(v)[:40])
def test_every_kind_adds_up_all_its_areas(measure: dict[str, Any], unit: str) -> None:
    # With every return in, a pooled figure is the sum over both authorities: here each
    # authority has one row, so AB and Tees pool two rows (a median of two: 1 and 1 -> 1).
    results = run(tiny_catalogue(measure, unit), ONE_ROW_EACH, population={"a": 1e4, "b": 3e4})
    got = headline(results)
    expected_base = {
        "count": None,
        "percent": 2.0,
        "days": 2.0,
        "rate_per_10000": 4e4,
    }[unit]
    if measure["kind"] == "ratio":
        expected_base = 7.0  # (2 + 1) + (3 + 1)
    assert got["AB"][1] == expected_base and got["AB"][3] == "ok"
    assert got["Tees"] == got["AB"]


def test_rate_with_no_population_for_one_authority_is_missing_for_it_and_its_partnership() -> None:
    rows = pl.DataFrame({"local_authority": ["a"] * 3 + ["b"] * 5, "x": ["1"] * 8})
    results = run(
        tiny_catalogue({"kind": "rate"}, "rate_per_10000"), rows, population={"a": 20000.0}
    )
    got = {r["area"]: r for r in results.to_dicts()}
    # a: 3 per 20,000 children = 1.5 per 10,000. b has no estimate: never a blank 'ok', and AB
    # is not 3 per 20,000 (a alone) either.
    assert (got["A"]["numerator"], got["A"]["denominator"], got["A"]["value"]) == (3.0, 2e4, 1.5)
    note = (
        "There is no ONS mid-year estimate of children aged 0 to 17 for B for 2024 or an "
        "earlier year (reference/population.csv)."
    )
    for area in ("B", "AB", "Tees"):
        row = got[area]
        assert (row["status"], row["value"], row["denominator"], row["note"]) == (
            "missing", None, None, note
        ), area  # fmt: skip


def test_rate_with_no_population_at_all_is_missing_everywhere() -> None:
    rows = pl.DataFrame({"local_authority": ["a", "b"], "x": ["1", "1"]})
    got = headline(run(tiny_catalogue({"kind": "rate"}, "rate_per_10000"), rows))
    assert {status for *_, status in got.values()} == {"missing"}


def test_partnership_level_rate_uses_the_population_of_all_its_authorities() -> None:
    rows = pl.DataFrame({"local_authority": ["AB"] * 6, "x": ["1"] * 6})
    cat = tiny_catalogue({"kind": "rate"}, "rate_per_10000", area_level="partnership")
    accepted = {("police", "r"): True}
    # 6 per (20,000 + 40,000) children = 1.0 per 10,000
    got = headline(run(cat, rows, accepted, population={"a": 20000.0, "b": 40000.0}))
    assert got["AB"] == (6.0, 60000.0, 1.0, "ok") and got["Tees"] == (6.0, 60000.0, 1.0, "ok")
    partial = headline(run(cat, rows, accepted, population={"a": 20000.0}))
    assert partial["AB"] == (None, None, None, "missing")
    assert partial["Tees"] == (None, None, None, "missing")


def test_population_before_the_first_estimate_is_never_borrowed_from_a_later_year() -> None:
    table = pl.DataFrame(
        {
            "area_code": ["E06000001", "E06000001", "E06000002"],
            "year": [2023, 2024, 2022],
            "population_0_17": [100, 200, 300],
        }
    )
    cat = tiny_catalogue({"kind": "count"}, "count")
    # 2022Q4: b has its mid-2022 estimate; a's first is mid-2023, which is not borrowed.
    assert population_for(table, cat, Quarter(2022, 4)) == {"b": 300.0}
    assert population_for(table, cat, Quarter(2021, 1)) == {}
    assert population_for(table, cat, Quarter(2030, 1)) == {"a": 200.0, "b": 300.0}


def test_a_quarter_with_no_estimate_gives_missing_rates_with_the_reason() -> None:
    table = pl.DataFrame(
        {"area_code": ["E06000001", "E06000002"], "year": [2025, 2024], "population_0_17": [1, 2]}
    )
    cat = tiny_catalogue({"kind": "rate"}, "rate_per_10000")
    rows = pl.DataFrame({"local_authority": ["a", "b"], "x": ["1", "1"]})
    data = QuarterData({"r": rows}, ALL_IN)
    ((_, _, ind),) = cat.indicators()
    results = indicator_plan(
        cat, ind, Inputs(Q, data, population=population_for(table, cat, Q))
    ).collect(engine=ENGINE)  # 2024Q3: a's only estimate is for mid-2025
    got = {r["area"]: (r["status"], r["note"]) for r in results.to_dicts()}
    assert got["A"] == (
        "missing",
        "There is no ONS mid-year estimate of children aged 0 to 17 for A for 2024 or an "
        "earlier year (reference/population.csv).",
    )
    assert got["B"] == ("ok", "") and got["AB"][0] == "missing"


def test_rolling_figure_without_the_earlier_quarters_is_missing_and_says_which() -> None:
    ratio = {"kind": "ratio", "numerator": "fte_leavers", "denominator": "fte_in_post",
             "rolling_quarters": 4}  # fmt: skip
    older = QuarterData({"r": WORKFORCE}, ALL_IN)
    got = run(tiny_catalogue(ratio, "percent"), WORKFORCE, history={Q.shift(-1): older})
    period = got.filter(pl.col("breakdown") == "period")
    assert set(period["status"]) == {"missing"}
    assert set(period["numerator"]) == {None}  # never the sum of the two quarters there are
    assert set(period["note"]) == {
        "No returns were read for 2023Q4. No returns were read for 2024Q1."
    }


def test_rolling_figure_with_one_quarters_return_rejected_names_it() -> None:
    ratio = {"kind": "ratio", "numerator": "fte_leavers", "denominator": "fte_in_post",
             "rolling_quarters": 4}  # fmt: skip
    history = {Q.shift(-n): QuarterData({"r": WORKFORCE}, ALL_IN) for n in (1, 2, 3)}
    history[Q.shift(-2)] = QuarterData({"r": WORKFORCE}, MISSING_B)
    got = rows_of(run(tiny_catalogue(ratio, "percent"), WORKFORCE, history=history), "period")
    label = "12 months to quarter end"
    # a needs only council A's and the police's returns: 3 leavers a quarter x 4 = 12 of 55
    assert got[("A", label)] == (12.0, 55.0, 21.8, "ok")
    for area in ("B", "AB", "Tees"):
        assert got[(area, label)] == (None, None, None, "missing")
    note = run(tiny_catalogue(ratio, "percent"), WORKFORCE, history=history).filter(
        (pl.col("breakdown") == "period") & (pl.col("area") == "AB")
    )["note"]
    assert note.item() == "The r return from Council B for 2024Q1 was missing or rejected."


WORKFORCE_BY_SECTOR = WORKFORCE.with_columns(
    pl.Series("sector", ["Children's social care", "Police", "Children's social care"])
)


def test_rolling_twelve_months_by_sector_for_every_area() -> None:
    ratio = {"kind": "ratio", "numerator": "fte_leavers", "denominator": "fte_in_post",
             "rolling_quarters": 4, "breakdown": ["sector"]}  # fmt: skip
    earlier = WORKFORCE_BY_SECTOR.with_columns(pl.lit(1.0).alias("fte_leavers"))
    history = {Q.shift(-n): QuarterData({"r": earlier}, ALL_IN) for n in (1, 2, 3)}
    got = rows_of(run(tiny_catalogue(ratio, "percent"), WORKFORCE_BY_SECTOR, history=history),
                  "period|sector")  # fmt: skip
    csc = "12 months to quarter end|Children's social care"
    police = "12 months to quarter end|Police"
    # a, children's social care: 2 leavers now + 1 in each of 3 earlier quarters = 5, of 40 in
    # post at the quarter's end = 12.5%; b: 3 + 3 = 6 of 75 = 8.0%; AB and Tees 11 of 115 = 9.6%
    assert got[("A", csc)] == (5.0, 40.0, 12.5, "ok")
    assert got[("B", csc)] == (6.0, 75.0, 8.0, "ok")
    assert got[("AB", csc)] == (11.0, 115.0, 9.6, "ok")
    assert got[("Tees", csc)] == (11.0, 115.0, 9.6, "ok")
    # police in a: 1 + 3 = 4 of 15 = 26.7%; none in b (0 of 0: nothing to measure)
    assert got[("A", police)] == (4.0, 15.0, 26.7, "ok")
    assert got[("B", police)] == (0.0, 0.0, None, "not_applicable")
    assert got[("AB", police)] == (4.0, 15.0, 26.7, "ok")


def test_rolling_by_sector_needs_only_that_sectors_returns() -> None:
    ratio = {"kind": "ratio", "numerator": "fte_leavers", "denominator": "fte_in_post",
             "rolling_quarters": 4, "breakdown": ["sector"]}  # fmt: skip
    earlier = WORKFORCE_BY_SECTOR.with_columns(pl.lit(1.0).alias("fte_leavers"))
    history = {Q.shift(-n): QuarterData({"r": earlier}, ALL_IN) for n in (1, 2, 3)}
    # The police return for 2024Q1 was rejected (its rows are not there).
    without_police = earlier.filter(pl.col("agency") != "police")
    history[Q.shift(-2)] = QuarterData({"r": without_police}, {**ALL_IN, ("police", "r"): False})
    results = run(tiny_catalogue(ratio, "percent"), WORKFORCE_BY_SECTOR, history=history)
    got = rows_of(results, "period|sector")
    csc = "12 months to quarter end|Children's social care"
    police = "12 months to quarter end|Police"
    assert got[("AB", csc)] == (11.0, 115.0, 9.6, "ok")  # as above: the councils sent every return
    for area in ("A", "B", "AB", "Tees"):
        assert got[(area, police)] == (None, None, None, "missing")  # never 3 quarters' leavers
    assert rows_of(results, "period")[("A", "12 months to quarter end")][3] == "missing"
    notes = set(results.filter(pl.col("breakdown_value") == police)["note"])
    assert notes == {"The r return from Police for 2024Q1 was missing or rejected."}


# --- 3.2.1: a referral on a non-working day counts as received on the next working day.


def test_referral_on_a_weekend_or_bank_holiday_counts_from_the_next_working_day(
    catalogue: Catalogue,
) -> None:
    rows = pl.DataFrame(
        {
            "local_authority": ["a"] * 6,
            # Sat 6 Jul 2024, and Mon 26 Aug 2024 (the summer bank holiday)
            "referral_date": [D(2024, 7, 6)] * 3 + [D(2024, 8, 26)] * 3,
            "strategy_date": [
                D(2024, 7, 8),  # Mon: Sat and Sun are not working days -> 0: within
                D(2024, 7, 9),  # Tue: Monday -> 1: within
                D(2024, 7, 10),  # Wed: Monday, Tuesday -> 2: not within
                D(2024, 8, 27),  # Tue: the holiday is not a working day -> 0: within
                D(2024, 8, 28),  # Wed: Tuesday -> 1: within
                D(2024, 8, 29),  # Thu: Tuesday, Wednesday -> 2: not within
            ],
        }
    )
    elapsed = rows.select(working_days_elapsed("referral_date", "strategy_date")).to_series()
    assert elapsed.to_list() == [0, 1, 2, 0, 1, 2]
    # The catalogue's own 3.2.1 measure: 4 of the 6 are within 1 working day.
    indicator = next(i for _, _, i in catalogue.indicators() if i.id == "3.2.1")
    measure = indicator.measure.model_dump(exclude_none=True)
    got = headline(run(tiny_catalogue(measure, "percent"), rows))
    assert got["A"] == (4.0, 6.0, 66.7, "ok")
    # ... and its definition says so.
    assert "counts as received on the next working day" in " ".join(indicator.definition.split())


def test_a_zero_base_is_not_applicable_and_says_why() -> None:
    # No strategy discussions at all in B: nothing to measure, and the note says so; A's 1 of 1
    # is a figure.
    rows = STRATEGY.filter(pl.col("local_authority") == "a").head(1)
    results = run(tiny_catalogue(WITHIN_1, "percent"), rows).filter(pl.col("breakdown") == "")
    got = {r["area"]: (r["status"], r["note"]) for r in results.to_dicts()}
    assert got["B"] == (
        "not_applicable",
        "Nothing to measure: there were no cases in the quarter (the base is 0).",
    )
    assert got["A"] == ("ok", "")
