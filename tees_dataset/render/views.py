"""The pack's view models and how a figure is written: plain objects the template reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from tees_dataset.compute.findings import Enquiry, Evidence, TargetStatus

MARKING = "OFFICIAL-SENSITIVE"
SYMBOLS = {"missing": "x", "not_applicable": "z", "suppressed": "c"}
SYMBOL_MEANING = {
    "x": "not available: a return was missing or rejected",
    "z": "not applicable: nothing to measure, or no meaning for this area",
    "c": "suppressed: a small number that could identify a child, or a figure from which one "
    "could be worked out",
}
# What a screen reader says for a symbol in a table cell.
SYMBOL_WORDS = {"x": "not available", "z": "not applicable", "c": "suppressed"}
UNIT_WORDS = {
    "percent": "percentage",
    "count": "count",
    "rate_per_10000": "rate per 10,000 children",
    "days": "days (median)",
}
# In a caption or a sentence, where "(days (median))" would nest brackets.
UNIT_PHRASES = {
    "percent": "percentage",
    "count": "count",
    "rate_per_10000": "rate per 10,000 children",
    "days": "median days",
}
POLARITY_WORDS = {
    "higher_is_better": "Higher is better",
    "lower_is_better": "Lower is better",
    "neither": "No direction set",
}
# A change's call and a figure's signal: a shape and a word, never colour alone.
CALL_LABELS = {
    "better": "▲ better",
    "worse": "▼ worse",
    "higher": "△ higher",
    "lower": "▽ lower",
    "similar": "● not significant",
    "": "",
}
SIGNAL_CALLS = {"improvement": "better", "concern": "worse", "no_significant_change": "similar"}
BREAKDOWN_TITLES = {"measure": "Measure", "part": "Part", "period": "Period", "sector": "Sector",
                    "agency": "Agency"}  # fmt: skip


def format_value(value: float | None, unit: str, status: str) -> str:
    if status in SYMBOLS:
        return SYMBOLS[status]
    if value is None:
        return SYMBOLS["missing"]
    if unit == "percent":
        return f"{value:.1f}%"
    if unit in ("rate_per_10000", "days"):
        return f"{value:,.1f}"
    return f"{value:,.0f}"


def number(value: Any) -> str:
    if value is None:
        return ""
    return f"{value:,.1f}".removesuffix(".0")


def change_text(value: Any, unit: str) -> str:
    """A change as a signed number: +3.5 (points for a percentage), or a fall with a true minus sign, or 0."""
    if value is None:
        return ""
    if value == 0:
        return "0"
    sign = "+" if value > 0 else "−"
    size = abs(value)
    return f"{sign}{size:,.0f}" if unit == "count" else f"{sign}{size:,.1f}"


def small_base(row: dict[str, Any], minimum: int) -> bool:
    return (
        row["unit"] == "percent"
        and row["status"] == "ok"
        and row.get("denominator") is not None
        and float(row["denominator"]) < minimum
    )


def figure_text(row: dict[str, Any] | None, minimum: int) -> str:
    """A figure as shown: '62.5%', or '2 of 4' for a percentage below the minimum base."""
    if row is None:
        return SYMBOLS["missing"]
    if small_base(row, minimum):
        return f"{number(row['numerator'])} of {number(row['denominator'])}"
    return format_value(row["value"], row["unit"], row["status"])


@dataclass(frozen=True)
class Cell:
    """A figure as shown: the text, the numbers behind it, its interval and its changes."""

    text: str
    numerator: str = ""
    denominator: str = ""
    status: str = "ok"
    change_previous: str = ""
    change_last_year: str = ""
    interval: str = ""
    call_previous: str = ""
    call_last_year: str = ""


def cell(row: dict[str, Any] | None, minimum: int = 0) -> Cell:
    if row is None:
        return Cell(SYMBOLS["missing"], status="missing")
    interval = ""
    if row.get("ci_lower") is not None and row.get("ci_upper") is not None:
        low = format_value(row["ci_lower"], row["unit"], "ok").removesuffix("%")
        high = format_value(row["ci_upper"], row["unit"], "ok")
        interval = f"{low} to {high}"

    def marked(call: str | None) -> str:
        # On an indicator page a change that is not significant is marked ● alone; the
        # table's caption says what it means.
        return "●" if call == "similar" else CALL_LABELS.get(call or "", "")

    return Cell(
        figure_text(row, minimum),
        number(row["numerator"]),
        number(row["denominator"]),
        row["status"],
        change_text(row.get("change_previous"), row["unit"]),
        change_text(row.get("change_last_year"), row["unit"]),
        interval,
        marked(row.get("change_previous_call")),
        marked(row.get("change_last_year_call")),
    )


@dataclass(frozen=True)
class BreakdownTable:
    """A breakdown as a table: rows of labels against columns (areas, or a second dimension)."""

    title: str
    corner: str
    columns: list[str]
    rows: list[tuple[str, list[str]]]


@dataclass(frozen=True)
class IndicatorView:
    id: str
    title: str
    definition: str
    source: str
    unit: str
    polarity: str
    status: str
    notes: str
    figures: list[tuple[str, Cell]]
    breakdowns: list[BreakdownTable] = field(default_factory=list)
    target: TargetStatus | None = None
    chart: Markup = field(default_factory=Markup)
    chart_alt: str = ""
    quality: list[str] = field(default_factory=list)
    # National benchmarks: rows of the headline table (label, a cell per area), what they are,
    # and what the chart's reference lines show; or why the indicator has none.
    benchmark_rows: list[tuple[str, list[str]]] = field(default_factory=list)
    benchmark_note: str = ""
    chart_references: str = ""
    no_benchmark: str = ""
    formula: str = ""
    signal: str = ""  # the partnership's signal, as shape and word
    signal_basis: str = ""
    variation: str = ""  # the XmR chart's variation icon, as shape and word
    assurance: str = ""  # against a target, from SPC
    kind: str = ""  # "concern", "strength" or ""
    same_as: str = ""  # an earlier indicator with the same headline figures and chart
    directed: bool = True  # False: the indicator has no polarity

    @property
    def two_up(self) -> bool:
        """Breakdowns narrow enough (three columns or fewer) to flow in two columns."""
        narrow = all(len(t.columns) <= 3 for t in self.breakdowns)
        return bool(self.breakdowns) and narrow and sum(len(t.rows) for t in self.breakdowns) > 4


@dataclass(frozen=True)
class ObjectiveView:
    id: str
    title: str
    indicators: list[IndicatorView]


@dataclass(frozen=True)
class AimView:
    id: str
    label: str
    title: str
    objectives: list[ObjectiveView]


@dataclass(frozen=True)
class OverviewCell:
    text: str  # the figure
    call: str  # direction of travel, shape and word
    target: str  # target status, symbol and word, or ""


@dataclass(frozen=True)
class OverviewRow:
    indicator_id: str
    title: str
    kind: str  # "concern", "strength" or ""
    unit: str
    cells: list[OverviewCell]
    england: str
    north_east: str


@dataclass(frozen=True)
class CarriedEnquiry:
    """Last quarter's key line of enquiry, with the Group's recorded response."""

    title: str
    enquiry: str
    response: str


@dataclass(frozen=True)
class Findings:
    """The first pages: what needs the Group's attention."""

    overview_columns: list[str]
    overview: list[OverviewRow]
    enquiries: list[Enquiry]
    strengths: list[Evidence]
    carried: list[CarriedEnquiry]
    carried_note: str
