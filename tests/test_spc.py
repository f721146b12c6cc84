"""XmR charts and the Making Data Count icons, on hand-made series worked out by hand and on
NHSRplotthedots' own test data."""

from __future__ import annotations

import pytest

from tees_dataset.compute.spc import (
    ASSURANCE_LABELS,
    VARIATION_LABELS,
    XmR,
    assurance,
    variation,
    xmr,
)


def marked(chart: XmR, rule: str) -> list[int]:
    """The positions of the points a rule marks."""
    return [i for i, point in enumerate(chart.points) if rule in point.rules]


def special(chart: XmR) -> list[int]:
    return [i for i, point in enumerate(chart.points) if point.special]


# Six points below the mean and six above, none close to a limit: mean 120/12 = 10, every
# moving range 2 (the step 9 -> 11 included), so MR-bar 2, limits 10 ± 5.32 (4.68 to 15.32) and
# "close" lines 10 ± (2/3)·5.32 (6.4533 to 13.5467).
STEADY = [7, 9, 7, 9, 7, 9, 11, 13, 11, 13, 11, 13]


def test_limits_worked_by_hand() -> None:
    chart = xmr(STEADY)
    assert chart.mean == pytest.approx(10.0, abs=1e-12)
    assert chart.mr_bar == pytest.approx(2.0, abs=1e-12)
    assert (chart.lower, chart.upper) == pytest.approx((4.68, 15.32), abs=1e-12)
    assert (chart.near_lower, chart.near_upper) == pytest.approx(
        (10 - 2 / 3 * 5.32, 10 + 2 / 3 * 5.32), abs=1e-12
    )
    assert not chart.trial
    assert special(chart) == []
    assert all(point.side == "" and point.rules == frozenset() for point in chart.points)
    assert variation(chart, "higher_is_better") == "common_cause"


# --- Rule 1: beyond a process limit -------------------------------------------------------------
def test_a_point_above_the_upper_limit() -> None:
    # 8, 12 seven times, then 30: mean 170/15 = 11.333 (the 8s below it, the 12s above). The
    # moving ranges are thirteen 4s and 18; their mean 70/14 = 5, and 18 >= 3.267·5 = 16.335
    # is screened out, leaving MR-bar 4 and an upper limit of 11.333 + 10.64 = 21.973.
    chart = xmr([8, 12] * 7 + [30])
    assert chart.mean == pytest.approx(170 / 15, abs=1e-12)
    assert chart.mr_bar == pytest.approx(4.0, abs=1e-12)
    assert chart.upper == pytest.approx(170 / 15 + 10.64, abs=1e-12)
    assert special(chart) == [14]
    assert chart.points[14].rules == frozenset({"beyond_limit"})
    assert chart.points[14].side == "high"
    assert variation(chart, "higher_is_better") == "improvement"
    assert variation(chart, "lower_is_better") == "concern"
    assert variation(chart, "neither") == "neutral"


def test_a_point_below_the_lower_limit() -> None:
    # 8, 12 seven times, then -10: mean 130/15 = 8.667; the moving range 22 is screened out
    # (22 >= 3.267 · 74/14), MR-bar 4, lower limit 8.667 - 10.64 = -1.973.
    chart = xmr([8, 12] * 7 + [-10])
    assert chart.lower == pytest.approx(130 / 15 - 10.64, abs=1e-12)
    assert special(chart) == [14]
    assert chart.points[14].rules == frozenset({"beyond_limit"})
    assert chart.points[14].side == "low"
    assert variation(chart, "higher_is_better") == "concern"
    assert variation(chart, "lower_is_better") == "improvement"
    assert variation(chart, "neither") == "neutral"


def test_a_point_inside_the_limits_is_common_cause() -> None:
    # 8, 12 seven times, then 10: mean 150/15 = 10, MR-bar 54/14, every point well inside.
    chart = xmr([8, 12] * 7 + [10])
    assert special(chart) == []
    assert variation(chart, "higher_is_better") == "common_cause"
    assert variation(chart, "neither") == "common_cause"


