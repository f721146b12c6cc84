"""Findings: what needs the Group's attention in a partnership's quarter, and why.

Evidence comes only from statistics (see `signals`): a headline's signal (SPC, or a change
significant at 95%), a significant gap between the partnership's two authorities, a
significant difference from England, and a target met or missed. Each piece names the figures
behind it and carries a weight, its strength: a special cause beyond a process limit weighs
most, then a sustained shift or trend, a significant change, a target missed, a gap.

An indicator with any evidence of concern is a concern, and never also a strength. Concerns
are grouped into themes (the catalogue's `pack.themes`, else the indicator's objective), and
the themes ranked by the weight of their evidence give at most six key lines of enquiry.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tees_dataset.catalogue.models import Benchmark, Catalogue, Indicator, Partnership
from tees_dataset.compute import intervals
from tees_dataset.compute.signals import RULE_WORDS, differ, figure_of, small_base
from tees_dataset.quarter import Quarter

MAX_ENQUIRIES = 6
# How strongly a piece of evidence points: the pack ranks themes by these.
WEIGHTS = {
    "beyond_limit": 3.0,
    "shift": 2.5,
    "trend": 2.5,
    "two_of_three": 2.0,
    "change": 2.0,
    "target": 2.0,
    "england": 1.5,
    "gap": 1.5,
    "authority": 1.0,
    "completeness": 1.0,
}
DATA_THEME = "data-completeness"


def shown(value: float | None, unit: str) -> str:
    """A figure in words: 62.5%, 1,204, 35.2 (per 10,000) or 4.0 days."""
    if value is None:
        return "x"
    if unit == "percent":
        return f"{value:.1f}%"
    if unit == "count":
        return f"{value:,.0f}"
    if unit == "days":
        return f"{value:,.1f} days"
    return f"{value:,.1f} per 10,000"


def base_text(row: dict[str, Any]) -> str:
    """'54.0% (27 of 50)' for a percentage; the figure alone otherwise."""
    text = shown(row["value"], row["unit"])
    if row["unit"] == "percent" and row.get("denominator") is not None:
        text += f" ({row['numerator']:,.0f} of {row['denominator']:,.0f})"
    return text


@dataclass(frozen=True)
class TargetStatus:
    text: str  # the target in words
    verdict: str  # "Met", "Not met" or "Not yet judged"
    symbol: str  # beside the word, never instead of it
    detail: str
    value: float | None = None


def _year_total(
    trend: dict[tuple[str, str], dict[str, Any]], quarter: Quarter, area: str
) -> float | None:
    values = []
    for n in range(4):
        row = trend.get((str(quarter.shift(-n)), area))
        if row is None or row["status"] != "ok" or row["value"] is None:
            return None
        values.append(float(row["value"]))
    return sum(values)


def target_status(
    indicator: Indicator,
    headline: dict[str, Any] | None,
    trend: dict[tuple[str, str], dict[str, Any]],
    quarter: Quarter,
    area: str,
) -> TargetStatus | None:
    """Whether an area met the indicator's target: the quarter's figure, or the sum of the
    four quarters to it for a yearly target. `trend` is the indicator's rows by (quarter, area)."""
    target = indicator.target
    if target is None:
        return None
    unit = "%" if indicator.unit == "percent" else ""
    word = "at least" if target.direction == "at_least" else "at most"
    source = f", {target.source}" if target.source else ""
    text = f"{word} {target.value:g}{unit} a {target.per}{source}"
    if target.per == "year":
        value = _year_total(trend, quarter, area)
        period = f"the four quarters to {quarter}"
    else:
        ok = headline is not None and headline["status"] == "ok" and headline["value"] is not None
        value = float(headline["value"]) if ok and headline is not None else None
        period = str(quarter)
    if value is None:
        return TargetStatus(
            text, "Not yet judged", "–", f"{area}: not enough figures for {period}."
        )
    met = value >= target.value if target.direction == "at_least" else value <= target.value
    figure = f"{value:,.1f}{unit}" if unit else f"{value:,.0f}"
    return TargetStatus(
        text, "Met" if met else "Not met", "✔" if met else "✘", f"{area}: {figure} in {period}.",
        value,
    )  # fmt: skip


