"""Small-number suppression, primary and secondary, on hand-worked tables."""

from __future__ import annotations

from typing import Any

import polars as pl

from tees_dataset.catalogue.models import Catalogue
from tees_dataset.compute import RESULT_COLUMNS
from tees_dataset.compute.suppress import suppress, suppress_quarters

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
    quarter: str = "2024Q3",
) -> list[dict[str, Any]]:
    rows = []
    for area, figure in values.items():
        num, den = figure if isinstance(figure, tuple) else (figure, None)
        value = None if num is None else (num if unit == "count" else round(100 * num / den, 1))
        rows.append({
            "quarter": quarter, "area": area, "area_code": "", "area_type": "", "indicator_id": indicator,
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


# Relations across quarters and between indicators: they need the catalogue.


def hidden_together(rows: list[dict[str, Any]], catalogue: Catalogue | None) -> set[str]:
    """`quarter indicator area[:breakdown value]` of every row suppressed, the quarters (each
    row's `quarter`) suppressed together."""
    schema = {
        c: (pl.Float64 if c in ("numerator", "denominator", "value") else pl.String)
        for c in RESULT_COLUMNS
    }
    quarters = sorted({r["quarter"] for r in rows})
    frames = {
        q: pl.DataFrame([r for r in rows if r["quarter"] == q], schema=schema) for q in quarters
    }
    out = suppress_quarters(frames, PARTNERSHIPS, catalogue)
    assert list(out) == quarters
    return {
        f"{r['quarter']} {r['indicator_id']} {r['area']}"
        + (f":{r['breakdown_value']}" if r["breakdown"] else "")
        for frame in out.values()
        for r in frame.to_dicts()
        if r["status"] == "suppressed"
    }


TWELVE_MONTHS = "12 months to quarter end"


def test_a_quarter_cannot_be_worked_out_from_the_12_month_turnover(catalogue: Catalogue) -> None:
    # E1.1 in Hartlepool: 10, 12, 3 and 9 FTE leavers in the four quarters to 2024Q3; the
    # 12-month figure is their sum, 34, over 2024Q3's 100 in post. 2024Q2's 3 is small, and
    # 34 - 10 - 12 - 9 = 3: one more of them goes, the smallest (2024Q3's 9). Its 100 in post
    # is still shown, beside the 12-month figure.
    rows = []
    for quarter, leavers, in_post in (
        ("2023Q4", 10, 90),
        ("2024Q1", 12, 95),
        ("2024Q2", 3, 98),
        ("2024Q3", 9, 100),
    ):
        rows += table({"Hartlepool": (leavers, in_post)}, "percent", "E1.1", quarter=quarter)
    rows += table({"Hartlepool": (34, 100)}, "percent", "E1.1", ("period", TWELVE_MONTHS), "2024Q3")
    assert hidden_together(rows, None) == {"2024Q2 E1.1 Hartlepool"}  # 3 = 34 - 10 - 12 - 9
    assert hidden_together(rows, catalogue) == {"2024Q2 E1.1 Hartlepool", "2024Q3 E1.1 Hartlepool"}


def test_a_quarter_by_sector_is_not_its_12_month_figure(catalogue: Catalogue) -> None:
    # E1.1 in Hartlepool, 2024Q3 alone: police 3 leavers (small) and health 10, 13 in all; over
    # the 12 months, police 20 and health 30 (50). The quarter's 13 less its health 10 gives the
    # police 3, so the health goes; the 12-month figures are sums over other quarters too, and
    # stay (the quarter's police figure is not the 12 months', nor its headline the sum of
    # the 12 months' sectors).
    rows = table({"Hartlepool": (13, 100)}, "percent", "E1.1")
    rows += table({"Hartlepool": (50, 100)}, "percent", "E1.1", ("period", TWELVE_MONTHS))
    for sector, quarter, year in (("Police", 3, 20), ("Health", 10, 30)):
        rows += table({"Hartlepool": (quarter, 50)}, "percent", "E1.1", ("sector", sector))
        rows += table(
            {"Hartlepool": (year, 50)},
            "percent",
            "E1.1",
            ("period|sector", f"{TWELVE_MONTHS}|{sector}"),
        )
    expected = {"2024Q3 E1.1 Hartlepool:Police", "2024Q3 E1.1 Hartlepool:Health"}
    assert hidden_together(rows, None) == expected
    assert hidden_together(rows, catalogue) == expected


def test_12_month_figures_by_sector_a_quarter_apart(catalogue: Catalogue) -> None:
    # E1.1 by sector in Hartlepool, 2023Q3 to 2024Q3, as a build computes it: breakdowns for
    # 2024Q3, the quarter before and the year before; headlines only for 2023Q4 and 2024Q1;
    # 12-month figures for 2024Q3 and 2024Q2. Police leavers 7, 4, 5, 6 and 2 (small, in
    # 2024Q3), health 10 a quarter. 2024Q3's headline (12) less its health 10 would give the 2
    # away: the 10 goes too. Across quarters, police over the 12 months to 2024Q3 (17) less
    # those to 2024Q2 (22) is 2024Q3's police less 2023Q3's (7): 2. So one of the figures it
    # is worked out from goes, the smallest: 2023Q3's police (7); then 2023Q3's headline (17)
    # less its health would give that 7, so its health 10 goes as well (10 < 17).
    police = {"2023Q3": 7, "2023Q4": 4, "2024Q1": 5, "2024Q2": 6, "2024Q3": 2}
    rows = []
    for quarter, leavers in police.items():
        rows += table({"Hartlepool": (leavers + 10, 100)}, "percent", "E1.1", quarter=quarter)
        if quarter in ("2023Q3", "2024Q2", "2024Q3"):
            for sector, n in (("Police", leavers), ("Health", 10)):
                rows += table(
                    {"Hartlepool": (n, 50)}, "percent", "E1.1", ("sector", sector), quarter
                )
    for quarter in ("2024Q2", "2024Q3"):
        spans = [q for q in police if q <= quarter][-4:]
        rows += table(
            {"Hartlepool": (sum(police[q] + 10 for q in spans), 100)},
            "percent",
            "E1.1",
            ("period", TWELVE_MONTHS),
            quarter,
        )
        for sector, n in (("Police", sum(police[q] for q in spans)), ("Health", 40)):
            rows += table(
                {"Hartlepool": (n, 50)},
                "percent",
                "E1.1",
                ("period|sector", f"{TWELVE_MONTHS}|{sector}"),
                quarter,
            )
    before = hidden_together(rows, None)
    assert before == {"2024Q3 E1.1 Hartlepool:Police", "2024Q3 E1.1 Hartlepool:Health"}
    assert hidden_together(rows, catalogue) == before | {
        "2023Q3 E1.1 Hartlepool:Police",
        "2023Q3 E1.1 Hartlepool:Health",
    }


def test_two_indicators_that_count_the_same_rows_hide_alike(catalogue: Catalogue) -> None:
    # 4.2.2 and 4.2.3 both count every professional challenge: their headlines are the same
    # figure. 4.2.3 by outcome: Stockton's 3 resolved are small; HSSCP's 11 resolved would
    # give them away from Hartlepool's 8, which goes; Stockton's 10 less its 7 escalated too,
    # which go (7 < 10), and so HSSCP's 7 escalated (beside Hartlepool's 0); Hartlepool's
    # headline is its 8 resolved and 0 escalated, and goes; HSSCP's 11 resolved (18 less the
    # hidden 7), and then Stockton's headline (18 less Hartlepool's hidden 8) go as well.
    # 4.2.2 shows only headlines, none of them small; but they are 4.2.3's: Hartlepool's 8 and
    # Stockton's 10 are hidden with them.
    rows = table({"Hartlepool": 8, "Stockton-on-Tees": 10, "HSSCP": 18}, indicator="4.2.3")
    for label, figures in (
        ("Resolved - agreed with challenge", (8, 3, 11)),
        ("Escalated", (0, 7, 7)),
    ):
        rows += table(
            dict(zip(("Hartlepool", "Stockton-on-Tees", "HSSCP"), figures, strict=True)),
            indicator="4.2.3",
            breakdown=("outcome", label),
        )
    rows += table({"Hartlepool": 8, "Stockton-on-Tees": 10, "HSSCP": 18}, indicator="4.2.2")
    by_outcome = {
        "2024Q3 4.2.3 Stockton-on-Tees:Resolved - agreed with challenge",
        "2024Q3 4.2.3 Hartlepool:Resolved - agreed with challenge",
        "2024Q3 4.2.3 Stockton-on-Tees:Escalated",
        "2024Q3 4.2.3 HSSCP:Escalated",
        "2024Q3 4.2.3 Hartlepool",
        "2024Q3 4.2.3 HSSCP:Resolved - agreed with challenge",
        "2024Q3 4.2.3 Stockton-on-Tees",
    }
    assert hidden_together(rows, None) == by_outcome
    assert hidden_together(rows, catalogue) == by_outcome | {
        "2024Q3 4.2.2 Hartlepool",
        "2024Q3 4.2.2 Stockton-on-Tees",
    }


def test_a_proportion_of_some_outcomes_is_hidden_with_them(catalogue: Catalogue) -> None:
    # 3.2.3: Hartlepool's 40 strategy discussions by outcome: no further action 3 (small),
    # S47 joint 8, S47 single agency 12, other 17. The smallest other, the 8 joint S47s, is
    # hidden. 3.2.4, joint S47s (8) of all S47s (20), shows it: 3.2.4 is hidden too (and with
    # it the 20, which with the 12 single-agency S47s would give the 8 away as well).
    rows = table({"Hartlepool": 40}, indicator="3.2.3")
    for label, n in (
        ("No further action", 3),
        ("S47 joint", 8),
        ("S47 single agency", 12),
        ("Other", 17),
    ):
        rows += table({"Hartlepool": n}, indicator="3.2.3", breakdown=("outcome", label))
    rows += table({"Hartlepool": (8, 20)}, "percent", "3.2.4")
    outcomes = {"2024Q3 3.2.3 Hartlepool:No further action", "2024Q3 3.2.3 Hartlepool:S47 joint"}
    assert hidden_together(rows, None) == outcomes
    assert hidden_together(rows, catalogue) == outcomes | {"2024Q3 3.2.4 Hartlepool"}


def test_terms_that_add_up_relate_indicators(catalogue: Catalogue) -> None:
    # Workforce in Hartlepool: 1 FTE leaver (small) of 30 in post (E1.1). E1.2's denominator,
    # 6 vacancies plus 30 in post, less its numerator gives E1.1's 30 in post: E1.2 goes too.
    rows = table({"Hartlepool": (1, 30)}, "percent", "E1.1")
    rows += table({"Hartlepool": (6, 36)}, "percent", "E1.2")
    assert hidden_together(rows, None) == {"2024Q3 E1.1 Hartlepool"}
    assert hidden_together(rows, catalogue) == {"2024Q3 E1.1 Hartlepool", "2024Q3 E1.2 Hartlepool"}


def test_a_filter_on_a_breakdown_column_picks_its_rows(catalogue: Catalogue) -> None:
    # 4.2.4 counts the challenges resolved: 4.2.3's outcomes that begin "Resolved". Hartlepool's
    # 30 challenges: resolved by agreement 4 (small), resolved not upheld 9, escalated 7, open
    # 10. 4.2.3 alone hides the 7 (the smallest other). 4.2.4's 13 less the 9 would give the 4:
    # the 9 goes (9 < 13). Then 30 - 10 - 13 would give the 7: the smallest figure it is worked
    # out from, the open 10, goes too. 4.2.4's 13 stays: 4 and 9 are hidden, and so are 7 and
    # 10 (17 together).
    rows = table({"Hartlepool": 30}, indicator="4.2.3")
    for label, n in (
        ("Resolved - agreed with challenge", 4),
        ("Resolved - challenge not upheld", 9),
        ("Escalated", 7),
        ("Open", 10),
    ):
        rows += table({"Hartlepool": n}, indicator="4.2.3", breakdown=("outcome", label))
    rows += table({"Hartlepool": 13}, indicator="4.2.4")
    outcomes = {
        "2024Q3 4.2.3 Hartlepool:Resolved - agreed with challenge",
        "2024Q3 4.2.3 Hartlepool:Escalated",
    }
    assert hidden_together(rows, None) == outcomes
    assert hidden_together(rows, catalogue) == outcomes | {
        "2024Q3 4.2.3 Hartlepool:Resolved - challenge not upheld",
        "2024Q3 4.2.3 Hartlepool:Open",
    }