# --- Rule 2: a shift ---------------------------------------------------------------------------
def test_seven_on_each_side_of_the_mean_are_shifts() -> None:
    # Mean 140/14 = 10, all thirteen moving ranges 2: MR-bar 2, "close" lines 6.45 and 13.55.
    chart = xmr([9, 7, 9, 7, 9, 7, 9, 11, 13, 11, 13, 11, 13, 11])
    assert chart.mean == pytest.approx(10.0, abs=1e-12)
    assert chart.mr_bar == pytest.approx(2.0, abs=1e-12)
    assert marked(chart, "shift") == list(range(14))
    assert special(chart) == list(range(14))
    assert all(point.rules == frozenset({"shift"}) for point in chart.points)
    assert [point.side for point in chart.points] == ["low"] * 7 + ["high"] * 7
    assert variation(chart, "higher_is_better") == "improvement"
    assert variation(chart, "lower_is_better") == "concern"


def test_six_on_each_side_of_the_mean_are_not() -> None:
    assert marked(xmr(STEADY), "shift") == []


def test_a_point_on_the_mean_breaks_a_shift() -> None:
    # Sums 58 and 82: mean exactly 10, and each half has a 10 fourth, on the mean: runs of 3.
    on_the_mean = xmr([9, 7, 9, 10, 7, 9, 7, 11, 13, 11, 10, 13, 11, 13])
    assert on_the_mean.mean == 10.0
    assert marked(on_the_mean, "shift") == []
    assert special(on_the_mean) == []
    # The same with those two points just off the mean (9.5 and 10.5, the mean still 10):
    # seven below and seven above.
    off_the_mean = xmr([9, 7, 9, 9.5, 7, 9, 7, 11, 13, 11, 10.5, 13, 11, 13])
    assert off_the_mean.mean == 10.0
    assert marked(off_the_mean, "shift") == list(range(14))


def test_a_longer_shift_marks_every_point_of_it() -> None:
    # Eight above the mean then one below, as NHSRplotthedots' ptd_seven_point_one_side_mean
    # test has c(rep(1, 8), -1): the eight are one run. Sum 12 - 12: mean 0.
    chart = xmr([1, 2] * 4 + [-12])
    assert chart.mean == 0.0
    assert marked(chart, "shift") == list(range(8))


# --- Rule 3: a trend ---------------------------------------------------------------------------
def test_seven_rising_points_are_a_trend() -> None:
    # 8 to 14 rising by 1 after 12, 8, 12, 8, 12: mean 129/12 = 10.75, MR-bar 26/11 = 2.36,
    # upper limit 17.04, "close" line 14.94; no shift (at most 4 in a row above 10.75).
    chart = xmr([12, 8, 12, 8, 12, 8, 9, 10, 11, 12, 13, 14])
    assert chart.mean == pytest.approx(129 / 12, abs=1e-12)
    assert chart.mr_bar == pytest.approx(26 / 11, abs=1e-12)
    assert marked(chart, "trend") == list(range(5, 12))
    assert special(chart) == list(range(5, 12))
    # Points below the mean too are part of a rising trend: their side is the trend's.
    assert [chart.points[i].side for i in range(5, 12)] == ["high"] * 7
    assert variation(chart, "higher_is_better") == "improvement"
    assert variation(chart, "lower_is_better") == "concern"
    assert variation(chart, "neither") == "neutral"


def test_seven_falling_points_are_a_trend() -> None:
    chart = xmr([8, 12, 8, 12, 8, 12, 11, 10, 9, 8, 7, 6])
    assert marked(chart, "trend") == list(range(5, 12))
    assert [chart.points[i].side for i in range(5, 12)] == ["low"] * 7
    assert variation(chart, "higher_is_better") == "concern"
    assert variation(chart, "lower_is_better") == "improvement"


def test_six_rising_points_are_not_a_trend() -> None:
    chart = xmr([12, 8, 12, 8, 12, 8, 12, 9, 10, 11, 12, 13, 14])
    assert marked(chart, "trend") == []


def test_equal_consecutive_values_break_a_trend() -> None:
    # 8, 9, 10 then 10, 11, 12, 13, 14: runs of 3 and 5.
    chart = xmr([12, 8, 12, 8, 12, 8, 9, 10, 10, 11, 12, 13, 14])
    assert marked(chart, "trend") == []


