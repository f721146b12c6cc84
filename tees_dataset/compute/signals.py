"""Signals: each figure's 95% confidence interval, and whether it has changed for better or
worse, called only when the statistics say so.

- Intervals (OHID Fingertips; PHEindicatormethods): Wilson score for a percentage; Byar's
  method, or the exact Poisson interval below 10, for a count and a rate per 10,000. A median
  of days has none.
- Change on the same quarter last year, or on last quarter when there is no figure a year
  earlier: a percentage by Newcombe's hybrid score interval for the difference (significant
  when it excludes 0); a count or rate by the conditional binomial (exact) test of two Poisson
  counts, with the populations as exposures for a rate (significant at p < 0.05).
- Where an area's headline has 12 or more quarters of figures up to this one, the XmR chart of
  NHS England's "Making Data Count" judges it instead (see `spc`): its special-cause rules
  supersede a comparison of two points.
- A percentage of fewer cases than the catalogue's `pack.minimum_base` draws no signal; nor
  does an indicator with no direction set (its changes are "higher" or "lower", never better
  or worse).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import polars as pl

from tees_dataset.catalogue.models import Catalogue, Indicator
from tees_dataset.compute import intervals, spc
from tees_dataset.quarter import Quarter

SIGNALS = ("improvement", "concern", "no_significant_change", "not_assessed")
SPC_POINTS = 12
SIGNIFICANCE = 0.05
# A change's call, from the indicator's polarity: better or worse; higher or lower where no
# direction is set; similar when not significant; "" when it cannot be judged.
CALLS = ("better", "worse", "higher", "lower", "similar", "")
KEYS = ["area", "indicator_id", "breakdown", "breakdown_value"]
SIGNAL_COLUMNS = (
    "ci_lower", "ci_upper", "signal", "signal_basis", "change_previous_call",
    "change_last_year_call",
)  # fmt: skip
RULE_WORDS = {
    "beyond_limit": "a point beyond a process limit",
    "shift": "a run of 7 or more on one side of the mean",
    "trend": "7 or more rising or falling",
    "two_of_three": "2 of 3 points close to a limit",
}


@dataclass(frozen=True)
class Figure:
    """The numbers behind one figure, enough for its interval and tests."""

    unit: str
    value: float
    numerator: float | None
    denominator: float | None


def _float(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def figure_of(row: dict[str, Any], prefix: str = "") -> Figure | None:
    """The figure of a results row (or of its `previous_`/`last_year_` copy), if it has one."""
    if row.get(f"{prefix}status") != "ok":
        return None
    value = _float(row.get(f"{prefix}value"))
    if value is None:
        return None
    return Figure(
        row["unit"], value, _float(row.get(f"{prefix}numerator")),
        _float(row.get(f"{prefix}denominator")),
    )  # fmt: skip


def is_proportion(figure: Figure) -> bool:
    n, x = figure.denominator, figure.numerator
    return n is not None and x is not None and n > 0 and 0 <= x <= n


def small_base(figure: Figure, minimum: int) -> bool:
    """A percentage of fewer cases than the minimum base: shown as 'n of d', never judged."""
    return figure.unit == "percent" and (figure.denominator or 0) < minimum


def interval(figure: Figure) -> tuple[float, float] | None:
    """The 95% confidence interval in the figure's own unit (a percentage as 0 to 100)."""
    if figure.unit == "percent":
        if not is_proportion(figure):
            return None
        assert figure.numerator is not None and figure.denominator is not None
        low, high = intervals.wilson(figure.numerator, figure.denominator)
        return low * 100, high * 100
    if figure.unit == "count":
        return intervals.poisson_interval(figure.value) if figure.value >= 0 else None
    if figure.unit == "rate_per_10000":
        count, population = figure.numerator, figure.denominator
        if count is None or population is None or population <= 0 or count < 0:
            return None
        return intervals.rate_interval(count, population)
    return None  # a median of days


