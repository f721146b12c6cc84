"""The pack's context: one plain object per partnership and quarter, fed to every renderer.

It reads the tidy results rows (no personal data can be in them) with their intervals and
signals, and the findings `compute.findings` draws from them; it decides only how they are
shown: the overview, the key lines of enquiry, and a page section per indicator.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from tees_dataset.catalogue.explain import formula
from tees_dataset.catalogue.models import Catalogue, Partnership
from tees_dataset.compute import findings as find
from tees_dataset.compute.signals import headline_history
from tees_dataset.quarter import Quarter
from tees_dataset.render.benchmark_view import benchmarks_shown, no_benchmark
from tees_dataset.render.chart import Reference, describe, trend_svg
from tees_dataset.render.sections import (
    breakdown_tables,
    comments_for,
    limits_of,
    overview_rows,
    quality_notes,
    series_of,
)
from tees_dataset.render.views import (
    CALL_LABELS,
    MARKING,
    POLARITY_WORDS,
    SIGNAL_CALLS,
    SYMBOL_MEANING,
    SYMBOL_WORDS,
    SYMBOLS,
    UNIT_PHRASES,
    UNIT_WORDS,
    AimView,
    CarriedEnquiry,
    Cell,
    Findings,
    IndicatorView,
    ObjectiveView,
    cell,
    format_value,
)

__all__ = [
    "MARKING", "POLARITY_WORDS", "SYMBOLS", "SYMBOL_MEANING", "SYMBOL_WORDS", "UNIT_WORDS",
    "CarriedEnquiry", "Cell", "CompletenessRow", "IndicatorView", "PackContext", "ReferenceSource", "SourceFile",
    "build_context", "format_value",
]  # fmt: skip


@dataclass(frozen=True)
class CompletenessRow:
    agency: str
    return_title: str
    status: str
    errors: int
    received: str = ""
    late: bool = False
    comment: str = ""
    return_id: str = ""

    @property
    def shown_status(self) -> str:
        if self.status == "received" and self.late:
            return "late"
        return self.status


@dataclass(frozen=True)
class AgencyCompleteness:
    """One agency's returns in a line: the worst status, and which returns it concerns."""

    agency: str
    status: str  # received, late, missing or rejected
    received: str
    errors: int
    detail: str
    comment: str


STATUS_ORDER = ("rejected", "missing", "late", "received")


def by_agency(rows: list[CompletenessRow]) -> list[AgencyCompleteness]:
    grouped: dict[str, list[CompletenessRow]] = {}
    for row in rows:
        grouped.setdefault(row.agency, []).append(row)
    out = []
    for agency, items in grouped.items():
        statuses = {r.shown_status for r in items}
        worst = next(s for s in STATUS_ORDER if s in statuses)
        problems = [f"{r.return_title} {r.status}" + (f" ({r.errors} errors)" if r.errors else "")
                    for r in items if r.status != "received"]  # fmt: skip
        n = len(items)
        if problems:
            detail = "; ".join(problems) + (
                f"; {n - len(problems)} of {n} received" if n > len(problems) else ""
            )
        else:
            detail = f"all {n} received" if n > 1 else f"{items[0].return_title} received"
        received = next((r.received for r in items if r.received), "")
        out.append(AgencyCompleteness(agency, worst, received, sum(r.errors for r in items), detail,
                                      next((r.comment for r in items if r.comment), "")))  # fmt: skip
    return sorted(out, key=lambda a: (STATUS_ORDER.index(a.status), a.agency))


@dataclass(frozen=True)
class SourceFile:
    quarter: str
    file: str
    agency: str
    sha256: str


@dataclass(frozen=True)
class ReferenceSource:
    """A published file the benchmarks or rates come from (reference/sources.csv)."""

    title: str
    file: str
    publication_year: str
    sha256: str


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
    published: bool
    area_names: list[str]
    aims: list[AimView]
    completeness: list[CompletenessRow]
    findings: Findings
    symbols: dict[str, str]
    sources: list[SourceFile]
    due_date: str
    minimum_base: int
    # The synthetic-data mark when any return read was made by `tees-dataset
    # sample`: then on every page, so that a sample pack can never pass for a real one.
    synthetic: str = ""
    benchmarks: list[dict[str, Any]] = field(default_factory=list)
    reference_sources: list[ReferenceSource] = field(default_factory=list)
    inputs_sha256: str = ""  # manifest.json's digest of every input and its checksum
    history: str = ""  # the quarters the trend and SPC draw on, e.g. "2021Q4 to 2024Q3"

    @property
    def title(self) -> str:
        suffix = " (published version)" if self.published else ""
        return f"{self.partnership_id} safeguarding dataset {self.quarter}{suffix}"

    @property
    def agencies(self) -> list[AgencyCompleteness]:
        return by_agency(self.completeness)

    @property
    def missing_returns(self) -> list[CompletenessRow]:
        return [c for c in self.completeness if c.status != "received"]

    @property
    def late_returns(self) -> list[CompletenessRow]:
        return [c for c in self.completeness if c.status == "received" and c.late]

    @property
    def sources_by_quarter(self) -> list[tuple[str, int, int]]:
        """(quarter, files, agencies) read, for the appendix."""
        out: dict[str, tuple[int, set[str]]] = {}
        for s in self.sources:
            files, agencies = out.get(s.quarter, (0, set()))
            out[s.quarter] = (files + 1, agencies | {s.agency})
        return [(q, n, len(a)) for q, (n, a) in sorted(out.items())]


