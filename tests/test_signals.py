"""Signals: intervals on results rows, significance calls, the small-base rule and SPC over
12 quarters, each worked out by hand from the definitions in the module's docstring."""

from __future__ import annotations

import math

import polars as pl
import pytest

from tees_dataset.catalogue.models import Catalogue
from tees_dataset.compute.signals import (
    Figure,
    add_signals,
    change_call,
    differ,
    headline_history,
    interval,
    judge,
    judge_series,
)

Z = 1.959963984540054


def wilson_by_hand(x: float, n: float) -> tuple[float, float]:
    p = x / n
    centre, half = p + Z * Z / (2 * n), Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return (centre - half) / (1 + Z * Z / n), (centre + half) / (1 + Z * Z / n)


def pct(x: float, n: float) -> Figure:
    return Figure("percent", 100 * x / n, x, n)


def test_a_percentage_gets_the_wilson_interval_as_percentages() -> None:
    low, high = interval(pct(70, 100)) or (0.0, 0.0)
    # p = 0.7, n = 100: (0.7 + 0.01921 ± 0.08847) / 1.03841 = 0.60415 to 0.78105.
    assert (round(low, 2), round(high, 2)) == (60.42, 78.11)
    assert (low / 100, high / 100) == pytest.approx(wilson_by_hand(70, 100))


def test_a_rate_gets_the_count_interval_over_its_population() -> None:
    # 100 events: Byar's lower 100·(1 - 1/900 - 1.96/30)³ = 81.36, upper 101·(1 - 1/909 +
    # 1.96/(3·√101))³ = 121.63; over 50,000 children, per 10,000: 16.27 to 24.33.
    low, high = interval(Figure("rate_per_10000", 20.0, 100.0, 50_000.0)) or (0.0, 0.0)
    assert (round(low, 2), round(high, 2)) == (16.27, 24.33)
    assert interval(Figure("days", 4.0, None, 30.0)) is None  # a median has none


def test_two_percentages_differ_when_newcombes_interval_excludes_zero() -> None:
    # 70/100 against 50/100: Newcombe's hybrid interval for the difference is 0.064 to 0.326,
    # above 0, so significantly higher; 55/100 against 50/100 gives -0.087 to 0.184: similar.
    assert differ(pct(70, 100), pct(50, 100)) == ("higher", "Newcombe's interval")
    assert differ(pct(50, 100), pct(70, 100)) == ("lower", "Newcombe's interval")
    assert differ(pct(55, 100), pct(50, 100)) == ("similar", "Newcombe's interval")


def test_two_counts_differ_by_the_exact_conditional_test() -> None:
    count = lambda n: Figure("count", n, n, None)  # noqa: E731
    # 130 against 100: under equal rates 130 of 230 is Binomial(230, ½); the two-sided p-value
    # is 0.0556, not below 0.05. 145 against 100: p = 0.005, significantly higher.
    assert differ(count(130), count(100)) == ("similar", "exact test of two counts")
    assert differ(count(145), count(100)) == ("higher", "exact test of two counts")
    # A rate compares its counts with the populations as exposures: 100 of 50,000 against 100
    # of 100,000 is twice the rate (p far below 0.05).
    rate = lambda c, pop: Figure("rate_per_10000", 1e4 * c / pop, c, pop)  # noqa: E731
    assert differ(rate(100, 50_000), rate(100, 100_000))[0] == "higher"  # type: ignore[index]


def test_calls_follow_the_polarity() -> None:
    now, before = pct(70, 100), pct(50, 100)
    assert change_call(now, before, "higher_is_better", 10) == "better"
    assert change_call(now, before, "lower_is_better", 10) == "worse"
    assert change_call(now, before, "neither", 10) == "higher"
    assert change_call(pct(55, 100), before, "higher_is_better", 10) == "similar"
    assert change_call(now, None, "higher_is_better", 10) == ""


def test_below_the_minimum_base_no_signal_is_drawn() -> None:
    # 2 of 4 against 4 of 4 a year ago: a big swing on a tiny base is not judged.
    assert change_call(pct(2, 4), pct(4, 4), "higher_is_better", 10) == ""
    row = _row(2, 4) | {"last_year_value": 100.0, "last_year_status": "ok",
                        "last_year_numerator": 4.0, "last_year_denominator": 4.0}  # fmt: skip
    judged = judge(row, _indicator("higher_is_better"), None, 10)
    assert (judged.signal, judged.basis) == ("not_assessed", "small base: fewer than 10 cases")


def _row(x: float, n: float, **extra: object) -> dict[str, object]:
    return {"unit": "percent", "status": "ok", "value": 100 * x / n, "numerator": x,
            "denominator": n} | extra  # fmt: skip


def _indicator(polarity: str):  # type: ignore[no-untyped-def]
    from tees_dataset.catalogue.models import Indicator

    return Indicator.model_validate({"id": "3.1.1", "title": "t", "definition": "d", "source": "s",
                                     "measure": {"kind": "proportion", "numerator": "x"},
                                     "unit": "percent", "polarity": polarity})  # fmt: skip