def differ(now: Figure, before: Figure) -> tuple[str, str] | None:
    """Whether `now` is significantly higher or lower than `before` ('higher', 'lower' or
    'similar') and by which test; None when the two cannot be tested."""
    if now.unit == "percent":
        if not (is_proportion(now) and is_proportion(before)):
            return None
        assert now.numerator is not None and now.denominator is not None
        assert before.numerator is not None and before.denominator is not None
        low, high = intervals.newcombe_difference(
            now.numerator, now.denominator, before.numerator, before.denominator
        )
        test = "Newcombe's interval"
        if low > 0:
            return "higher", test
        if high < 0:
            return "lower", test
        return "similar", test
    if now.unit in ("count", "rate_per_10000"):
        if now.unit == "count":
            counts, exposures = (float(now.value), float(before.value)), (1.0, 1.0)
        else:
            if None in (now.numerator, now.denominator, before.numerator, before.denominator):
                return None
            counts = (float(now.numerator or 0), float(before.numerator or 0))
            exposures = (float(now.denominator or 0), float(before.denominator or 0))
        if min(counts) < 0 or min(exposures) <= 0 or not all(c.is_integer() for c in counts):
            return None
        test = "exact test of two counts"
        p = intervals.counts_differ_p(counts[0], counts[1], exposures[0], exposures[1])
        if p >= SIGNIFICANCE:
            return "similar", test
        rate_now, rate_before = counts[0] / exposures[0], counts[1] / exposures[1]
        return ("higher" if rate_now > rate_before else "lower"), test
    return None


def change_call(now: Figure | None, before: Figure | None, polarity: str, minimum: int) -> str:
    """A change shown on an indicator page: better, worse, higher, lower, similar or ''."""
    if now is None or before is None or small_base(now, minimum) or small_base(before, minimum):
        return ""
    found = differ(now, before)
    if found is None:
        return ""
    return intervals.orient(found[0], polarity)


@dataclass(frozen=True)
class Judged:
    signal: str
    basis: str


def _signal_of_call(call: str, basis: str) -> Judged:
    if call == "better":
        return Judged("improvement", basis + ": significant")
    if call == "worse":
        return Judged("concern", basis + ": significant")
    if call == "similar":
        return Judged("no_significant_change", basis + ": not significant")
    return Judged("not_assessed", basis + f": significantly {call}")


def judge_series(values: list[float], polarity: str) -> Judged | None:
    """The SPC judgement of a headline's quarters (oldest first, this quarter last), or None
    when there are fewer than 12."""
    if len(values) < SPC_POINTS:
        return None
    chart = spc.xmr(values)
    latest = chart.points[-1]
    variation = spc.variation(chart, polarity)
    rules = ", ".join(RULE_WORDS[r] for r in sorted(latest.rules))
    basis = f"SPC over {len(values)} quarters"
    if variation in ("improvement", "concern"):
        return Judged(variation, f"{basis}: special cause ({rules})")
    if variation == "neutral":
        return Judged("not_assessed", f"{basis}: special cause ({rules})")
    return Judged("no_significant_change", f"{basis}: common cause variation")


def judge(
    row: dict[str, Any], indicator: Indicator, history: list[float] | None, minimum: int
) -> Judged:
    """One row's signal: SPC over 12 or more quarters where there are, else the change on
    last year (or last quarter) where it can be tested."""
    now = figure_of(row)
    if now is None:
        return Judged("not_assessed", f"no figure ({row.get('status') or 'missing'})")
    if small_base(now, minimum):
        return Judged("not_assessed", f"small base: fewer than {minimum} cases")
    judged = judge_series(history, indicator.polarity) if history else None
    if judged is not None:
        return judged
    for prefix, since in (
        ("last_year_", "a year ago"),
        ("previous_", "last quarter"),
    ):
        before = figure_of(row, prefix)
        if before is None or small_base(before, minimum):
            continue
        found = differ(now, before)
        if found is None:
            continue
        call = intervals.orient(found[0], indicator.polarity)
        return _signal_of_call(call, f"change on {since} ({found[1]})")
    if now.unit == "days":
        return Judged("not_assessed", "a median has no interval; fewer than 12 quarters for SPC")
    return Judged("not_assessed", "no earlier figure to compare with")