def test_nhsrplotthedots_trend_cases() -> None:
    # github:nhs-r-community/NHSRplotthedots, tests/testthat/test-ptd_calculate_point_type.R,
    # ptd_seven_point_trend: c(1:3, 3:6) has no trend; c(2, 1:7, 3) has one, 1 to 7; and
    # ptd_part_of_seven_trend marks all seven points of it.
    assert marked(xmr([1, 2, 3, 3, 4, 5, 6]), "trend") == []
    assert marked(xmr([2, 1, 2, 3, 4, 5, 6, 7, 3]), "trend") == list(range(1, 8))
    assert marked(xmr([2, 7, 6, 5, 4, 3, 2, 1, 3]), "trend") == list(range(1, 8))


def test_a_turning_point_takes_the_later_trend() -> None:
    # Rising 1..7 (positions 3-9) then falling 7..1 (positions 9-15); position 9 is in both and
    # NHSRplotthedots reads it with the later run, falling.
    values = [4, 0, 8, 1, 2, 3, 4, 5, 6, 7, 6, 5, 4, 3, 2, 1]
    chart = xmr(values)
    assert marked(chart, "trend") == list(range(3, 16))
    assert "beyond_limit" not in chart.points[9].rules
    assert [chart.points[i].side for i in range(3, 9)] == ["high"] * 6
    assert [chart.points[i].side for i in range(9, 16)] == ["low"] * 7


# --- Rule 4: two of three close to a limit -----------------------------------------------------
def test_two_of_three_close_to_the_upper_limit() -> None:
    # 1, -1 seven times, then 5.5, 1, 5.5: mean 12/17 = 0.706; moving ranges thirteen 2s, 6.5,
    # 4.5, 4.5: MR-bar 41.5/16 = 2.594 (none screened); "close" line 0.706 + 4.600 = 5.306,
    # upper limit 7.605. Both 5.5s are close to it, and 1 is above the mean too.
    chart = xmr([1, -1] * 7 + [5.5, 1, 5.5])
    assert chart.mean == pytest.approx(12 / 17, abs=1e-12)
    assert chart.mr_bar == pytest.approx(41.5 / 16, abs=1e-12)
    assert chart.near_upper < 5.5 < chart.upper
    # The two points close to the limit are marked, not the one between them.
    assert special(chart) == [14, 16]
    assert chart.points[14].rules == chart.points[16].rules == frozenset({"two_of_three"})
    assert chart.points[16].side == "high"
    assert variation(chart, "higher_is_better") == "improvement"
    assert variation(chart, "lower_is_better") == "concern"


def test_two_of_three_close_to_different_limits_do_not_count() -> None:
    # github:nhs-r-community/NHSRplotthedots, tests/testthat/test-ptd_spc_standard.R, "it only
    # reports special cause for 2of3 points close to limits when they are on the same side of
    # the mean": rep(c(1, -1), 8) with the last two set to 5.5 and -5.5; both are common cause.
    # By hand: mean 0; moving ranges thirteen 2s, 6.5 and 11 (mean 2.9); 11 >= 3.267·2.9 is
    # screened, MR-bar 32.5/14; "close" lines ±4.117, limits ±6.175.
    chart = xmr([1, -1] * 7 + [5.5, -5.5])
    assert chart.mean == pytest.approx(0.0, abs=1e-12)
    assert chart.mr_bar == pytest.approx(32.5 / 14, abs=1e-12)
    assert chart.near_upper < 5.5 < chart.upper
    assert chart.lower < -5.5 < chart.near_lower
    assert special(chart) == []
    assert variation(chart, "higher_is_better") == "common_cause"


def test_two_close_to_one_limit_with_the_middle_point_across_the_mean_do_not_count() -> None:
    # Mean 11/17 = 0.647, MR-bar 47/16 = 2.9375, "close" line 5.856, limit 8.461: both 6s are
    # close to the upper limit, but -1 between them is below the mean (NHSRplotthedots'
    # ptd_two_in_three(c(1, 0, 1), c(1, -1, 1)) is 0).
    chart = xmr([1, -1] * 7 + [6, -1, 6])
    assert chart.near_upper < 6 < chart.upper
    assert special(chart) == []


