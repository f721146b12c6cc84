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
POLARITY_WORDS = {
    "higher_is_better": "Higher is better",
    "lower_is_better": "Lower is better",
    "neither": "Neither higher nor lower is better",
}


@dataclass(frozen=True)
class Cell:
    """A figure as shown: the text, and the numbers behind it for the text alternative."""

    text: str
    numerator: str = ""
    denominator: str = ""
    status: str = "ok"


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
    breakdown_title: str = ""
    matrix_rows: list[str] = field(default_factory=list)
    matrix_columns: list[str] = field(default_factory=list)
    matrix: dict[tuple[str, str], str] = field(default_factory=dict)
    breakdown_rows: list[tuple[str, str]] = field(default_factory=list)


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
        elif row["area"] == partnership.id:
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


def _indicator_view(
    catalogue: Catalogue,
    indicator: Indicator,
    area_names: list[str],
    by_key: dict[tuple[str, str], dict[str, Any]],
    breakdown_rows: list[dict[str, Any]],
) -> IndicatorView:
    figures = []
    for area in area_names:
        row = by_key.get((indicator.id, area))
        if row is None:
            figures.append((area, Cell(SYMBOLS["missing"], status="missing")))
            continue
        figures.append(
            (
                area,
                Cell(
                    format_value(row["value"], row["unit"], row["status"]),
                    _number(row["numerator"]),
                    _number(row["denominator"]),
                    row["status"],
                ),
            )
        )
    spec = catalogue.return_spec(indicator.source)
    view: dict[str, Any] = {}
    dims = indicator.measure.breakdown
    if breakdown_rows and spec is not None:
        titles = [c.title for c in spec.columns if c.name in dims]
        if len(dims) == 2:
            cells = {}
            for row in breakdown_rows:
                first, second = row["breakdown_value"].split("|", 1)
                cells[(first, second)] = format_value(row["value"], row["unit"], row["status"])
            view = {
                "breakdown_title": " by ".join(titles),
                "matrix_rows": sorted({k[0] for k in cells}),
                "matrix_columns": sorted({k[1] for k in cells}),
                "matrix": cells,
            }
        else:
            view = {
                "breakdown_title": titles[0] if titles else dims[0],
                "breakdown_rows": [
                    (r["breakdown_value"], format_value(r["value"], r["unit"], r["status"]))
                    for r in breakdown_rows
                ],
            }
    return IndicatorView(
        id=indicator.id,
        title=indicator.title,
        definition=indicator.definition,
        source=spec.title if spec else indicator.source,
        unit="percentage" if indicator.unit == "percent" else "count",
        polarity=POLARITY_WORDS[indicator.polarity],
        status="proposed" if indicator.status == "proposed" else "framework",
        notes=indicator.notes,
        figures=figures,
        **view,
    )
