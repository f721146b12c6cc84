"""Statistical process control for the pack: NHS England "Making Data Count" XmR charts.

The calculations follow the R package NHSRplotthedots (NHS-R Community, version 0.2.2), which
reproduces the Making Data Count Excel tools:

* the centre line is the mean of the points; the moving range is |x_i - x_(i-1)| and MR-bar
  its mean; the process limits are mean ± 2.66·MR-bar, and a point is "close to" a limit when
  it is beyond mean ± (2/3)·2.66·MR-bar but still inside the limits;
* **limits are recomputed over all the points shown**, each time the chart is drawn (a new
  quarter moves them), with no fixing and no rebasing. This is NHSRplotthedots' default:
  `ptd_spc(fix_after_n_points = NULL)` computes over every point, and fixing after n points is
  an option it offers, not its default;
* **moving-range outliers are screened out of MR-bar**, NHSRplotthedots' default
  (`screen_outliers = TRUE`): MR-bar is computed, every moving range of 3.267·MR-bar or more is
  dropped, and MR-bar is recomputed once from the rest (the Excel tool does not screen). A
  chart whose moving ranges are all 0 screens nothing (MR-bar stays 0), where R would divide by
  zero;
* fewer than 12 points give **trial limits** (`XmR.trial`): the points are still classified,
  but `variation` reports "not_assessed" and `assurance` None, so callers draw no signal.

The four special-cause rules, as the project's methods specification states them, each mark
every point involved (`Point.rules`):

1. "beyond_limit": a point above the upper or below the lower process limit;
2. "shift": 7 or more consecutive points on the same side of the mean; a point exactly on the
   mean breaks the run;
3. "trend": 7 or more consecutive points each higher than the last, or each lower (6 rises or
   6 falls in a row); two equal consecutive values break it;
4. "two_of_three": 2 of 3 consecutive points close to or beyond the same limit, all three on
   the same side of the mean; the points close to or beyond the limit are marked. (Here the
   specification differs from NHSRplotthedots, which counts only points close to a limit and
   not those beyond it.)

A special point's side ("high" or "low") is the direction NHSRplotthedots reads from the first
of these that it meets, in this order: beyond a limit (above or below the mean), a trend
(rising or falling: the direction of the run, or of the later run for the point where a rise
turns into a fall), 2 of 3 (above or below the mean), a shift (above or below the mean). The
variation icon is the latest point's, read through the indicator's polarity; the assurance
icon compares the process limits with a target.

Never colour alone: `VARIATION_LABELS` and `ASSURANCE_LABELS` give each icon a shape and a word
(the shapes are in DejaVu Sans, the pack's font).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

__all__ = [
    "ASSURANCE_LABELS",
    "LIMIT",
    "MIN_POINTS",
    "OUTLIER_LIMIT",
    "RUN",
    "VARIATION_LABELS",
    "Point",
    "XmR",
    "assurance",
    "variation",
    "xmr",
]

# Process limits are mean ± LIMIT·MR-bar; "close to a limit" is beyond two thirds of that.
LIMIT = 2.66
NEAR_LIMIT = 2 * (LIMIT / 3)
# Moving ranges of this many MR-bars or more are screened out of MR-bar.
OUTLIER_LIMIT = 3.267
# Points needed for limits that are not trial limits.
MIN_POINTS = 12
# Points in a shift or a trend.
RUN = 7

RULES = frozenset({"beyond_limit", "shift", "trend", "two_of_three"})
POLARITIES = ("higher_is_better", "lower_is_better", "neither")

VARIATION_LABELS = {
    "improvement": "▲ improvement",
    "concern": "▼ concern",
    "neutral": "◆ special cause",
    "common_cause": "● common cause",
    "not_assessed": "– not assessed",
}
ASSURANCE_LABELS = {
    "consistently_passing": "✓ consistently passing",
    "consistently_failing": "✗ consistently failing",
    "hit_and_miss": "◐ hit and miss",
}


@dataclass(frozen=True)
class Point:
    """One point of a chart: its value, whether it is special cause, the rules that mark it
    (a subset of "beyond_limit", "shift", "trend", "two_of_three"), and the direction of the
    special cause, "high" or "low" ("" for common cause)."""

    value: float
    special: bool
    rules: frozenset[str]
    side: str


@dataclass(frozen=True)
class XmR:
    """An XmR chart: centre line, MR-bar, process limits, the "close to a limit" lines, the
    classified points, and whether the limits are trial limits (fewer than 12 points)."""

    mean: float
    mr_bar: float
    lower: float
    upper: float
    near_lower: float
    near_upper: float
    points: tuple[Point, ...]
    trial: bool


def _sign(value: float) -> int:
    return (value > 0) - (value < 0)


def _runs(signs: Sequence[int]) -> list[tuple[int, int, int]]:
    """The maximal runs (start, end exclusive, sign) of equal non-zero signs."""
    runs = []
    start = 0
    for i in range(1, len(signs) + 1):
        if i == len(signs) or signs[i] != signs[start]:
            if signs[start] != 0:
                runs.append((start, i, signs[start]))
            start = i
    return runs


def _moving_range_mean(values: Sequence[float]) -> float:
    ranges = [abs(b - a) for a, b in pairwise(values)]
    mr_bar = math.fsum(ranges) / len(ranges)
    if mr_bar > 0:
        kept = [r for r in ranges if r < OUTLIER_LIMIT * mr_bar]
        mr_bar = math.fsum(kept) / len(kept)
    return mr_bar


def xmr(values: Sequence[float]) -> XmR:
    """The XmR chart of a series in time order (at least two finite values), its limits
    computed over all of them, with moving-range outliers screened out of MR-bar."""
    ys = [float(v) for v in values]
    if len(ys) < 2:
        raise ValueError(f"an XmR chart needs at least 2 points, not {len(ys)}")
    if not all(math.isfinite(y) for y in ys):
        raise ValueError("an XmR chart's values must all be finite numbers")
    n = len(ys)
    mean = math.fsum(ys) / n
    mr_bar = _moving_range_mean(ys)
    lower, upper = mean - LIMIT * mr_bar, mean + LIMIT * mr_bar
    near_lower, near_upper = mean - NEAR_LIMIT * mr_bar, mean + NEAR_LIMIT * mr_bar

    rules: list[set[str]] = [set() for _ in ys]
    # The side each rule gives a point, by rule.
    sides: list[dict[str, int]] = [{} for _ in ys]
    relative = [_sign(y - mean) for y in ys]

    # With no variation left once outliers are screened (MR-bar 0: a series that steps once,
    # 1,1,...,1,2,...,2), the limits have no width: the limit rules (1 and 4) cannot judge it,
    # only a shift or a trend can.
    measured = mr_bar > 0

    # 1. Beyond a process limit.
    for i, y in enumerate(ys):
        if measured and (y > upper or y < lower):
            rules[i].add("beyond_limit")
            sides[i]["beyond_limit"] = relative[i]

    # 2. A shift: RUN or more points on the same side of the mean.
    for start, end, sign in _runs(relative):
        if end - start >= RUN:
            for i in range(start, end):
                rules[i].add("shift")
                sides[i]["shift"] = sign

    # 3. A trend: RUN or more points each higher (lower) than the last, i.e. RUN - 1 rises
    # (falls) in a row. A turning point shared by a rise and a fall takes the later run's
    # direction, as NHSRplotthedots reads it.
    steps = [_sign(b - a) for a, b in pairwise(ys)]
    for start, end, sign in _runs(steps):
        if end - start >= RUN - 1:
            for i in range(start, end + 1):
                rules[i].add("trend")
                sides[i]["trend"] = sign

    # 4. Two of three close to or beyond the same limit, all three on one side of the mean.
    outer = [y > near_upper or y < near_lower for y in ys]
    for start in range(n - 2):
        window = range(start, start + 3)
        sign = relative[start]
        if sign == 0 or any(relative[i] != sign for i in window):
            continue
        marked = [i for i in window if outer[i]]
        if measured and len(marked) >= 2:
            for i in marked:
                rules[i].add("two_of_three")
                sides[i]["two_of_three"] = sign

    points = []
    for y, point_rules, point_sides in zip(ys, rules, sides, strict=True):
        side = ""
        for rule in ("beyond_limit", "trend", "two_of_three", "shift"):
            if rule in point_sides:
                side = "high" if point_sides[rule] > 0 else "low"
                break
        points.append(Point(y, bool(point_rules), frozenset(point_rules), side))
    return XmR(
        mean=mean,
        mr_bar=mr_bar,
        lower=lower,
        upper=upper,
        near_lower=near_lower,
        near_upper=near_upper,
        points=tuple(points),
        trial=n < MIN_POINTS,
    )


def _check_polarity(polarity: str) -> None:
    if polarity not in POLARITIES:
        raise ValueError(f"unknown polarity {polarity!r}; expected one of {POLARITIES}")


def variation(chart: XmR, polarity: str) -> str:
    """The variation icon, from the latest point: "improvement" or "concern" when it is special
    cause in the direction the polarity calls good or bad, "neutral" when it is special cause
    and the polarity is "neither", "common_cause" otherwise, and "not_assessed" for trial
    limits."""
    _check_polarity(polarity)
    if chart.trial:
        return "not_assessed"
    latest = chart.points[-1]
    if not latest.special:
        return "common_cause"
    if polarity == "neither":
        return "neutral"
    good = "high" if polarity == "higher_is_better" else "low"
    return "improvement" if latest.side == good else "concern"


def assurance(chart: XmR, target: float | None, polarity: str) -> str | None:
    """The assurance icon: "consistently_passing" when both process limits are on the good side
    of the target, "consistently_failing" when both are on the bad side, "hit_and_miss"
    otherwise (a limit exactly on the target included). None when there is no target, the
    polarity is "neither", or the limits are trial limits."""
    _check_polarity(polarity)
    if target is None or polarity == "neither" or chart.trial:
        return None
    if chart.lower > target:
        above = True
    elif chart.upper < target:
        above = False
    else:
        return "hit_and_miss"
    good = above == (polarity == "higher_is_better")
    return "consistently_passing" if good else "consistently_failing"