def headline_history(trend: pl.DataFrame, quarter: str) -> dict[tuple[str, str], list[float]]:
    """Each (indicator, area) headline's unbroken run of figures up to and including `quarter`,
    oldest first: a quarter with no figure ends the run (SPC needs consecutive points)."""
    rows = trend.filter(pl.col("quarter") <= quarter).sort("quarter", descending=True)
    runs: dict[tuple[str, str], list[float]] = {}
    broken: set[tuple[str, str]] = set()
    expected: dict[tuple[str, str], str] = {}
    for row in rows.iter_rows(named=True):
        key = (row["indicator_id"], row["area"])
        if key in broken:
            continue
        if key not in expected and row["quarter"] != quarter:
            broken.add(key)  # no figure this quarter: no run
            continue
        if expected.get(key, quarter) != row["quarter"]:
            broken.add(key)
            continue
        value = _float(row["value"]) if row["status"] == "ok" else None
        if value is None:
            broken.add(key)
            continue
        runs.setdefault(key, []).append(value)
        expected[key] = str(Quarter.parse(row["quarter"]).shift(-1))
    return {key: values[::-1] for key, values in runs.items()}


def _with_earlier(current: pl.DataFrame, name: str, other: pl.DataFrame | None) -> pl.DataFrame:
    columns = ["numerator", "denominator", "status"]
    if other is None:
        return current.with_columns(
            pl.lit(None, pl.Float64).alias(f"{name}_numerator"),
            pl.lit(None, pl.Float64).alias(f"{name}_denominator"),
            pl.lit(None, pl.String).alias(f"{name}_status"),
        )
    return current.join(
        other.select(*KEYS, *(pl.col(c).alias(f"{name}_{c}") for c in columns)),
        on=KEYS, how="left",
    )  # fmt: skip


def add_signals(
    catalogue: Catalogue,
    current: pl.DataFrame,
    previous: pl.DataFrame | None,
    last_year: pl.DataFrame | None,
    trend: pl.DataFrame,
) -> pl.DataFrame:
    """The quarter's results (with add_changes' columns) and their intervals, change calls and
    signals: `ci_lower`, `ci_upper`, `signal`, `signal_basis`, `change_previous_call` and
    `change_last_year_call`."""
    minimum = catalogue.pack.minimum_base
    indicators = {i.id: i for _, _, i in catalogue.indicators()}
    quarter = current["quarter"][0] if current.height else ""
    history = headline_history(trend, quarter) if quarter else {}
    joined = _with_earlier(_with_earlier(current, "previous", previous), "last_year", last_year)
    out: dict[str, list[Any]] = {name: [] for name in SIGNAL_COLUMNS}
    for row in joined.iter_rows(named=True):
        indicator = indicators[row["indicator_id"]]
        now = figure_of(row)
        bounds = interval(now) if now is not None and not small_base(now, minimum) else None
        out["ci_lower"].append(None if bounds is None else bounds[0])
        out["ci_upper"].append(None if bounds is None else bounds[1])
        series = history.get((row["indicator_id"], row["area"])) if row["breakdown"] == "" else None
        judged = judge(row, indicator, series, minimum)
        out["signal"].append(judged.signal)
        out["signal_basis"].append(judged.basis)
        for name in ("previous", "last_year"):
            before = figure_of(row, f"{name}_")
            out[f"change_{name}_call"].append(change_call(now, before, indicator.polarity, minimum))
    return current.with_columns(
        pl.Series("ci_lower", out["ci_lower"], pl.Float64),
        pl.Series("ci_upper", out["ci_upper"], pl.Float64),
        *(pl.Series(name, out[name], pl.String) for name in SIGNAL_COLUMNS[2:]),
    )