def test_the_signal_compares_with_a_year_ago_first_then_last_quarter() -> None:
    year_ago = {"last_year_value": 50.0, "last_year_status": "ok", "last_year_numerator": 50.0,
                "last_year_denominator": 100.0}  # fmt: skip
    last_quarter = {"previous_value": 69.0, "previous_status": "ok", "previous_numerator": 69.0,
                    "previous_denominator": 100.0}  # fmt: skip
    judged = judge(_row(70, 100) | year_ago | last_quarter, _indicator("lower_is_better"), None, 10)
    assert judged.signal == "concern"
    assert judged.basis == "change on a year ago (Newcombe's interval): significant"
    judged = judge(_row(70, 100) | last_quarter, _indicator("lower_is_better"), None, 10)
    assert judged.signal == "no_significant_change"
    assert judged.basis == "change on last quarter (Newcombe's interval): not significant"
    judged = judge(_row(70, 100), _indicator("neither"), None, 10)
    assert (judged.signal, judged.basis) == ("not_assessed", "no earlier figure to compare with")
    judged = judge(_row(70, 100) | year_ago, _indicator("neither"), None, 10)
    assert judged.signal == "not_assessed" and judged.basis.endswith(": significantly higher")


def test_twelve_quarters_are_judged_by_spc_instead_of_two_points() -> None:
    # Eleven quarters at 50 then 90: the last point is beyond the upper limit (mean 53.3,
    # MR-bar 40/11 = 3.64 once screened... any way it is computed, 90 is far outside).
    history = [50.0, 51.0, 49.0, 50.0, 52.0, 48.0, 50.0, 51.0, 49.0, 50.0, 50.0, 90.0]
    judged = judge_series(history, "higher_is_better")
    assert judged is not None and judged.signal == "improvement"
    assert "a point beyond a process limit" in judged.basis
    assert judge_series(history, "lower_is_better").signal == "concern"  # type: ignore[union-attr]
    assert judge_series(history[1:], "higher_is_better") is None  # 11 points: no SPC
    common = [50.0, 52.0, 48.0, 51.0, 49.0, 50.0, 52.0, 48.0, 51.0, 49.0, 50.0, 51.0]
    assert judge_series(common, "higher_is_better").signal == "no_significant_change"  # type: ignore[union-attr]
    # A row with that history takes SPC's word over a significant two-point change.
    year_ago = {"last_year_value": 10.0, "last_year_status": "ok", "last_year_numerator": 10.0,
                "last_year_denominator": 100.0}  # fmt: skip
    judged = judge(_row(51, 100) | year_ago, _indicator("higher_is_better"), common, 10)
    assert judged.signal == "no_significant_change" and judged.basis.startswith("SPC over 12")


def test_history_is_the_unbroken_run_up_to_the_quarter() -> None:
    rows = [("2024Q1", "ok", 1.0), ("2024Q2", "missing", None), ("2023Q4", "ok", 4.0),
            ("2024Q3", "ok", 3.0), ("2024Q4", "ok", 9.0)]  # fmt: skip
    trend = pl.DataFrame(
        [{"quarter": q, "area": "A", "indicator_id": "1", "status": s, "value": v}
         for q, s, v in rows] +
        [{"quarter": "2024Q3", "area": "B", "indicator_id": "1", "status": "ok", "value": 2.0},
         {"quarter": "2024Q2", "area": "B", "indicator_id": "1", "status": "ok", "value": 1.0},
         {"quarter": "2023Q4", "area": "B", "indicator_id": "1", "status": "ok", "value": 0.0}]
    )  # fmt: skip
    runs = headline_history(trend, "2024Q3")
    assert runs[("1", "A")] == [3.0]  # 2024Q2 has no figure: the run starts after it
    assert runs[("1", "B")] == [1.0, 2.0]  # 2024Q1 is absent: the run is broken there


def test_add_signals_adds_the_columns_results_csv_promises(catalogue: Catalogue) -> None:
    base = {"quarter": "2024Q3", "area": "HSSCP", "area_code": "", "area_type": "partnership",
            "indicator_id": "3.2.1", "breakdown": "", "breakdown_value": "", "unit": "percent",
            "status": "ok", "note": "", "previous_value": None, "change_previous": None}  # fmt: skip
    current = pl.DataFrame([
        base | {"numerator": 70.0, "denominator": 100.0, "value": 70.0, "last_year_value": 50.0,
                "change_last_year": 20.0},
        base | {"area": "Hartlepool", "numerator": 2.0, "denominator": 4.0, "value": 50.0,
                "last_year_value": None, "change_last_year": None},
    ])  # fmt: skip
    last_year = pl.DataFrame([
        base | {"quarter": "2023Q3", "numerator": 50.0, "denominator": 100.0, "value": 50.0},
    ]).select("quarter", "area", "indicator_id", "breakdown", "breakdown_value", "numerator",
              "denominator", "value", "status")  # fmt: skip
    trend = current.select("quarter", "area", "indicator_id", "status", "value")
    out = add_signals(catalogue, current, None, last_year, trend)
    hsscp, hartlepool = out.to_dicts()
    # 3.2.1 is higher-is-better: 70/100 against 50/100 a year ago is a significant improvement.
    assert hsscp["signal"] == "improvement" and hsscp["change_last_year_call"] == "better"
    assert (round(hsscp["ci_lower"], 2), round(hsscp["ci_upper"], 2)) == (60.42, 78.11)
    # 2 of 4: no interval, no signal.
    assert hartlepool["signal"] == "not_assessed" and hartlepool["ci_lower"] is None