def test_a_point_beyond_the_limit_counts_towards_two_of_three() -> None:
    # methods.md: "close to or beyond the same limit". Mean 16.5/17 = 0.971; moving ranges
    # thirteen 2s, 7, 4.5, 7.5: MR-bar 45/16 = 2.8125 (none screened); "close" line
    # 0.971 + 4.988 = 5.958, limit 8.452. 6 is close, 9 beyond, 1.5 above the mean.
    chart = xmr([1, -1] * 7 + [6, 1.5, 9])
    assert chart.mean == pytest.approx(16.5 / 17, abs=1e-12)
    assert chart.mr_bar == pytest.approx(45 / 16, abs=1e-12)
    assert chart.near_upper < 6 < chart.upper < 9
    assert special(chart) == [14, 16]
    assert chart.points[14].rules == frozenset({"two_of_three"})
    assert chart.points[16].rules == frozenset({"beyond_limit", "two_of_three"})


# --- NHSRplotthedots end to end ----------------------------------------------------------------
# github:nhs-r-community/NHSRplotthedots, tests/testthat/test-ptd_spc_standard.R and
# tests/testthat/_snaps/ptd_spc_standard.md: y = rnorm(20) after set.seed(123), the values
# below (R's, to 8 decimals; the snapshot's mean 0.1416238 is theirs to 7 figures).
RNORM_123 = [
    -0.56047565,
    -0.23017749,
    1.55870831,
    0.07050839,
    0.12928774,
    1.71506499,
    0.46091621,
    -1.26506123,
    -0.68685285,
    -0.44566197,
    1.22408180,
    0.35981383,
    0.40077145,
    0.11068272,
    -0.55584113,
    1.78691314,
    0.49785048,
    -1.96661716,
    0.70135590,
    -0.47279140,
]


def test_nhsrplotthedots_snapshot_limits() -> None:
    chart = xmr(RNORM_123)
    # Snapshot r1: mean_col 0.1416238, lpl -3.01138, upl 3.294627.
    assert chart.mean == pytest.approx(0.1416238, abs=5e-8)
    assert chart.lower == pytest.approx(-3.01138, abs=5e-6)
    assert chart.upper == pytest.approx(3.294627, abs=5e-7)
    # tests/testthat/_snaps/ptd_spc.md: all 20 points common cause.
    assert special(chart) == []
    # Snapshot r1's relative_to_mean, as far as it is printed.
    shown = [-1, -1, 1, -1, -1, 1, 1, -1, -1, -1, 1, 1, 1, -1, -1]
    assert [1 if y > chart.mean else -1 for y in RNORM_123[: len(shown)]] == shown


def test_nhsrplotthedots_snapshot_with_an_outlier_screened() -> None:
    # Snapshot r2: y[15] <- 10, screen_outliers = TRUE: mean_col 0.6694159, lpl -2.383666,
    # upl 3.722497. (Unscreened, snapshot r3, the limits would be -4.596625 and 5.935457.)
    values = list(RNORM_123)
    values[14] = 10
    chart = xmr(values)
    assert chart.mean == pytest.approx(0.6694159, abs=5e-8)
    assert chart.lower == pytest.approx(-2.383666, abs=5e-7)
    assert chart.upper == pytest.approx(3.722497, abs=5e-7)
    assert "beyond_limit" in chart.points[14].rules


def test_nhsrplotthedots_snapshot_facets_are_trial_charts() -> None:
    # tests/testthat/_snaps/ptd_spc.md, faceted: the first and last ten points, each with its
    # own limits (mean 0.0746, -2.60, 2.75; mean 0.209, -3.28, 3.70), all common cause.
    for values, (mean, lower, upper) in (
        (RNORM_123[:10], (0.0746, -2.60, 2.75)),
        (RNORM_123[10:], (0.209, -3.28, 3.70)),
    ):
        chart = xmr(values)
        assert chart.mean == pytest.approx(mean, abs=5e-4)
        assert (chart.lower, chart.upper) == pytest.approx((lower, upper), abs=5e-3)
        assert chart.trial
        assert special(chart) == []


