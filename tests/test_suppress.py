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


def outcome(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    frame = pl.DataFrame(
        rows,
        schema={
            c: (pl.Float64 if c in ("numerator", "denominator", "value") else pl.String)
            for c in RESULT_COLUMNS
        },
    )
    return suppress(frame, PARTNERSHIPS).to_dicts()


def hidden(rows: list[dict[str, Any]]) -> set[str]:
    """`area` for a headline, `area:breakdown value` for a breakdown row."""
    out = outcome(rows)
    for row in out:
        if row["status"] == "suppressed":  # blank: results.csv shows nothing, the pack `c`
            assert row["value"] is None and row["numerator"] is None, row
            assert row["denominator"] is None, row
    return {
        f"{r['area']}:{r['breakdown_value']}" if r["breakdown"] else r["area"]
        for r in out
        if r["status"] == "suppressed"
    }


TWO_WAY = "raising_organisation|receiving_organisation"


def test_a_two_way_cell_cannot_be_worked_out_from_the_headline() -> None:
    # 4.2.2: 30 challenges, of which Police to Health 3 (small), Health to Police 12, Education
    # to Health 15. 30 - 12 - 15 = 3, so one more cell goes: the smallest, 12.
    rows = table({"Hartlepool": 30}, indicator="4.2.2")
    for cell, n in (("Police|Health", 3), ("Health|Police", 12), ("Education|Health", 15)):
        rows += table({"Hartlepool": n}, indicator="4.2.2", breakdown=(TWO_WAY, cell))
    assert hidden(rows) == {"Hartlepool:Police|Health", "Hartlepool:Health|Police"}


def test_a_percentage_numerator_cannot_be_worked_out_from_the_headline() -> None:
    # Advocacy at conferences: 30 of 65 in all; initial 3 of 20 (small), review 12 of 20,
    # transfer-in 15 of 25. The numerators add up (3 = 30 - 12 - 15), so the smallest other
    # numerator's row (review) is hidden too. The denominators then have two unknowns (20, 20).
    rows = table({"Hartlepool": (30, 65)}, unit="percent", indicator="3.3.1")
    for label, figures in (("ICPC", (3, 20)), ("RCPC", (12, 20)), ("Transfer-in", (15, 25))):
        rows += table(
            {"Hartlepool": figures},
            unit="percent",
            indicator="3.3.1",
            breakdown=("conference_type", label),
        )
    assert hidden(rows) == {"Hartlepool:ICPC", "Hartlepool:RCPC"}


def test_an_authoritys_few_cases_hide_a_neighbours_too() -> None:
    # Median days over 4 cases in Hartlepool (small). Case counts add up across areas: HSSCP's
    # 24 less Stockton's 20 would give Hartlepool's 4 away, so Stockton (20 < 24) goes too.
    # Tees (79) less Middlesbrough and Redcar then leaves 24 for two hidden authorities.
    cases = {
        "Hartlepool": 4,
        "Stockton-on-Tees": 20,
        "HSSCP": 24,
        "Middlesbrough": 30,
        "Redcar and Cleveland": 25,
        "STSCP": 55,
        "Tees": 79,
    }
    rows = table(dict.fromkeys(cases, 1), indicator="3.2.1")
    for row, n in zip(rows, cases.values(), strict=True):
        row.update(unit="days", numerator=None, denominator=float(n), value=9.0)
    assert hidden(rows) == {"Hartlepool", "Stockton-on-Tees"}


def test_a_zero_base_shows_its_zeros() -> None:
    # Stockton and Redcar had no cases: not applicable, but 0 of 0 is shown. Hartlepool 3 of 40
    # is small, and so HSSCP (3 of 40). Tees (23) less STSCP (20) would be HSSCP's 3: STSCP is
    # hidden (20 < 23). Then STSCP = Middlesbrough + Redcar's shown 0: Middlesbrough goes too.
    rows = table(
        {
            "Hartlepool": (3, 40),
            "Stockton-on-Tees": (1, 1),
            "HSSCP": (3, 40),
            "Middlesbrough": (20, 40),
            "Redcar and Cleveland": (1, 1),
            "STSCP": (20, 40),
            "Tees": (23, 80),
        },
        unit="percent",
    )
    for row in rows:
        if row["area"] in ("Stockton-on-Tees", "Redcar and Cleveland"):
            row.update(numerator=0.0, denominator=0.0, value=None, status="not_applicable")
    assert hidden(rows) == {"Hartlepool", "HSSCP", "STSCP", "Middlesbrough"}


def test_shares_add_up_to_the_headlines_base() -> None:
    # 3.4.4: reviews by participation code, each a share of all 34 reviews: PN1 3 (small),
    # PN2 12, PN3 9, PN7 10. The shares' numerators add up to the headline's denominator (34),
    # so PN3 (9, the smallest other) is hidden. The headline's numerator (24: PN1 to PN6) then
    # leaves 12 for PN1 and PN3 together, as the 34 does.
    rows = table({"Hartlepool": (24, 34)}, unit="percent", indicator="3.4.4")
    for code, n in (("PN1", 3), ("PN2", 12), ("PN3", 9), ("PN7", 10)):
        rows += table(
            {"Hartlepool": (n, 34)},
            unit="percent",
            indicator="3.4.4",
            breakdown=("participation", code),
        )
    assert hidden(rows) == {"Hartlepool:PN1", "Hartlepool:PN3"}


def test_a_headline_that_counts_one_share_is_hidden_with_it() -> None:
    # 2.2.4: plans for neglect, 9 of 24; shares by category: Neglect 9, Emotional 3 (small),
    # Physical 12. The shares add up to 24, so the smallest other, Neglect (9), is hidden; but
    # the headline's numerator is Neglect's, so the headline is hidden as well.
    rows = table({"Hartlepool": (9, 24)}, unit="percent", indicator="2.2.4")
    for category, n in (("Neglect", 9), ("Emotional", 3), ("Physical", 12)):
        rows += table(
            {"Hartlepool": (n, 24)},
            unit="percent",
            indicator="2.2.4",
            breakdown=("category", category),
        )
    assert hidden(rows) == {"Hartlepool", "Hartlepool:Neglect", "Hartlepool:Emotional"}


def test_labelled_numerators_are_not_parts() -> None:
    # 3.2.2: all three agencies at 10 of 40 meetings; Police at 3 (small), Health at 30,
    # Education at 33. One meeting can count for several agencies: nothing adds up.
    rows = table({"Hartlepool": (10, 40)}, unit="percent", indicator="3.2.2")
    for agency, n in (("Police", 3), ("Health", 30), ("Education", 33)):
        rows += table(
            {"Hartlepool": (n, 40)},
            unit="percent",
            indicator="3.2.2",
            breakdown=("measure", agency),
        )
    assert hidden(rows) == {"Hartlepool:Police"}


def test_relations_together_cannot_pin_a_cell_down() -> None:
    # Challenges by raising (rows) and receiving (columns) organisation, with both margins
    # published. Nine cells of 1 are small. Every row and column of cells has two or more of
    # them, so no relation alone gives one away; but together they do: Health to Education is
    # (Health's 13 - 10) - ((22 - 10 - 10) + (22 - 10 - 10) - (22 - 10 - 10)) = 1. One more cell
    # goes: the smallest the sum uses (10s), the first in the results: Police to Education.
    orgs = ["Police", "Health", "Education", "Council"]
    cells = [
        [1, 1, 10, 10],
        [1, 1, 1, 10],
        [10, 10, 1, 1],
        [10, 10, 1, 1],
    ]
    rows = table({"Hartlepool": 79}, indicator="4.2.2")
    for name, margins in (
        ("raising_organisation", [sum(r) for r in cells]),
        ("receiving_organisation", [sum(c) for c in zip(*cells, strict=True)]),
    ):
        for org, n in zip(orgs, margins, strict=True):
            rows += table({"Hartlepool": n}, indicator="4.2.2", breakdown=(name, org))
    for raising, row in zip(orgs, cells, strict=True):
        for receiving, n in zip(orgs, row, strict=True):
            rows += table(
                {"Hartlepool": n}, indicator="4.2.2", breakdown=(TWO_WAY, f"{raising}|{receiving}")
            )
    small = {
        f"Hartlepool:{a}|{b}"
        for a, row in zip(orgs, cells, strict=True)
        for b, n in zip(orgs, row, strict=True)
        if n == 1
    }
    assert hidden(rows) == small | {"Hartlepool:Police|Education"}