def build_context(
    catalogue: Catalogue,
    partnership: Partnership,
    quarter: Quarter,
    results: list[dict[str, Any]],
    completeness: list[CompletenessRow],
    *,
    tool_version: str,
    produced: dt.datetime,
    trend: list[dict[str, Any]] | None = None,
    benchmarks: list[dict[str, Any]] | None = None,
    sources: list[SourceFile] | None = None,
    reference_sources: list[ReferenceSource] | None = None,
    published: bool = False,
    carried: list[CarriedEnquiry] | None = None,
    carried_note: str = "",
    inputs_sha256: str = "",
) -> PackContext:
    """Everything a pack shows, from the tidy results rows (no personal data can be in them)."""
    import polars as pl

    minimum = catalogue.pack.minimum_base
    la_names = [
        la.name for la in catalogue.local_authorities if la.id in partnership.local_authorities
    ]
    others = [p.id for p in catalogue.partnerships if p.id != partnership.id]
    area_names = [*la_names, partnership.id, "Tees"]
    overview_columns = [*la_names, partnership.id, *others, "Tees"]
    by_key: dict[tuple[str, str], dict[str, Any]] = {}
    breakdowns: dict[str, list[dict[str, Any]]] = {}
    for row in results:
        if row["breakdown"] == "":
            by_key[(row["indicator_id"], row["area"])] = row
        elif row["area"] in area_names:
            breakdowns.setdefault(row["indicator_id"], []).append(row)
    benchmarks_by_indicator: dict[str, list[dict[str, Any]]] = {}
    for row in benchmarks or []:
        if row["area"] in area_names:
            benchmarks_by_indicator.setdefault(row["indicator_id"], []).append(row)
    trend_rows = trend or []
    # The charts' quarters: consecutive (a gap in the archive is a gap in the line, never a
    # quarter's step), from the first with any figure for this pack's areas.
    known = [r["quarter"] for r in trend_rows if r["status"] == "ok" and r["area"] in area_names]
    first = Quarter.parse(min(known)) if known else quarter
    quarters = [str(q) for q in first.through(quarter)]
    trend_by_indicator: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
    for row in trend_rows:
        trend_by_indicator.setdefault(row["indicator_id"], {})[(row["quarter"], row["area"])] = row
    history = (
        headline_history(pl.DataFrame(trend_rows, infer_schema_length=None), str(quarter))
        if trend_rows else {}
    )  # fmt: skip
    targets = {
        (indicator.id, area): find.target_status(
            indicator, by_key.get((indicator.id, area)), trend_by_indicator.get(indicator.id, {}),
            quarter, area,
        )
        for _, _, indicator in catalogue.indicators() for area in overview_columns
    }  # fmt: skip
    evidence = find.evidence(
        catalogue, partnership, la_names, by_key,
        {ind: t for (ind, area), t in targets.items() if area == partnership.id},
        benchmarks_by_indicator,
    )  # fmt: skip
    kinds = find.classify(evidence)
    missing = [
        f"{c.agency}: {c.return_title} {c.status}" for c in completeness if c.status != "received"
    ]
    enquiries = find.enquiries(catalogue, evidence, missing)
    order: dict[str, float] = {}
    for e in evidence:
        order[e.indicator_id] = min(order.get(e.indicator_id, 0.0), -e.weight)
    overview = overview_rows(
        catalogue, overview_columns, by_key, targets, kinds, benchmarks_by_indicator, order
    )
    comments: dict[str, list[str]] = {}
    for c in completeness:
        if c.comment and c.return_id:
            comments.setdefault(c.return_id, []).append(f"{c.agency} says: {c.comment}")
    first_shown: dict[str, str] = {}
    aims = []
    shown_before: dict[tuple[Any, ...], str] = {}
    for aim in catalogue.aims:
        objectives = []
        for objective in aim.objectives:
            views = []
            for indicator in objective.indicators:
                series_trend = trend_by_indicator.get(indicator.id, {})
                figures = [(a, cell(by_key.get((indicator.id, a)), minimum)) for a in area_names]
                spec = catalogue.return_spec(indicator.source)
                shown = benchmarks_shown(
                    indicator, benchmarks_by_indicator.get(indicator.id, []), area_names, quarter
                )
                headline = by_key.get((indicator.id, partnership.id)) or {}
                series = series_of(series_trend, quarters, [partnership.id, "Tees", *la_names])
                limits, variation, assurance = limits_of(
                    indicator, partnership.id, history, quarters
                )
                target = targets.get((indicator.id, partnership.id))
                references = list(shown.references)
                if (
                    target is not None
                    and indicator.target is not None
                    and indicator.target.per == "quarter"
                ):
                    references.append(
                        Reference(
                            f"Target {indicator.target.value:g}",
                            indicator.target.value,
                            "the framework's target",
                        )
                    )
                chart_title = f"{indicator.id} {indicator.title}, {quarters[0]} to {quarters[-1]}"
                styled = list(zip(series, ("partnership", "tees", "first", "second"), strict=False))
                # A count's totals get their own panel, when the authorities have figures to
                # draw beside them (a partnership-level count has none).
                split = indicator.unit == "count" and any(
                    v is not None for s in series[2:] for _, v in s.points
                )
                key = (tuple(c.text for _, c in figures), tuple(tuple(s.points) for s in series))
                same_as = shown_before.get(key, "") if indicator.source else ""
                shown_before.setdefault(key, indicator.id)
                signal = headline.get("signal") or ""
                call = SIGNAL_CALLS.get(signal, "")
                notes = {
                    a: (by_key.get((indicator.id, a)) or {}).get("note", "") for a in area_names
                }
                view = IndicatorView(
                    id=indicator.id, title=indicator.title, definition=indicator.definition,
                    source=spec.title if spec else indicator.source,
                    unit=UNIT_PHRASES[indicator.unit], polarity=POLARITY_WORDS[indicator.polarity],
                    status=indicator.status, notes=indicator.notes, figures=figures,
                    breakdowns=breakdown_tables(catalogue, indicator, area_names, partnership.id,
                                                 breakdowns.get(indicator.id, [])),
                    target=target,
                    # Safe markup: built from numbers and XML-escaped labels.
                    chart=Markup(trend_svg(chart_title, styled, indicator.unit, references, limits, split)),
                    chart_alt=describe(chart_title, series, indicator.unit, references, limits),
                    quality=quality_notes(figures, notes, comments_for(comments, first_shown, indicator)),
                    benchmark_rows=shown.rows, benchmark_note=shown.note,
                    chart_references=shown.caption, no_benchmark=no_benchmark(indicator),
                    formula=formula(indicator.measure),
                    signal=CALL_LABELS[call] if call else "– not assessed",
                    signal_basis=headline.get("signal_basis") or "no figure",
                    variation=variation, assurance=assurance, kind=kinds.get(indicator.id, ""), same_as=same_as,
                    directed=indicator.polarity != "neither",
                )  # fmt: skip
                views.append(view)
            objectives.append(ObjectiveView(objective.id, objective.title, views))
        aims.append(AimView(aim.id, aim.label, aim.title, objectives))
    return PackContext(
        partnership_id=partnership.id,
        partnership_name=partnership.name,
        quarter=str(quarter),
        quarter_months=quarter.months_label,
        quarter_dates=f"{quarter.start:%-d %B %Y} to {quarter.end:%-d %B %Y}",
        financial_year_label=quarter.financial_year_label,
        produced=f"{produced:%-d %B %Y, %H:%M} UTC",
        tool_version=tool_version,
        catalogue_version=catalogue.version,
        marking="" if published else MARKING,
        published=published,
        area_names=area_names,
        aims=aims,
        completeness=completeness,
        findings=Findings(
            overview_columns,
            overview,
            enquiries,
            find.strengths(evidence),
            carried or [],
            carried_note,
        ),
        symbols=SYMBOL_MEANING,
        sources=sources or [],
        due_date=f"{quarter.end + dt.timedelta(days=catalogue.due_days):%-d %B %Y}",
        minimum_base=minimum,
        benchmarks=[r for r in benchmarks or [] if r["area"] in area_names],
        reference_sources=reference_sources or [],
        inputs_sha256=inputs_sha256,
        history=f"{quarters[0]} to {quarters[-1]}",
    )
