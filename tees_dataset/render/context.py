"""The pack's context: one plain object per partnership and quarter, fed to every renderer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from tees_dataset.catalogue.explain import formula
from tees_dataset.catalogue.models import Benchmark, Catalogue, Indicator, NoBenchmark, Partnership
from tees_dataset.quarter import Quarter
from tees_dataset.render.chart import Reference, Series, describe, trend_svg

MARKING = "OFFICIAL-SENSITIVE"
SYMBOLS = {"missing": "x", "not_applicable": "z", "suppressed": "c"}
SYMBOL_MEANING = {
    "x": "not available: a return was missing or rejected",
    "z": "not applicable: nothing to measure, or no meaning for this area",
    "c": "suppressed: a small number that could identify a child, or a figure from which one "
    "could be worked out",
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
BREAKDOWN_TITLES = {"measure": "Measure", "part": "Part", "period": "Period", "sector": "Sector",
                    "agency": "Agency"}  # fmt: skip


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
class TargetView:
    text: str  # the target in words
    verdict: str  # "Met", "Not met" or "Not yet judged"
    symbol: str  # a symbol beside the word, never instead of it
    detail: str


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
    target: TargetView | None = None
    chart: Markup = field(default_factory=Markup)
    chart_alt: str = ""
    quality: list[str] = field(default_factory=list)
    # National benchmarks: rows of the headline table (label, a cell per area), what they are,
    # and what the chart's reference lines show; or why the indicator has none.
    benchmark_rows: list[tuple[str, list[str]]] = field(default_factory=list)
    benchmark_note: str = ""
    chart_references: str = ""
    no_benchmark: str = ""


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
    received: str = ""
    late: bool = False
    comment: str = ""

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
class Finding:
    """A line of the summary: what, where, and the question it raises."""

    indicator_id: str
    title: str
    text: str
    enquiry: str
    kind: str  # "concern" or "strength"


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
    concerns: list[Finding]
    strengths: list[Finding]
    symbols: dict[str, str]
    sources: list[SourceFile]
    due_date: str
    settings: dict[str, float]
    definitions: list[tuple[str, str, str]]
    # The synthetic-data mark when any return read was made by `tees-dataset
    # sample`: then on every page, so that a sample pack can never pass for a real one.
    synthetic: str = ""
    # benchmarks.csv's rows for this pack's areas (an overview can draw on them), and the
    # published files they come from.
    benchmarks: list[dict[str, Any]] = field(default_factory=list)
    reference_sources: list[ReferenceSource] = field(default_factory=list)

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
                f"{title}, {partnership_id}", f"{first_title} \\\\ {second_title}", second_values,
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


def _year_total(
    trend: dict[tuple[str, str], dict[str, Any]], quarter: Quarter, area: str, ind: str
) -> float | None:
    values = []
    for n in range(4):
        row = trend.get((str(quarter.shift(-n)), area))
        if (
            row is None
            or row["indicator_id"] != ind
            or row["status"] != "ok"
            or row["value"] is None
        ):
            return None
        values.append(float(row["value"]))
    return sum(values)


def _target(
    indicator: Indicator, headline: dict[str, Any] | None, trend: dict[tuple[str, str], dict[str, Any]],
    quarter: Quarter, area: str,
) -> TargetView | None:  # fmt: skip
    target = indicator.target
    if target is None:
        return None
    unit = "%" if indicator.unit == "percent" else ""
    word = "at least" if target.direction == "at_least" else "at most"
    text = f"{word} {target.value:g}{unit} a {target.per}" + (
        f" ({target.source})" if target.source else ""
    )
    if target.per == "year":
        value = _year_total(trend, quarter, area, indicator.id)
        period = f"the four quarters to {quarter}"
    else:
        ok = headline is not None and headline["status"] == "ok"
        value = float(headline["value"]) if ok and headline is not None else None
        period = str(quarter)
    if value is None:
        return TargetView(text, "Not yet judged", "–", f"{area}: not enough figures for {period}.")
    met = value >= target.value if target.direction == "at_least" else value <= target.value
    shown = f"{value:,.1f}{unit}".replace(".0", "") if unit else f"{value:,.0f}"
    return TargetView(
        text, "Met" if met else "Not met", "✔" if met else "✘", f"{area}: {shown} in {period}."
    )


_BENCHMARK_LABELS = {
    "published": "Published",
    "statistical_neighbours": "Neighbours",
    "north_east": "North East",
    "england": "England",
}


@dataclass(frozen=True)
class BenchmarkShown:
    rows: list[tuple[str, list[str]]]
    note: str
    references: list[Reference]
    caption: str


def _benchmarks(
    indicator: Indicator, rows: list[dict[str, Any]], area_names: list[str], quarter: Quarter
) -> BenchmarkShown:
    """The benchmark rows of an indicator's headline table, what they are, and the chart's
    reference lines (England and the North East) where they are on the chart's scale."""
    from tees_dataset.compute.benchmarks import KINDS, on_chart
    from tees_dataset.reference import STATISTICS

    benchmark = indicator.benchmark
    if not isinstance(benchmark, Benchmark) or not rows or benchmark.statistic not in STATISTICS:
        return BenchmarkShown([], "", [], "")
    statistic = STATISTICS[benchmark.statistic]
    unit = indicator.unit
    first = rows[0]
    year = first["year"]
    short = str(year) if year else "(none)"
    by_kind = {(r["area"], r["benchmark"]): r for r in rows}
    local = {r["area"]: r for r in rows}
    table: list[tuple[str, list[str]]] = []
    if benchmark.local != "quarter" or benchmark.breakdown:
        table.append((first["local_basis"], [
            format_value(local[a]["local_value"], unit, local[a]["local_status"]) if a in local else ""
            for a in area_names
        ]))  # fmt: skip
    for kind in KINDS:
        cells = []
        for area in area_names:
            row = by_kind.get((area, kind))
            status = "ok" if row is not None and row["status"] == "ok" else "missing"
            cells.append("" if row is None else format_value(row["value"], unit, status))
        if any(cells):
            table.append((f"{_BENCHMARK_LABELS[kind]} {short}", cells))
    when = (
        f"{year}: DfE's figures for {'the ' if statistic.when == 'year_to_31_march' else ''}"
        f"{first['period']}, the latest published for a date no "
        f"later than the end of {quarter}"
        if year
        else f"no DfE figure is published for a date no later than the end of {quarter}"
    )
    parts = [f"{statistic.title}. {when}."]
    if table and table[0][0] == first["local_basis"]:
        parts.append(f"Set beside them: {first['local_basis']}.")
    if any(kind == "published" for _, kind in by_kind):
        parts.append(
            "Published: the authority's own figure in DfE's statistics, from its statutory "
            "return. Neighbours: the mean of the published figures of its ten statistical "
            "neighbours (DfE's model)."
        )
    gaps = [
        f"{r['benchmark_area']}: {r['note']}" for r in rows
        if r["note"] and (r["status"] != "ok" or "left out" in r["note"])
    ]  # fmt: skip
    if gaps:
        parts.append("; ".join(dict.fromkeys(gaps)) + ".")
    if benchmark.note:
        parts.append(benchmark.note)
    parts.append(f"Source: {first['source']}.")
    references: list[Reference] = []
    caption = ""
    if year and on_chart(indicator):
        for kind in ("england", "north_east"):
            row = next((r for r in rows if r["benchmark"] == kind and r["status"] == "ok"), None)
            if row is not None:
                references.append(
                    Reference(f"{row['benchmark_area']} {year}", float(row["value"]), row["period"])
                )
        if references:
            caption = (
                " Thin grey lines without markers: "
                + " and ".join(
                    f"{r.label.rsplit(' ', 1)[0]} ({'solid' if n == 0 else 'dotted'})"
                    for n, r in enumerate(references)
                )
                + f", {first['period']}."
            )
    elif year:
        caption = (
            " England's and the North East's figures are for 12 months, about four times a "
            "quarter's: they are in the table, beside the 12-month figure, not on this chart."
        )
    return BenchmarkShown(table, " ".join(parts), references, caption)