# --- Trial limits ------------------------------------------------------------------------------
def test_fewer_than_twelve_points_are_a_trial() -> None:
    chart = xmr([8, 12] * 5 + [30])
    assert chart.trial
    # The rules are still applied, but no signal is drawn.
    assert chart.points[-1].special
    assert variation(chart, "higher_is_better") == "not_assessed"
    assert variation(chart, "neither") == "not_assessed"
    assert assurance(chart, 0.0, "higher_is_better") is None


def test_twelve_points_are_not_a_trial() -> None:
    assert not xmr(STEADY).trial
    assert xmr(STEADY[:11]).trial


def test_too_few_or_unusable_values_are_refused() -> None:
    with pytest.raises(ValueError):
        xmr([])
    with pytest.raises(ValueError):
        xmr([5.0])
    with pytest.raises(ValueError):
        xmr([1.0, float("nan"), 2.0])


def test_a_constant_series_has_no_signal() -> None:
    chart = xmr([4.0] * 12)
    assert chart.mr_bar == 0.0
    assert (chart.lower, chart.upper) == (4.0, 4.0)
    assert special(chart) == []


# --- Assurance ---------------------------------------------------------------------------------
# STEADY's process limits are 4.68 and 15.32.
@pytest.mark.parametrize(
    ("target", "polarity", "expected"),
    [
        (4.0, "higher_is_better", "consistently_passing"),
        (4.0, "lower_is_better", "consistently_failing"),
        (16.0, "higher_is_better", "consistently_failing"),
        (16.0, "lower_is_better", "consistently_passing"),
        (10.0, "higher_is_better", "hit_and_miss"),
        (10.0, "lower_is_better", "hit_and_miss"),
        (None, "higher_is_better", None),
        (4.0, "neither", None),
    ],
)
def test_assurance(target: float | None, polarity: str, expected: str | None) -> None:
    assert assurance(xmr(STEADY), target, polarity) == expected


def test_assurance_with_a_limit_on_the_target_is_hit_and_miss() -> None:
    chart = xmr(STEADY)
    assert assurance(chart, chart.lower, "higher_is_better") == "hit_and_miss"
    assert assurance(chart, chart.upper, "lower_is_better") == "hit_and_miss"


def test_unknown_polarity_is_refused() -> None:
    with pytest.raises(ValueError):
        variation(xmr(STEADY), "up")
    with pytest.raises(ValueError):
        assurance(xmr(STEADY), 4.0, "up")


# --- Labels ------------------------------------------------------------------------------------
def test_every_icon_has_a_shape_and_a_word() -> None:
    for labels, icons in (
        (VARIATION_LABELS, {"improvement", "concern", "neutral", "common_cause", "not_assessed"}),
        (ASSURANCE_LABELS, {"consistently_passing", "consistently_failing", "hit_and_miss"}),
    ):
        assert set(labels) == icons
        shapes = [label.split(" ", 1)[0] for label in labels.values()]
        assert all(len(shape) == 1 and not shape.isalnum() for shape in shapes)
        assert len(set(shapes)) == len(shapes)
        assert all(any(c.isalpha() for c in label) for label in labels.values())


def test_a_series_that_steps_once_is_judged_by_its_shift_not_by_limits_of_no_width() -> None:
    # 1 for five quarters, then 2 for seven: the only moving range (1) is screened out as an
    # outlier (it is 11 times the mean moving range of 1/11), leaving MR-bar 0 and limits of no
    # width. Every point would be "beyond a limit"; only the shift of 7 above the mean may fire.
    chart = xmr([1.0] * 5 + [2.0] * 7)
    assert chart.mr_bar == 0
    assert not any("beyond_limit" in p.rules or "two_of_three" in p.rules for p in chart.points)
    assert [p.special for p in chart.points] == [False] * 5 + [True] * 7
    assert variation(chart, "lower_is_better") == "concern"
    # Twelve equal points: nothing to see.
    assert not any(p.special for p in xmr([5.0] * 12).points)
