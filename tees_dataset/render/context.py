"""The pack's context: one plain object per partnership and quarter, fed to every renderer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from tees_dataset.catalogue.models import Catalogue, Indicator, Partnership
from tees_dataset.quarter import Quarter

MARKING = "OFFICIAL-SENSITIVE"
SYMBOLS = {"missing": "x", "not_applicable": "z", "suppressed": "c"}
SYMBOL_MEANING = {
    "x": "not available: a return was missing or rejected",
    "z": "not applicable: nothing to measure (no cases in the denominator)",
    "c": "suppressed: a small number (1 to 5) that could identify a child",
}
UNIT_WORDS = {
    "percent": "percentage",
    "count": "count",
    "rate_per_10000": "rate per 10,000 children",
    "days": "days (median)",
}
POLARITY_WORDS = {
    "higher_is_better": "Higher is better",
    "lower_is_better": "Lower is better",
    "neither": "Neither higher nor lower is better",
}


@dataclass(frozen=True)
class Cell:
    """A figure as shown: the text, the numbers behind it, and its changes."""

    text: str
    numerator: str = ""
    denominator: str = ""
    status: str = "ok"
    change_previous: str = ""
    change_last_year: str = ""


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
    target: str = ""


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
class CompletenessRow:
    agency: str
    return_title: str
    status: str
    errors: int


@dataclass(frozen=True)
class PackContext:
    partnership_id: str
    partnership_name: str
    quarter: str
    quarter_months: str
    quarter_dates: str
    financial_year_label: str
    produced: str
    tool_version: str
    catalogue_version: str
    marking: str
    area_names: list[str]
    aims: list[AimView]
    completeness: list[CompletenessRow]
    symbols: dict[str, str]

    @property
    def title(self) -> str:
        return f"{self.partnership_id} safeguarding dataset {self.quarter}"


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


def _number(value: Any) -> str:
    if value is None:
        return ""
    return f"{value:,.1f}".removesuffix(".0")


def build_context(
    catalogue: Catalogue,
    partnership: Partnership,
    quarter: Quarter,
    results: list[dict[str, Any]],
    completeness: list[CompletenessRow],
    *,
    tool_version: str,
    produced: dt.datetime,
) -> PackContext:
    """Everything a pack shows, from the tidy results rows (no personal data can be in them)."""
    la_names = [
        la.name for la in catalogue.local_authorities if la.id in partnership.local_authorities
    ]
    area_names = [*la_names, partnership.id, "Tees"]
    by_key: dict[tuple[str, str], dict[str, Any]] = {}
    breakdowns: dict[str, list[dict[str, Any]]] = {}
    for row in results:
        if row["breakdown"] == "":
            by_key[(row["indicator_id"], row["area"])] = row
        elif row["area"] in area_names:
            breakdowns.setdefault(row["indicator_id"], []).append(row)
    aims = []
    for aim in catalogue.aims:
        objectives = []
        for objective in aim.objectives:
            views = [
                _indicator_view(
                    catalogue, indicator, area_names, by_key, breakdowns.get(indicator.id, [])
                )
                for indicator in objective.indicators
            ]
            objectives.append(ObjectiveView(objective.id, objective.title, views))
        aims.append(AimView(aim.id, aim.label, aim.title, objectives))
    return PackContext(
        partnership_id=partnership.id,
        partnership_name=partnership.name,
        quarter=str(quarter),
        quarter_months=quarter.months_label,
        quarter_dates=f"{quarter.start:%-d %B %Y} to {quarter.end:%-d %B %Y}",
        financial_year_label=quarter.financial_year_label,
        produced=f"{produced:%-d %B %Y, %H:%M}",
        tool_version=tool_version,
        catalogue_version=catalogue.version,
        marking=MARKING,
        area_names=area_names,
        aims=aims,
        completeness=completeness,
        symbols=SYMBOL_MEANING,
    )


BREAKDOWN_TITLES = {"measure": "Measure", "part": "Part", "period": "Period", "sector": "Sector",
                    "agency": "Agency"}  # fmt: skip


def _change(value: Any, unit: str) -> str:
    if value is None:
        return ""
    if value == 0:
        return "no change"
    sign = "up" if value > 0 else "down"
    size = abs(value)
    if unit == "percent":
        return f"{sign} {size:.1f} points"
    if unit == "count":
        return f"{sign} {size:,.0f}"
    return f"{sign} {size:.1f}"


def _cell(row: dict[str, Any] | None) -> Cell:
    if row is None:
        return Cell(SYMBOLS["missing"], status="missing")
    return Cell(
        format_value(row["value"], row["unit"], row["status"]),
        _number(row["numerator"]),
        _number(row["denominator"]),
        row["status"],
        _change(row.get("change_previous"), row["unit"]),
        _change(row.get("change_last_year"), row["unit"]),
    )


def _breakdown_title(name: str, catalogue: Catalogue, indicator: Indicator) -> str:
    spec = catalogue.return_spec(indicator.source)
    titles = {c.name: c.title for c in spec.columns} if spec else {}
    return " by ".join(titles.get(n, BREAKDOWN_TITLES.get(n, n)) for n in name.split("|"))


def _breakdown_tables(
    catalogue: Catalogue,
    indicator: Indicator,
    area_names: list[str],
    partnership_id: str,
    rows: list[dict[str, Any]],
) -> list[BreakdownTable]:
    by_name: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_name.setdefault(row["breakdown"], []).append(row)
    tables = []
    for name, group in by_name.items():
        title = _breakdown_title(name, catalogue, indicator)
        if "|" in name:  # a two-way breakdown: the partnership's matrix
            cells: dict[tuple[str, str], str] = {}
            for row in group:
                if row["area"] == partnership_id:
                    first, second = row["breakdown_value"].split("|", 1)
                    cells[(first, second)] = format_value(row["value"], row["unit"], row["status"])
            first_values = sorted({k[0] for k in cells})
            second_values = sorted({k[1] for k in cells})
            first_title, second_title = title.split(" by ", 1)
            tables.append(BreakdownTable(
                f"{title}, {partnership_id}", f"{first_title} \\ {second_title}", second_values,
                [(f, [cells.get((f, c), "0") for c in second_values]) for f in first_values],
            ))  # fmt: skip
        else:
            values = list(dict.fromkeys(r["breakdown_value"] for r in group))
            lookup = {(r["area"], r["breakdown_value"]): r for r in group}
            tables.append(BreakdownTable(
                title, title, area_names,
                [(v, [_cell(lookup.get((a, v))).text for a in area_names]) for v in values],
            ))  # fmt: skip
    return tables


def _target_text(indicator: Indicator) -> str:
    target = indicator.target
    if target is None:
        return ""
    unit = "%" if indicator.unit == "percent" else ""
    word = "at least" if target.direction == "at_least" else "at most"
    per = " a year" if target.per == "year" else " a quarter"
    return f"{word} {target.value:g}{unit}{per}" + (f" ({target.source})" if target.source else "")


def _indicator_view(
    catalogue: Catalogue,
    indicator: Indicator,
    area_names: list[str],
    by_key: dict[tuple[str, str], dict[str, Any]],
    breakdown_rows: list[dict[str, Any]],
) -> IndicatorView:
    figures = [(area, _cell(by_key.get((indicator.id, area)))) for area in area_names]
    spec = catalogue.return_spec(indicator.source)
    return IndicatorView(
        id=indicator.id,
        title=indicator.title,
        definition=indicator.definition,
        source=spec.title if spec else indicator.source,
        unit=UNIT_WORDS[indicator.unit],
        polarity=POLARITY_WORDS[indicator.polarity],
        status="proposed" if indicator.status == "proposed" else "framework",
        notes=indicator.notes,
        figures=figures,
        breakdowns=_breakdown_tables(
            catalogue, indicator, area_names, area_names[-2], breakdown_rows
        ),
        target=_target_text(indicator),
    )