def _no_benchmark(indicator: Indicator) -> str:
    benchmark = indicator.benchmark
    return benchmark.none if isinstance(benchmark, NoBenchmark) else ""


def _quality_notes(
    indicator: Indicator, figures: list[tuple[str, Cell]], notes: dict[str, str]
) -> list[str]:
    lines = []
    missing = [area for area, cell in figures if cell.status == "missing"]
    if missing:
        lines.append(
            f"Not available for {', '.join(missing)}: a return it needs was missing or rejected."
        )
    for area, note in notes.items():
        if note:
            lines.append(f"{area}: {note}")
    return list(dict.fromkeys(lines))


def _series(
    indicator: Indicator,
    trend: dict[tuple[str, str], dict[str, Any]],
    quarters: list[str],
    areas: list[str],
) -> list[Series]:
    out = []
    for area in areas:
        points = []
        for q in quarters:
            row = trend.get((q, area))
            ok = row is not None and row["status"] == "ok" and row["value"] is not None
            points.append((q, float(row["value"]) if ok and row is not None else None))
        out.append(Series(area, points))
    return out


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
    benchmark_rows = [r for r in benchmarks or [] if r["area"] in area_names]
    benchmarks_by_indicator: dict[str, list[dict[str, Any]]] = {}
    for row in benchmark_rows:
        benchmarks_by_indicator.setdefault(row["indicator_id"], []).append(row)
    trend_rows = trend or []
    quarters = sorted({r["quarter"] for r in trend_rows}) or [str(quarter)]
    trend_by_indicator: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
    for row in trend_rows:
        trend_by_indicator.setdefault(row["indicator_id"], {})[(row["quarter"], row["area"])] = row
    aims = []
    concerns: list[Finding] = []
    strengths: list[Finding] = []
    for aim in catalogue.aims:
        objectives = []
        for objective in aim.objectives:
            views = []
            for indicator in objective.indicators:
                series_trend = trend_by_indicator.get(indicator.id, {})
                figures = [(area, _cell(by_key.get((indicator.id, area)))) for area in area_names]
                headline = by_key.get((indicator.id, partnership.id))
                spec = catalogue.return_spec(indicator.source)
                chart_title = f"{indicator.id} {indicator.title}, {quarters[0]} to {quarters[-1]}"
                series = _series(
                    indicator, series_trend, quarters, [partnership.id, "Tees", *la_names]
                )
                notes = {
                    area: (by_key.get((indicator.id, area)) or {}).get("note", "")
                    for area in area_names
                }
                target = _target(indicator, headline, series_trend, quarter, partnership.id)
                shown = _benchmarks(
                    indicator, benchmarks_by_indicator.get(indicator.id, []), area_names, quarter
                )
                view = IndicatorView(
                    id=indicator.id,
                    title=indicator.title,
                    definition=indicator.definition,
                    source=spec.title if spec else indicator.source,
                    unit=UNIT_WORDS[indicator.unit],
                    polarity=POLARITY_WORDS[indicator.polarity],
                    status=indicator.status,
                    notes=indicator.notes,
                    figures=figures,
                    breakdowns=_breakdown_tables(catalogue, indicator, area_names, partnership.id,
                                                 breakdowns.get(indicator.id, [])),
                    target=target,
                    # Safe markup: built from numbers and XML-escaped labels.
                    chart=Markup(trend_svg(chart_title, series, indicator.unit, shown.references)),
                    chart_alt=describe(chart_title, series, indicator.unit, shown.references),
                    quality=_quality_notes(indicator, figures, notes),
                    benchmark_rows=shown.rows,
                    benchmark_note=shown.note,
                    chart_references=shown.caption,
                    no_benchmark=_no_benchmark(indicator),
                )  # fmt: skip
                views.append(view)
                _findings(
                    catalogue,
                    indicator,
                    view,
                    by_key,
                    partnership.id,
                    la_names,
                    concerns,
                    strengths,
                )
            objectives.append(ObjectiveView(objective.id, objective.title, views))
        aims.append(AimView(aim.id, aim.label, aim.title, objectives))
    settings = _OLD_SETTINGS
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
        concerns=concerns,
        strengths=strengths,
        symbols=SYMBOL_MEANING,
        sources=sources or [],
        due_date=f"{quarter.end + dt.timedelta(days=catalogue.due_days):%-d %B %Y}",
        settings={
            "points": settings.notable_change_points,
            "ratio": settings.notable_change_ratio,
            "minimum": settings.notable_change_minimum,
            "gap": settings.notable_gap_points,
        },
        definitions=[(i.id, i.title, formula(i.measure)) for _, _, i in catalogue.indicators()],
        benchmarks=benchmark_rows,
        reference_sources=reference_sources or [],
    )


