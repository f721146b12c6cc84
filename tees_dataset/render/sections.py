"""The pieces of an indicator's section and of the overview: breakdown tables, data-quality
notes (an agency's comments beside the figures they affect), trend series, the XmR chart's
limits, and the overview's rows."""

from __future__ import annotations

from typing import Any

from tees_dataset.catalogue.models import Catalogue, Indicator
from tees_dataset.compute import findings as find
from tees_dataset.compute import spc
from tees_dataset.compute.signals import SPC_POINTS
from tees_dataset.render.chart import Limits, Series
from tees_dataset.render.views import (
    BREAKDOWN_TITLES,
    CALL_LABELS,
    SIGNAL_CALLS,
    SYMBOLS,
    UNIT_PHRASES,
    BreakdownTable,
    Cell,
    OverviewCell,
    OverviewRow,
    figure_text,
    format_value,
)


def _breakdown_title(name: str, catalogue: Catalogue, indicator: Indicator) -> str:
    spec = catalogue.return_spec(indicator.source)
    titles = {c.name: c.title for c in spec.columns} if spec else {}
    return " by ".join(titles.get(n, BREAKDOWN_TITLES.get(n, n)) for n in name.split("|"))


def breakdown_tables(
    catalogue: Catalogue,
    indicator: Indicator,
    area_names: list[str],
    partnership_id: str,
    rows: list[dict[str, Any]],
) -> list[BreakdownTable]:
    minimum = catalogue.pack.minimum_base
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
                    cells[(first, second)] = figure_text(row, minimum)
            first_values = sorted({k[0] for k in cells})
            second_values = sorted({k[1] for k in cells})
            first_title, second_title = title.split(" by ", 1)
            # A pair with no row was not expected (an organisation not at a meeting): z.
            tables.append(BreakdownTable(
                f"{title}, {partnership_id}", f"{first_title} (rows) by {second_title} (columns)",
                second_values,
                [(f, [cells.get((f, c), SYMBOLS["not_applicable"]) for c in second_values])
                 for f in first_values],
            ))  # fmt: skip
        else:
            values = list(dict.fromkeys(r["breakdown_value"] for r in group))
            lookup = {(r["area"], r["breakdown_value"]): r for r in group}
            # Tees is in the overview and the headline chart: a breakdown shows the partnership
            # and its authorities, side by side with the next where they fit.
            shown = [a for a in area_names[:-1] if any((a, v) in lookup for v in values)]
            tables.append(BreakdownTable(
                title, title, shown,
                [(v, [figure_text(lookup.get((a, v)), minimum) for a in shown]) for v in values],
            ))  # fmt: skip
    return tables


def quality_notes(
    figures: list[tuple[str, Cell]], notes: dict[str, str], comments: list[str]
) -> list[str]:
    lines = []
    missing = [area for area, c in figures if c.status == "missing"]
    if missing:
        lines.append(
            f"Not available for {', '.join(missing)}: a return it needs was missing or rejected."
        )
    for area, note in notes.items():
        if note:
            lines.append(f"{area}: {note}")
    lines += comments
    return list(dict.fromkeys(lines))


def comments_for(
    comments: dict[str, list[str]], first_shown: dict[str, str], indicator: Indicator
) -> list[str]:
    """An agency's comment on a return, in full beside the first indicator made from it and
    named beside the others."""
    found = comments.get(indicator.source, [])
    if not found:
        return []
    first = first_shown.setdefault(indicator.source, indicator.id)
    if first == indicator.id:
        return found
    return [f"See the comment on this return under {first}."]


def series_of(
    trend: dict[tuple[str, str], dict[str, Any]], quarters: list[str], areas: list[str]
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


def limits_of(
    indicator: Indicator,
    area: str,
    history: dict[tuple[str, str], list[float]],
    quarters: list[str],
) -> tuple[Limits | None, str, str]:
    """The partnership's XmR chart over its unbroken run of quarters, and the variation and
    assurance icons as shape and word; (None, "", "") with fewer than 12 quarters."""
    values = history.get((indicator.id, area), [])
    if len(values) < SPC_POINTS:
        return None, "", ""
    chart = spc.xmr(values)
    variation = spc.variation(chart, indicator.polarity)
    special = [False] * (len(quarters) - len(values)) + [p.special for p in chart.points]
    words = spc.VARIATION_LABELS[variation].split(" ", 1)[1]
    # Figures are never negative, nor percentages over 100: the limits shown stop there.
    top = min(chart.upper, 100.0) if indicator.unit == "percent" else chart.upper
    limits = Limits(area, chart.mean, max(chart.lower, 0.0), top, special,
                    f"the latest quarter is {words} variation" if variation in
                    ("common_cause",) else f"the latest quarter is special cause ({words})")  # fmt: skip
    target = indicator.target
    assurance = ""
    if target is not None and target.per == "quarter":
        icon = spc.assurance(chart, target.value, indicator.polarity)
        assurance = spc.ASSURANCE_LABELS[icon] if icon else ""
    return limits, spc.VARIATION_LABELS[variation], assurance


def overview_rows(
    catalogue: Catalogue,
    columns: list[str],
    by_key: dict[tuple[str, str], dict[str, Any]],
    targets: dict[tuple[str, str], find.TargetStatus | None],
    kinds: dict[str, str],
    benchmarks: dict[str, list[dict[str, Any]]],
    order: dict[str, float],
) -> list[OverviewRow]:
    minimum = catalogue.pack.minimum_base
    rows = []
    for n, (_, _, indicator) in enumerate(catalogue.indicators()):
        cells = []
        for area in columns:
            row = by_key.get((indicator.id, area))
            call = ""
            if row is not None:
                call = SIGNAL_CALLS.get(row.get("signal") or "", "")
                basis = row.get("signal_basis") or ""
                if not call and "significantly higher" in basis:
                    call = "higher"
                elif not call and "significantly lower" in basis:
                    call = "lower"
            target = targets.get((indicator.id, area))
            target_text = ""
            if target is not None and target.verdict != "Not yet judged":
                target_text = f"{target.symbol} target {target.verdict.lower()}"
            # "similar" (no significant change) fits the overview's narrow columns.
            label = "● similar" if call == "similar" else CALL_LABELS[call]
            cells.append(OverviewCell(figure_text(row, minimum), label, target_text))
        national = {}
        for kind in ("england", "north_east"):
            found = next(
                (b for b in benchmarks.get(indicator.id, []) if b["benchmark"] == kind), None
            )
            national[kind] = (
                f"{format_value(found['value'], indicator.unit, 'ok' if found['status'] == 'ok' else 'missing')}"
                f" ({found['year']})" if found is not None and found["year"] else ""
            )  # fmt: skip
        rows.append(OverviewRow(
            indicator.id, indicator.title, kinds.get(indicator.id, ""), UNIT_PHRASES[indicator.unit],
            cells, national["england"], national["north_east"],
        ))  # fmt: skip
        order.setdefault(indicator.id, 1000.0 + n)
    rank = {"concern": 0, "strength": 1, "": 2}
    return sorted(rows, key=lambda r: (rank[r.kind], order[r.indicator_id]))
