"""Findings: evidence only from statistics, no indicator both a concern and a strength, themed
key lines of enquiry ranked by the strength of their evidence, and targets."""

from __future__ import annotations

from typing import Any

from tees_dataset.catalogue.models import Catalogue, Indicator
from tees_dataset.compute.findings import (
    MAX_ENQUIRIES,
    Evidence,
    classify,
    enquiries,
    evidence,
    strengths,
    target_status,
)
from tees_dataset.quarter import Quarter

LAS = ["Hartlepool", "Stockton-on-Tees"]


def _row(ind: str, area: str, x: float, n: float, **extra: Any) -> dict[str, Any]:
    return {"indicator_id": ind, "area": area, "unit": "percent", "status": "ok",
            "value": 100 * x / n, "numerator": x, "denominator": n, "signal": "no_significant_change",
            "signal_basis": "change on a year ago (Newcombe's interval): not significant",
            "ci_lower": None, "ci_upper": None} | extra  # fmt: skip


def _keyed(*rows: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["indicator_id"], r["area"]): r for r in rows}


def _evidence(catalogue: Catalogue, *rows: dict[str, Any]) -> list[Evidence]:
    hsscp = next(p for p in catalogue.partnerships if p.id == "HSSCP")
    return evidence(catalogue, hsscp, LAS, _keyed(*rows), {}, {})


def test_an_improvement_and_a_gap_make_a_concern_never_also_a_strength(
    catalogue: Catalogue,
) -> None:
    # 3.2.1: the partnership improved significantly, but its authorities are far apart
    # (80 of 100 against 40 of 100: Newcombe's interval for the gap is well above 0).
    items = _evidence(
        catalogue,
        _row("3.2.1", "HSSCP", 120, 200, signal="improvement",
             signal_basis="change on a year ago (Newcombe's interval): significant"),
        _row("3.2.1", "Hartlepool", 80, 100), _row("3.2.1", "Stockton-on-Tees", 40, 100),
    )  # fmt: skip
    assert {e.kind for e in items} == {"strength", "concern"}
    assert classify(items) == {"3.2.1": "concern"}
    assert strengths(items) == []
    found = enquiries(catalogue, items, [])
    assert [e.theme for e in found] == ["timeliness"]
    gap = next(e for e in items if e.kind == "concern")
    assert gap.text.startswith(
        "Hartlepool 80.0% (80 of 100) and Stockton-on-Tees 40.0% (40 of 100)"
    )


def test_no_evidence_from_a_change_that_is_not_significant_or_a_small_base(
    catalogue: Catalogue,
) -> None:
    items = _evidence(
        catalogue,
        _row("3.2.1", "HSSCP", 70, 100),  # not significant
        _row("3.2.1", "Hartlepool", 3, 4), _row("3.2.1", "Stockton-on-Tees", 1, 4),  # 3 of 4, 1 of 4
    )  # fmt: skip
    assert items == []


def test_partner_attendance_is_one_theme_not_three(catalogue: Catalogue) -> None:
    concern = {
        "signal": "concern",
        "signal_basis": "change on a year ago (Newcombe's interval): significant",
    }
    items = _evidence(
        catalogue,
        *(_row(ind, "HSSCP", 40, 100, **concern) for ind in ("3.3.2", "4.3.2", "4.3.3")),
    )
    found = enquiries(catalogue, items, [])
    assert len(found) == 1
    assert found[0].title == "Partner attendance"
    assert sorted(e.indicator_id for e in found[0].evidence) == ["3.3.2", "4.3.2", "4.3.3"]
    # The strongest piece (2.0) plus half of each of the other two: 2 + 1 + 1.
    assert found[0].weight == 4.0


def test_at_most_six_enquiries_strongest_first(catalogue: Catalogue) -> None:
    spc = {
        "signal": "concern",
        "signal_basis": "SPC over 12 quarters: special cause (a point beyond a process limit)",
    }
    change = {"signal": "concern", "signal_basis": "change on a year ago (Newcombe's interval): significant"}  # fmt: skip
    # Concerns in eight themes (indicators of different objectives and themes); one of them by SPC.
    ids = ["1.2.4", "2.1.3", "2.2.4", "3.3.3", "3.4.5", "4.1.4", "E1.1", "E2.1"]
    rows = [_row(ind, "HSSCP", 40, 100, **(spc if ind == "E2.1" else change)) for ind in ids]
    found = enquiries(catalogue, _evidence(catalogue, *rows), ["Police: Workforce missing"])
    assert len(found) == MAX_ENQUIRIES == 6
    assert found[0].evidence[0].indicator_id == "E2.1"  # a point beyond a limit weighs most (3)
    assert found[0].weight == 3.0 and all(e.weight == 2.0 for e in found[1:])
    # A missing return (weight 1) is outranked by the eight concerns and left out.
    assert all(e.theme != "data-completeness" for e in found)


def test_missing_returns_are_an_enquiry_of_their_own(catalogue: Catalogue) -> None:
    found = enquiries(catalogue, [], ["Police: Conferences missing", "ICB: Workforce rejected"])
    assert [e.title for e in found] == ["Missing and rejected returns"]
    assert found[0].weight == 1.5  # 1 for the first, half for the second


def _target_indicator(per: str, direction: str = "at_least") -> Indicator:
    return Indicator.model_validate({
        "id": "E2.2", "title": "Audits", "definition": "d", "source": "s", "unit": "count",
        "measure": {"kind": "count"}, "polarity": "higher_is_better",
        "target": {"value": 12, "direction": direction, "per": per},
    })  # fmt: skip


def test_targets_by_quarter_and_by_year() -> None:
    q = Quarter(2024, 3)
    ok = {"status": "ok", "value": 13.0}
    met = target_status(_target_indicator("quarter"), ok, {}, q, "HSSCP")
    assert met is not None and (met.verdict, met.symbol) == ("Met", "✔")
    missed = target_status(_target_indicator("quarter", "at_most"), ok, {}, q, "HSSCP")
    assert missed is not None and missed.verdict == "Not met"
    # A yearly target sums the four quarters to this one: 2 + 3 + 4 + 2 = 11, short of 12.
    trend = {(str(q.shift(-n)), "HSSCP"): {"status": "ok", "value": v}
             for n, v in enumerate([2.0, 3.0, 4.0, 2.0])}  # fmt: skip
    year = target_status(_target_indicator("year"), ok, trend, q, "HSSCP")
    assert year is not None and year.verdict == "Not met" and year.value == 11.0
    del trend[(str(q.shift(-3)), "HSSCP")]
    unjudged = target_status(_target_indicator("year"), ok, trend, q, "HSSCP")
    assert unjudged is not None and unjudged.verdict == "Not yet judged"