def _in_sentence(title: str) -> str:
    """A title inside a sentence: 'Staff turnover rates' -> 'staff turnover rates', but
    'LADO referrals' and 'S25 secure orders' keep their capitals."""
    first = title.split(" ", 1)[0]
    if len(first) > 1 and (first[1:].lower() != first[1:] or any(ch.isdigit() for ch in first)):
        return title
    return title[:1].lower() + title[1:]


def _direction(indicator: Indicator, change: float) -> str:
    if indicator.polarity == "neither":
        return "neutral"
    better = change > 0 if indicator.polarity == "higher_is_better" else change < 0
    return "strength" if better else "concern"


class _Old:
    notable_change_points = 5.0
    notable_change_ratio = 0.25
    notable_change_minimum = 10
    notable_gap_points = 10.0


_OLD_SETTINGS = _Old()


def _findings(
    catalogue: Catalogue,
    indicator: Indicator,
    view: IndicatorView,
    by_key: dict[tuple[str, str], dict[str, Any]],
    partnership: str,
    la_names: list[str],
    concerns: list[Finding],
    strengths: list[Finding],
) -> None:
    """Exceptions for the summary: off target, notable changes, gaps between authorities."""
    settings = _OLD_SETTINGS
    row = by_key.get((indicator.id, partnership))
    title = indicator.title
    if view.target is not None and view.target.verdict in ("Met", "Not met"):
        finding = Finding(
            indicator.id, title, f"Target {view.target.text}: {view.target.verdict.lower()}. {view.target.detail}",
            f"What would it take to meet the target for {_in_sentence(title)}, and who owns that?"
            if view.target.verdict == "Not met" else f"What is keeping {_in_sentence(title)} on target?",
            "concern" if view.target.verdict == "Not met" else "strength",
        )  # fmt: skip
        (concerns if finding.kind == "concern" else strengths).append(finding)
    if row is None or row["status"] != "ok" or row["value"] is None:
        return
    value = float(row["value"])
    changes = []
    for key, since in (("previous", "last quarter"), ("last_year", "the same quarter last year")):
        before = row.get(f"{key}_value")
        if before is None:
            continue
        change = value - float(before)
        if indicator.unit == "percent":
            # A percentage of a handful of cases swings by chance: judge only a real base.
            base = float(row["denominator"] or 0)
            notable = (
                abs(change) >= settings.notable_change_points
                and base >= settings.notable_change_minimum
            )
            size = f"{abs(change):.1f} points"
        else:
            big_enough = max(abs(value), abs(float(before))) >= settings.notable_change_minimum
            ratio = abs(change) / abs(float(before)) if before else float("inf")
            notable = big_enough and ratio >= settings.notable_change_ratio
            size = f"{ratio:.0%}" if before else "from zero"
        if notable:
            moved = "up" if change > 0 else "down"
            was = format_value(float(before), row["unit"], "ok")
            changes.append((change, f"{moved} {size} on {since} (from {was})"))
    if changes:
        direction = _direction(indicator, changes[0][0])
        if len({_direction(indicator, c) for c, _ in changes}) > 1:
            direction = "neutral"  # better on one comparison, worse on the other
        now = format_value(value, row["unit"], "ok")
        text = f"{partnership} {now}: " + "; ".join(t for _, t in changes) + "."
        if direction == "strength":
            strengths.append(
                Finding(
                    indicator.id,
                    title,
                    text,
                    f"What changed in practice to improve {_in_sentence(title)}, and can it be sustained?",
                    "strength",
                )
            )
        else:
            concerns.append(Finding(
                indicator.id, title, text,
                f"What explains the change in {_in_sentence(title)}, and is it seen in "
                f"{' and '.join(la_names)} alike?", "concern",
            ))  # fmt: skip
    if indicator.unit == "percent" and len(la_names) == 2:
        first, second = (by_key.get((indicator.id, la)) for la in la_names)
        if first and second and first["status"] == second["status"] == "ok":
            gap = float(first["value"]) - float(second["value"])
            if abs(gap) >= settings.notable_gap_points:
                high, low = (la_names[0], la_names[1]) if gap > 0 else (la_names[1], la_names[0])
                concerns.append(Finding(
                    indicator.id, title,
                    f"{high} and {low} are {abs(gap):.1f} points apart "
                    f"({format_value(float(first['value']), 'percent', 'ok')} and "
                    f"{format_value(float(second['value']), 'percent', 'ok')}).",
                    f"Why do {high} and {low} differ on {_in_sentence(title)}, and what can each learn from the other?",
                    "concern",
                ))  # fmt: skip
