"""Small-number suppression, primary and secondary, on hand-worked tables."""

from __future__ import annotations

from typing import Any

import polars as pl

from tees_dataset.compute import RESULT_COLUMNS
from tees_dataset.compute.suppress import suppress

PARTNERSHIPS = {
    "HSSCP": ["Hartlepool", "Stockton-on-Tees"],
    "STSCP": ["Middlesbrough", "Redcar and Cleveland"],
}
AREAS = [
    "Hartlepool",
    "Stockton-on-Tees",
    "HSSCP",
    "Middlesbrough",
    "Redcar and Cleveland",
    "STSCP",
    "Tees",
]


def table(
    values: dict[str, Any],
    unit: str = "count",
    indicator: str = "X",
    breakdown: tuple[str, str] = ("", ""),
) -> list[dict[str, Any]]:
    rows = []
    for area, figure in values.items():
        num, den = figure if isinstance(figure, tuple) else (figure, None)
        value = None if num is None else (num if unit == "count" else round(100 * num / den, 1))
        rows.append({
            "quarter": "2024Q3", "area": area, "area_code": "", "area_type": "", "indicator_id": indicator,
            "breakdown": breakdown[0], "breakdown_value": breakdown[1],
            "numerator": None if num is None else float(num), "denominator": None if den is None else float(den),
            "value": None if value is None else float(value), "unit": unit,
            "status": "missing" if num is None else "ok", "note": "",
        })  # fmt: skip
    return rows


def run(rows: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    frame = pl.DataFrame(
        rows,
        schema={
            c: (pl.Float64 if c in ("numerator", "denominator", "value") else pl.String)
            for c in RESULT_COLUMNS
        },
    )
    out = suppress(frame, PARTNERSHIPS)
    return {(r["area"], r["breakdown_value"]): r["status"] for r in out.to_dicts()}


def suppressed(statuses: dict[tuple[str, str], str]) -> set[str]:
    return {
        area if not value else f"{area}:{value}"
        for (area, value), s in statuses.items()
        if s == "suppressed"
    }


def test_a_small_count_and_its_neighbour_are_suppressed_zero_is_not() -> None:
    # Hartlepool 3 is small. HSSCP (13) is shown, so Stockton (10) would give it away: hide it too.
    # Middlesbrough 0 is shown: zero identifies no one.
    statuses = run(
        table(
            {
                "Hartlepool": 3,
                "Stockton-on-Tees": 10,
                "HSSCP": 13,
                "Middlesbrough": 0,
                "Redcar and Cleveland": 7,
                "STSCP": 7,
                "Tees": 20,
            }
        )
    )
    assert suppressed(statuses) == {"Hartlepool", "Stockton-on-Tees"}


def test_two_small_counts_protect_each_other() -> None:
    statuses = run(
        table(
            {
                "Hartlepool": 2,
                "Stockton-on-Tees": 4,
                "HSSCP": 6,
                "Middlesbrough": 9,
                "Redcar and Cleveland": 8,
                "STSCP": 17,
                "Tees": 23,
            }
        )
    )
    assert suppressed(statuses) == {"Hartlepool", "Stockton-on-Tees"}


def test_a_small_partnership_total_cascades() -> None:
    # HSSCP is 3 (1 + 2): all three hidden. Tees (23) would reveal HSSCP from STSCP (20), so STSCP is
    # hidden; then Middlesbrough + Redcar would reveal STSCP, so the smaller of them (a tie: the
    # first) is hidden too. Nothing hidden can now be worked out.
    statuses = run(
        table(
            {
                "Hartlepool": 1,
                "Stockton-on-Tees": 2,
                "HSSCP": 3,
                "Middlesbrough": 10,
                "Redcar and Cleveland": 10,
                "STSCP": 20,
                "Tees": 23,
            }
        )
    )
    assert suppressed(statuses) == {
        "Hartlepool",
        "Stockton-on-Tees",
        "HSSCP",
        "STSCP",
        "Middlesbrough",
    }


def test_percentages_of_small_numbers() -> None:
    # Hartlepool 3 of 40 (numerator small); Stockton 38 of 40 (complement 2 small);
    # Middlesbrough 2 of 4 (all small); Redcar 20 of 40 fine. HSSCP 41 of 80 is shown, but its
    # numerator minus Stockton's is Hartlepool's, so both authorities are hidden anyway.
    # STSCP 22 of 44: shown; Middlesbrough hidden and STSCP shown, so Redcar is hidden as well.
    statuses = run(
        table(
            {
                "Hartlepool": (3, 40),
                "Stockton-on-Tees": (38, 40),
                "HSSCP": (41, 80),
                "Middlesbrough": (2, 4),
                "Redcar and Cleveland": (20, 40),
                "STSCP": (22, 44),
                "Tees": (63, 124),
            },
            unit="percent",
        )
    )
    assert suppressed(statuses) == {
        "Hartlepool",
        "Stockton-on-Tees",
        "Middlesbrough",
        "Redcar and Cleveland",
    }


def test_a_missing_figure_needs_no_protection() -> None:
    # Stockton missing, so HSSCP is missing: Hartlepool 40 cannot reveal anything.
    statuses = run(
        table(
            {
                "Hartlepool": 40,
                "Stockton-on-Tees": None,
                "HSSCP": None,
                "Middlesbrough": 9,
                "Redcar and Cleveland": 8,
                "STSCP": 17,
                "Tees": None,
            }
        )
    )
    assert suppressed(statuses) == set()


def test_breakdown_values_add_up_to_the_headline() -> None:
    # Hartlepool's 30 challenges: Police 4 (small), Health 11, Education 15. The headline is
    # shown, so the smallest other value (Health) is hidden as well.
    rows = table({"Hartlepool": 30}, indicator="B")
    for label, n in (("Police", 4), ("Health", 11), ("Education", 15)):
        rows += table({"Hartlepool": n}, indicator="B", breakdown=("organisation", label))
    assert suppressed(run(rows)) == {"Hartlepool:Police", "Hartlepool:Health"}


def test_medians_of_few_cases_are_suppressed() -> None:
    rows = table({"Hartlepool": 1, "Tees": 1})
    for row, n in zip(rows, (4.0, 12.0), strict=True):
        row.update(unit="days", numerator=None, denominator=n, value=2.0)
    assert suppressed(run(rows)) == {"Hartlepool"}