@dataclass(frozen=True)
class Evidence:
    indicator_id: str
    title: str
    kind: str  # "concern" or "strength"
    weight: float
    text: str  # names the figures behind it


@dataclass(frozen=True)
class Enquiry:
    theme: str
    title: str
    question: str
    weight: float
    evidence: list[Evidence] = field(default_factory=list)


def _signal_weight(basis: str) -> float:
    """The weight of a signal, from the SPC rule its basis names (the strongest one), else a
    significant change."""
    found = [WEIGHTS[rule] for rule, words in RULE_WORDS.items() if words in basis]
    return max(found, default=WEIGHTS["change"])


def _signal_text(row: dict[str, Any], area: str) -> str:
    interval = ""
    if row.get("ci_lower") is not None and row.get("ci_upper") is not None:
        low, high = shown(row["ci_lower"], row["unit"]), shown(row["ci_upper"], row["unit"])
        interval = f", 95% interval {low} to {high}"
    earlier = []
    for key, since in (("last_year_value", "a year ago"), ("previous_value", "last quarter")):
        if row.get(key) is not None:
            earlier.append(f"{shown(float(row[key]), row['unit'])} {since}")
    was = f"; {', '.join(earlier)}" if earlier else ""
    return f"{area} {base_text(row)}{interval}{was}: {row['signal_basis']}."


def _england(
    indicator: Indicator, row: dict[str, Any], benchmarks: Iterable[dict[str, Any]]
) -> tuple[str, float, str] | None:
    """'higher'/'lower' than England where the 95% interval of the quarter's figure excludes
    England's (Fingertips' test; England's figure treated as fixed)."""
    benchmark = indicator.benchmark
    if not isinstance(benchmark, Benchmark) or benchmark.local != "quarter" or benchmark.breakdown:
        return None
    if row.get("ci_lower") is None or row.get("ci_upper") is None:
        return None
    england = next(
        (b for b in benchmarks if b["benchmark"] == "england" and b["status"] == "ok"
         and b["value"] is not None and b["area"] == row["area"]),
        None,
    )  # fmt: skip
    if england is None:
        return None
    value = float(england["value"])
    compared = intervals.compare_with((float(row["ci_lower"]), float(row["ci_upper"])), value)
    if compared == "similar":
        return None
    return compared, value, str(england["year"])


def _better(direction: str, polarity: str) -> bool | None:
    if polarity == "neither":
        return None
    return (direction == "higher") == (polarity == "higher_is_better")


def evidence(
    catalogue: Catalogue,
    partnership: Partnership,
    la_names: list[str],
    by_key: dict[tuple[str, str], dict[str, Any]],
    targets: dict[str, TargetStatus | None],
    benchmarks: dict[str, list[dict[str, Any]]],
) -> list[Evidence]:
    """Every piece of evidence in the partnership's quarter, concerns and strengths."""
    minimum = catalogue.pack.minimum_base
    out: list[Evidence] = []
    for _, _, indicator in catalogue.indicators():
        ind, title = indicator.id, indicator.title

        def add(kind: str, weight: float, text: str, ind: str = ind, title: str = title) -> None:
            out.append(Evidence(ind, title, kind, weight, text))

        row = by_key.get((ind, partnership.id))
        if row is not None and row.get("signal") in ("improvement", "concern"):
            kind = "concern" if row["signal"] == "concern" else "strength"
            add(kind, _signal_weight(row["signal_basis"]), _signal_text(row, partnership.id))
        for la in la_names:  # an authority's concern is the partnership's too
            la_row = by_key.get((ind, la))
            if la_row is not None and la_row.get("signal") == "concern":
                add("concern", WEIGHTS["authority"], _signal_text(la_row, la))
        target = targets.get(ind)
        if target is not None and target.verdict in ("Met", "Not met"):
            kind = "concern" if target.verdict == "Not met" else "strength"
            add(kind, WEIGHTS["target"] if kind == "concern" else 1.0,
                f"Target {target.text}: {target.verdict.lower()}. {target.detail}")  # fmt: skip
        if row is not None:
            england = _england(indicator, row, benchmarks.get(ind, []))
            if england is not None:
                direction, value, year = england
                better = _better(direction, indicator.polarity)
                if better is not None:
                    add("strength" if better else "concern", WEIGHTS["england"],
                        f"{partnership.id} {base_text(row)} is significantly {direction} than "
                        f"England's {shown(value, row['unit'])} ({year}): its 95% interval "
                        f"({shown(row['ci_lower'], row['unit'])} to "
                        f"{shown(row['ci_upper'], row['unit'])}) excludes it.")  # fmt: skip
        if len(la_names) == 2 and indicator.unit in ("percent", "rate_per_10000"):
            rows = [by_key.get((ind, la)) for la in la_names]
            figures = [figure_of(r) if r else None for r in rows]
            first, second = figures
            if first is None or second is None:
                continue
            if small_base(first, minimum) or small_base(second, minimum):
                continue
            found = differ(first, second)
            if found is not None and found[0] != "similar":
                high, low = (0, 1) if found[0] == "higher" else (1, 0)
                a, b = rows[high], rows[low]
                assert a is not None and b is not None
                add("concern", WEIGHTS["gap"],
                    f"{la_names[high]} {base_text(a)} and {la_names[low]} {base_text(b)} differ "
                    f"significantly, by {found[1]}.")  # fmt: skip
    return out


