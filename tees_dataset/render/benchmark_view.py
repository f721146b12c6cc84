"""How the pack shows an indicator's national benchmarks: rows of its headline table, a note
on what they are, and the chart's reference lines."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tees_dataset.catalogue.models import Benchmark, Indicator, NoBenchmark
from tees_dataset.quarter import Quarter
from tees_dataset.render.chart import Reference
from tees_dataset.render.views import format_value

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


def benchmarks_shown(
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
        f"{first['period']}"
        if year
        else f"no DfE figure is published for a date no later than the end of {quarter}"
    )
    parts = [f"{statistic.title}. {when}."]
    if table and table[0][0] == first["local_basis"]:
        parts.append(f"Set beside them: {first['local_basis']}.")
    gaps = [
        f"{r['benchmark_area']}: {r['note']}" for r in rows
        if r["note"] and (r["status"] != "ok" or "left out" in r["note"])
    ]  # fmt: skip
    if gaps:
        parts.append("; ".join(dict.fromkeys(gaps)) + ".")
    if benchmark.note:
        parts.append(benchmark.note)
    # The publication and its file are named in the appendix and in manifest.json.
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


def no_benchmark(indicator: Indicator) -> str:
    benchmark = indicator.benchmark
    return benchmark.none if isinstance(benchmark, NoBenchmark) else ""
