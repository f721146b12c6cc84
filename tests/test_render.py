"""Pack pieces: charts, their text alternatives, value formatting and the summary's findings."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET

from tees_dataset.catalogue.models import Indicator
from tees_dataset.render.chart import LABEL_GAP, Reference, Series, _spread, describe, trend_svg
from tees_dataset.render.context import IndicatorView, _findings, _in_sentence, format_value

SVG = "{http://www.w3.org/2000/svg}"


def test_chart_is_valid_svg_with_its_figures_as_the_title() -> None:
    series = [Series("HSSCP", [("2024Q1", 80.0), ("2024Q2", None), ("2024Q3", 75.5)]),
              Series("<Tees & co>", [("2024Q1", 70.0), ("2024Q2", 72.0), ("2024Q3", 71.0)])]  # fmt: skip
    svg = trend_svg("3.2.1 Strategy", series, "percent")
    root = ET.fromstring(svg)  # well-formed, labels escaped
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == (
        "3.2.1 Strategy. HSSCP: 2024Q1 80.0%, 2024Q3 75.5%; <Tees & co>: 2024Q1 70.0%, 2024Q2 72.0%, 2024Q3 71.0%."
    )
    assert title.text == describe("3.2.1 Strategy", series, "percent")
    # The gap for 2024Q2 breaks the HSSCP line: no segment joins Q1 to Q3 for it.
    paths = [p.get("d") for p in root.iter(f"{SVG}path") if p.get("fill") == "none"]
    assert len(paths) == 1  # only the unbroken Tees line is drawn as a path


def test_reference_lines_cross_the_chart_at_their_values_and_are_described() -> None:
    series = [Series("HSSCP", [("2024Q2", 10.0), ("2024Q3", 30.0)])]
    references = [Reference("England 2024", 20.0, "year to 31 March 2024"),
                  Reference("North East 2024", 40.0, "year to 31 March 2024")]  # fmt: skip
    svg = trend_svg("1.2.3 Re-referrals", series, "percent", references)
    root = ET.fromstring(svg)
    across = [
        e
        for e in root.iter(f"{SVG}line")
        if e.get("x1") == "34.0" and e.get("stroke-width") == "0.8"
    ]
    # Both lines span the plot, England's (20%) below the North East's (40%), which is the
    # top of the scale (the chart's range takes in the reference lines).
    assert len(across) == 2 and all(e.get("x2") == "228.0" for e in across)
    england, north_east = (float(e.get("y1") or 0) for e in across)
    assert england > north_east
    assert root.find(f"{SVG}title").text == (  # type: ignore[union-attr]
        "1.2.3 Re-referrals. HSSCP: 2024Q2 10.0%, 2024Q3 30.0%. Reference lines: England, year "
        "to 31 March 2024, 20.0%; North East, year to 31 March 2024, 40.0%."
    )
    assert {"England 2024", "North East 2024"} <= {t.text for t in root.iter(f"{SVG}text")}
    assert describe("t", series, "percent") == "t. HSSCP: 2024Q2 10.0%, 2024Q3 30.0%."


def test_one_quarter_is_not_a_trend() -> None:
    svg = trend_svg("t", [Series("A", [("2024Q3", 1.0)])], "count")
    assert "Not enough quarters" in svg


def test_end_labels_keep_apart_and_inside_the_plot() -> None:
    placed = _spread(
        [
            (50.0, "a", ("", "")),
            (51.0, "b", ("", "")),
            (52.0, "c", ("", "")),
            (99.0, "d", ("", "")),
        ],
        10,
        100,
    )
    ys = [y for y, _, _ in placed]
    assert [label for _, label, _ in placed] == ["a", "b", "c", "d"]
    assert all(b - a >= LABEL_GAP for a, b in itertools.pairwise(ys))
    assert ys[-1] <= 100 and ys[0] >= 10


def test_formatting() -> None:
    assert format_value(62.5, "percent", "ok") == "62.5%"
    assert format_value(1603.0, "count", "ok") == "1,603"
    assert format_value(None, "count", "missing") == "x"
    assert format_value(3.0, "count", "suppressed") == "c"
    assert format_value(None, "percent", "not_applicable") == "z"
    assert (
        format_value(12.25, "rate_per_10000", "ok") == "12.2"
        or format_value(12.25, "rate_per_10000", "ok") == "12.3"
    )
    assert _in_sentence("Staff turnover rates") == "staff turnover rates"
    assert _in_sentence("LADO referrals by source") == "LADO referrals by source"


def _indicator(polarity: str, unit: str = "percent") -> Indicator:
    measure = {"kind": "proportion", "numerator": "x"} if unit == "percent" else {"kind": "count"}
    return Indicator.model_validate({"id": "3.1.1", "title": "Referrals triaged", "definition": "d", "source": "s",
                                     "measure": measure, "unit": unit, "polarity": polarity})  # fmt: skip


def _row(
    value: float, previous: float | None, last_year: float | None, denominator: float = 100.0
) -> dict[str, object]:
    return {"value": value, "status": "ok", "unit": "percent", "numerator": value, "denominator": denominator,
            "previous_value": previous, "last_year_value": last_year}  # fmt: skip


def _run(
    indicator: Indicator, rows: dict[tuple[str, str], dict[str, object]]
) -> tuple[list[str], list[str]]:
    from tees_dataset.catalogue import load_catalogue
    from tests.conftest import CATALOGUE

    catalogue = load_catalogue(CATALOGUE).catalogue
    assert catalogue is not None
    view = IndicatorView("3.1.1", "t", "d", "s", "percentage", "", "framework", "", [])
    concerns: list = []  # type: ignore[type-arg]
    strengths: list = []  # type: ignore[type-arg]
    _findings(
        catalogue,
        indicator,
        view,
        rows,
        "HSSCP",
        ["Hartlepool", "Stockton-on-Tees"],
        concerns,
        strengths,
    )  # type: ignore[arg-type]
    return [f.text for f in concerns], [f.text for f in strengths]


def test_a_fall_of_five_points_in_a_higher_is_better_figure_needs_a_closer_look() -> None:
    # 70.0% now, 75.0% last quarter (down 5.0 points: notable at 5), 72.0% a year ago (down 2.0: not).
    concerns, strengths = _run(
        _indicator("higher_is_better"), {("3.1.1", "HSSCP"): _row(70.0, 75.0, 72.0)}
    )
    assert concerns == ["HSSCP 70.0%: down 5.0 points on last quarter (from 75.0%)."]
    assert strengths == []


def test_the_same_fall_in_a_lower_is_better_figure_is_a_strength() -> None:
    concerns, strengths = _run(
        _indicator("lower_is_better"), {("3.1.1", "HSSCP"): _row(70.0, 75.0, None)}
    )
    assert concerns == [] and len(strengths) == 1


def test_small_bases_and_gaps_between_authorities() -> None:
    # A 20-point swing on a base of 5 is chance, not news; authorities 12 points apart are a gap.
    rows = {("3.1.1", "HSSCP"): _row(60.0, 80.0, None, denominator=5.0),
            ("3.1.1", "Hartlepool"): _row(66.0, None, None), ("3.1.1", "Stockton-on-Tees"): _row(54.0, None, None)}  # fmt: skip
    concerns, _ = _run(_indicator("higher_is_better"), rows)
    assert concerns == ["Hartlepool and Stockton-on-Tees are 12.0 points apart (66.0% and 54.0%)."]
    assert not any(re.search("down 20", c) for c in concerns)