def classify(items: Iterable[Evidence]) -> dict[str, str]:
    """Each indicator with evidence: 'concern' if any of it is, else 'strength'. No indicator
    is both in one pack."""
    kinds: dict[str, str] = {}
    for item in items:
        if item.kind == "concern" or item.indicator_id not in kinds:
            kinds[item.indicator_id] = item.kind
    return kinds


def weight(items: list[Evidence]) -> float:
    """A theme's strength of evidence: its strongest piece, plus half of each other."""
    weights = sorted((e.weight for e in items), reverse=True)
    return weights[0] + 0.5 * sum(weights[1:]) if weights else 0.0


def enquiries(
    catalogue: Catalogue, items: list[Evidence], missing_returns: list[str]
) -> list[Enquiry]:
    """At most six key lines of enquiry: concerns grouped by theme, strongest first. Missing
    or rejected returns are a theme of their own."""
    kinds = classify(items)
    theme_of: dict[str, tuple[str, str, str]] = {}
    for _, objective, indicator in catalogue.indicators():
        theme_of[indicator.id] = (
            f"objective-{objective.id}", f"{objective.id} {objective.title}",
            f"What lies behind the figures for {objective.title.lower()}, and what is being "
            "done about them?",
        )  # fmt: skip
    for theme in catalogue.pack.themes:
        for ind in theme.indicators:
            theme_of[ind] = (theme.id, theme.title, theme.question or theme_of[ind][2])
    grouped: dict[str, list[Evidence]] = {}
    for item in items:
        if item.kind == "concern" and kinds[item.indicator_id] == "concern":
            grouped.setdefault(theme_of[item.indicator_id][0], []).append(item)
    found = []
    for theme_id, group in grouped.items():
        _, title, question = next(v for v in theme_of.values() if v[0] == theme_id)
        group = sorted(group, key=lambda e: (-e.weight, e.indicator_id))
        found.append(Enquiry(theme_id, title, question, weight(group), group))
    if missing_returns:
        found.append(Enquiry(
            DATA_THEME, "Missing and rejected returns",
            "When will each agency send a complete return, and what stopped it this quarter?",
            WEIGHTS["completeness"] + 0.5 * (len(missing_returns) - 1),
            [Evidence("", "", "concern", WEIGHTS["completeness"], text) for text in missing_returns],
        ))  # fmt: skip
    found.sort(key=lambda e: (-e.weight, e.title))
    return found[:MAX_ENQUIRIES]


def strengths(items: list[Evidence], limit: int = 5) -> list[Evidence]:
    """The strongest evidence of things going well, from indicators that are not concerns."""
    kinds = classify(items)
    best: dict[str, Evidence] = {}
    for item in items:
        stronger = item.indicator_id not in best or item.weight > best[item.indicator_id].weight
        if item.kind == "strength" and kinds[item.indicator_id] == "strength" and stronger:
            best[item.indicator_id] = item
    return sorted(best.values(), key=lambda e: (-e.weight, e.indicator_id))[:limit]
