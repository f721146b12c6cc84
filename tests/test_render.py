"""Pack pieces: charts, their text alternatives and scale rule, and how a figure is written."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

from tees_dataset.render.chart import (
    LABEL_GAP,
    Limits,
    Reference,
    Series,
    _spread,
    describe,
    scale,
    summary,
    trend_svg,
)
from tees_dataset.render.views import change_text, figure_text, format_value

SVG = "{http://www.w3.org/2000/svg}"


def _styled(*series: Series) -> list[tuple[Series, str]]:
    return list(zip(series, ("partnership", "tees", "first", "second"), strict=False))


def test_chart_is_valid_svg_with_a_summary_then_its_figures_as_the_title() -> None:
    series = [Series("HSSCP", [("2024Q1", 80.0), ("2024Q2", None), ("2024Q3", 75.5)]),
              Series("<Tees & co>", [("2024Q1", 70.0), ("2024Q2", 72.0), ("2024Q3", 71.0)])]  # fmt: skip
    svg = trend_svg("3.2.1 Strategy", _styled(*series), "percent")
    root = ET.fromstring(svg)  # well-formed, labels escaped
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == (
        "HSSCP fell from 80.0% in 2024Q1 to 75.5% in 2024Q3. 3.2.1 Strategy. "
        "HSSCP: 2024Q1 80.0%, 2024Q3 75.5%; <Tees & co>: 2024Q1 70.0%, 2024Q2 72.0%, 2024Q3 71.0%."
    )
    assert title.text == describe("3.2.1 Strategy", series, "percent")
    # The gap for 2024Q2 breaks the HSSCP line: no segment joins Q1 to Q3 for it.
    paths = [p.get("d") for p in root.iter(f"{SVG}path") if p.get("fill") == "none"]
    assert len(paths) == 1  # only the unbroken Tees line is drawn as a path
    # Each line is labelled with its latest value.
    texts = {t.text for t in root.iter(f"{SVG}text")}
    assert {"HSSCP 75.5%", "<Tees & co> 71.0%"} <= texts


def test_the_summary_sentence_says_which_way_the_trend_went() -> None:
    up = [Series("P", [("2024Q1", 10.0), ("2024Q2", 5.0), ("2024Q3", 12.0)])]
    assert summary(up, "count") == "P rose from 10 in 2024Q1 to 12 in 2024Q3."
    flat = [Series("P", [("2024Q1", 10.0), ("2024Q3", 10.0)])]
    assert summary(flat, "count") == "P was 10 in both 2024Q1 and 2024Q3."
    assert summary([Series("P", [("2024Q3", None)])], "count") == (
        "P has no figures for these quarters."
    )


def test_reference_lines_cross_the_chart_at_their_values_and_are_described() -> None:
    series = [Series("HSSCP", [("2024Q2", 10.0), ("2024Q3", 30.0)])]
    references = [Reference("England 2024", 20.0, "year to 31 March 2024"),
                  Reference("North East 2024", 40.0, "year to 31 March 2024")]  # fmt: skip
    root = ET.fromstring(trend_svg("1.2.3 Re-referrals", _styled(*series), "percent", references))
    across = [e for e in root.iter(f"{SVG}line") if e.get("stroke-width") == "0.8"
              and e.get("x1") != e.get("x2") and e.get("y1") == e.get("y2")
              and float(e.get("x2") or 0) - float(e.get("x1") or 0) > 20]  # fmt: skip
    assert len(across) == 2
    england, north_east = (float(e.get("y1") or 0) for e in across)
    assert england > north_east  # 20% is drawn lower than 40%
    assert {"England 2024", "North East 2024"} <= {t.text for t in root.iter(f"{SVG}text")}
    assert describe("t", series, "percent", references).endswith(
        "Reference lines: England, year to 31 March 2024, 20.0%; North East, year to 31 March "
        "2024, 40.0%."
    )


def test_one_scale_rule() -> None:
    # Counts, rates and days start at zero, whatever their range.
    low, high, step, broken = scale([410.0, 455.0], "count")
    assert (low, broken) == (0.0, False) and high >= 455
    # A percentage starts at zero, never goes past 100%...
    low, high, step, broken = scale([12.0, 99.0], "percent")
    assert (low, high, broken) == (0.0, 100.0, False)
    # ...unless its points sit high and close together: then the axis starts at a round value
    # below the lowest point and the break is marked.
    low, high, step, broken = scale([81.0, 86.0], "percent")
    assert broken and 0 < low < 81 and low % step == 0 and high <= 100
    svg = trend_svg("t", _styled(Series("P", [("2024Q2", 81.0), ("2024Q3", 86.0)])), "percent")
    assert svg.count('stroke-width="0.8"/>') >= 1  # the break mark on the axis


def test_rounded_ticks_and_gridlines() -> None:
    root = ET.fromstring(
        trend_svg("t", _styled(Series("P", [("2024Q2", 3.0), ("2024Q3", 104.0)])), "count")
    )
    ticks = [t.text for t in root.iter(f"{SVG}text") if t.get("text-anchor") == "end"]
    assert ticks == ["0", "50", "100", "150"]  # round steps, from zero, past the highest point
    grid = [e for e in root.iter(f"{SVG}line") if e.get("stroke") == "#d0d0d0"]
    assert len(grid) == len(ticks)


def test_a_count_is_drawn_in_two_panels_so_the_totals_do_not_flatten_the_authorities() -> None:
    quarters = ["2024Q2", "2024Q3"]
    series = [Series("HSSCP", list(zip(quarters, [900.0, 950.0], strict=True))),
              Series("Tees", list(zip(quarters, [2000.0, 2100.0], strict=True))),
              Series("Hartlepool", list(zip(quarters, [300.0, 320.0], strict=True))),
              Series("Stockton-on-Tees", list(zip(quarters, [600.0, 630.0], strict=True)))]  # fmt: skip
    root = ET.fromstring(trend_svg("t", _styled(*series), "count", split=True))
    ticks = [t.text for t in root.iter(f"{SVG}text") if t.get("text-anchor") == "end"]
    # The authorities' panel tops out near 630, the totals' near 2,100: two scales.
    assert "600" in ticks or "800" in ticks
    assert any(t in ticks for t in ("2,000", "2,500"))


def test_spc_limits_are_drawn_and_special_points_ringed() -> None:
    quarters = [f"Q{i}" for i in range(12)]
    values = [50.0] * 11 + [90.0]
    series = [Series("P", list(zip(quarters, values, strict=True)))]
    limits = Limits(
        "P",
        53.3,
        40.0,
        66.6,
        [False] * 11 + [True],
        "the latest quarter is special cause (concern)",
    )
    root = ET.fromstring(trend_svg("t", _styled(*series), "percent", limits=limits))
    rings = [c for c in root.iter(f"{SVG}circle") if c.get("r") == "4.6"]
    assert len(rings) == 1
    title = root.find(f"{SVG}title")
    assert title is not None and title.text is not None
    assert title.text.startswith(
        "P rose from 50.0% in Q0 to 90.0% in Q11; the latest quarter is special cause (concern)."
    )
    assert "P's mean 53.3%, process limits 40.0% and 66.6%." in title.text


def test_one_quarter_is_not_a_trend() -> None:
    svg = trend_svg("t", _styled(Series("A", [("2024Q3", 1.0)])), "count")
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
    assert change_text(3.46, "percent") == "+3.5"
    assert change_text(-12.0, "count") == "−12"
    assert change_text(0.0, "count") == "0"


def test_a_percentage_of_fewer_cases_than_the_minimum_base_is_shown_as_n_of_d() -> None:
    row = {"unit": "percent", "status": "ok", "value": 50.0, "numerator": 2.0, "denominator": 4.0}
    assert figure_text(row, 10) == "2 of 4"
    assert figure_text(row | {"numerator": 6.0, "denominator": 12.0}, 10) == "50.0%"
    assert figure_text(row | {"status": "suppressed"}, 10) == "c"
    assert figure_text(None, 10) == "x"
