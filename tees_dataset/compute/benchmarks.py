"""National benchmarks: which published year a quarter is set beside, the published figures
(England, the North East, each authority's statistical neighbours and its own), and the local
figure made comparable with them. Pure: plain rows and reference data in, rows out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tees_dataset.catalogue.benchmark_spec import statistic_of
from tees_dataset.catalogue.models import (
    LOCAL_AUTHORITY,
    PARTNERSHIP,
    TEES_TYPE,
    Benchmark,
    Catalogue,
    Indicator,
    RateMeasure,
)
from tees_dataset.quarter import Quarter
from tees_dataset.reference import ENGLAND, NORTH_EAST, BenchmarkData, Statistic
from tees_dataset.reference.published import published, published_years, round1

ROLLING_QUARTERS = 4
# The comparisons made, in the order a pack shows them: an authority is set beside all four,
# a partnership and Tees beside England and the North East only.
OWN, NEIGHBOURS, REGION, NATIONAL = "published", "statistical_neighbours", "north_east", "england"
KINDS = (OWN, NEIGHBOURS, REGION, NATIONAL)
AREA_KINDS = {
    LOCAL_AUTHORITY: KINDS,
    PARTNERSHIP: (REGION, NATIONAL),
    TEES_TYPE: (REGION, NATIONAL),
}
BENCHMARK_COLUMNS = (
    "quarter", "area", "area_code", "area_type", "indicator_id", "statistic", "benchmark",
    "benchmark_area", "year", "period", "value", "unit", "status", "note", "local_basis",
    "local_value", "local_status", "source",
)  # fmt: skip
# -------------------------------------------------------------------- published figures


def year_for(data: BenchmarkData, statistic: Statistic, quarter: Quarter) -> int | None:
    """The latest year with a published figure for England whose date (31 March, or 30
    September) is no later than the quarter's end: never a later year's."""
    years = [
        y for y in published_years(data, statistic) if statistic.reference_date(y) <= quarter.end
    ]
    return max(years) if years else None


@dataclass(frozen=True)
class NeighbourAverage:
    value: float | None
    used: int
    of: int
    note: str


def neighbour_average(
    data: BenchmarkData, statistic: Statistic, year: int, authority: str
) -> NeighbourAverage:
    """The mean of the published figures of an authority's ten statistical neighbours (DfE
    code), as DfE's dashboard and LAIT compute it; neighbours with no published figure are left
    out and named."""
    neighbours = data.neighbours.get(authority, ())
    if not neighbours:
        return NeighbourAverage(None, 0, 0, "no statistical neighbours in reference/neighbours.csv")
    values, left_out = [], []
    for code in neighbours:
        figure = published(data, statistic, year, code)
        if figure.value is None:
            left_out.append(f"{data.names.get(code, code)}: {figure.note}")
        else:
            values.append(figure.value)
    model = (
        f"DfE statistical neighbour model {data.neighbour_model}" if data.neighbour_model else ""
    )
    if not values:
        return NeighbourAverage(None, 0, len(neighbours), "no neighbour has a published figure")
    note = f"mean of {len(values)} of its {len(neighbours)} statistical neighbours"
    if left_out:
        note += f" (left out: {'; '.join(left_out)})"
    # Summed as the decimals DfE published, so that a mean of exactly x.x5 rounds up.
    mean = sum((Decimal(repr(v)) for v in values), Decimal(0)) / len(values)
    return NeighbourAverage(
        float(mean.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)), len(values), len(neighbours),
        f"{note}; {model}" if model else note,
    )  # fmt: skip


# ------------------------------------------------------------------------ local figures


@dataclass(frozen=True)
class LocalFigure:
    """The local figure set beside a benchmark, and what it is."""

    basis: str
    value: float | None
    status: str
    note: str = ""


def local_basis(benchmark: Benchmark, quarter: Quarter) -> str:
    """What the local figure is, in words: '2024Q3', '12 months to 2024Q3', "Children's social
    care, 12 months to 2024Q3"."""
    period = str(quarter) if benchmark.local == "quarter" else f"12 months to {quarter}"
    parts = []
    for column, value in benchmark.breakdown.items():
        if column == "period":
            period = value.replace("quarter end", str(quarter))
        else:
            parts.append(value)
    return ", ".join([*parts, period])


def _breakdown_key(benchmark: Benchmark) -> tuple[str, str]:
    return "|".join(benchmark.breakdown), "|".join(benchmark.breakdown.values())


def local_figure(
    indicator: Indicator,
    benchmark: Benchmark,
    quarter: Quarter,
    area: str,
    rows: Mapping[tuple[str, str, str, str], dict[str, Any]],
    trend: Mapping[tuple[str, str, str], dict[str, Any]],
) -> LocalFigure:
    """The area's figure comparable with the benchmark.

    `rows` are the quarter's results by (indicator, area, breakdown, breakdown value); `trend`
    the headline rows of earlier quarters by (quarter, indicator, area). For `last_12_months`,
    the four quarters to the quarter's end are pooled: numerators added, and denominators
    added for a percentage, or the quarter's population for a rate. It needs all four
    quarters' figures: without one it is missing, never a part-year figure."""
    basis = local_basis(benchmark, quarter)
    breakdown, value = _breakdown_key(benchmark)
    row = rows.get((indicator.id, area, breakdown, value))
    if row is None:
        return LocalFigure(basis, None, "missing", "no figure for this breakdown")
    if benchmark.local == "quarter":
        return LocalFigure(basis, row["value"], row["status"], row.get("note") or "")
    quarters = [quarter.shift(-n) for n in range(ROLLING_QUARTERS)]
    pooled = [row] + [trend.get((str(q), indicator.id, area)) for q in quarters[1:]]
    absent = [str(q) for q, r in zip(quarters, pooled, strict=True) if r is None]
    if absent:
        return LocalFigure(basis, None, "missing", f"no figures for {', '.join(absent)}")
    found = [r for r in pooled if r is not None]
    for status in ("missing", "suppressed"):
        gaps = [str(q) for q, r in zip(quarters, found, strict=True) if r["status"] == status]
        if gaps:
            return LocalFigure(basis, None, status, f"{status} for {', '.join(gaps)}")
    numerator = sum(float(r["numerator"] or 0) for r in found)
    if indicator.unit == "rate_per_10000":
        measure = indicator.measure
        per = measure.per if isinstance(measure, RateMeasure) else 10000
        denominator, scale = float(row["denominator"] or 0), float(per)
    else:
        denominator, scale = sum(float(r["denominator"] or 0) for r in found), 100.0
    if denominator <= 0:
        return LocalFigure(basis, None, "not_applicable", "nothing to measure in the 12 months")
    return LocalFigure(basis, round1(scale * numerator / denominator), "ok")


# ------------------------------------------------------------------------ the rows


def _index_results(
    results: Iterable[dict[str, Any]],
) -> dict[tuple[str, str, str, str], dict[str, Any]]:
    return {
        (r["indicator_id"], r["area"], r["breakdown"] or "", r["breakdown_value"] or ""): r
        for r in results
    }


def _index_trend(trend: Iterable[dict[str, Any]]) -> dict[tuple[str, str, str], dict[str, Any]]:
    return {(str(r["quarter"]), r["indicator_id"], r["area"]): r for r in trend}


def _source(data: BenchmarkData, statistic: Statistic) -> str:
    source = data.sources.get(statistic.dataset)
    if source is None:
        return f"DfE, {statistic.dataset}"
    return (
        f"DfE, {source['title']}, publication year {source['publication_year']} ({source['file']})"
    )


def benchmark_rows(
    catalogue: Catalogue,
    quarter: Quarter,
    results: Iterable[dict[str, Any]],
    trend: Iterable[dict[str, Any]],
    data: BenchmarkData,
) -> list[dict[str, Any]]:
    """benchmarks.csv: for each indicator with a benchmark and each area, the local figure made
    comparable, beside England and the North East and, for an authority, its statistical
    neighbours' average and its own published figure, for the year `year_for` chooses."""
    from tees_dataset.compute import areas

    by_key = _index_results(results)
    by_quarter = _index_trend(trend)
    out: list[dict[str, Any]] = []
    for _, _, indicator in catalogue.indicators():
        mapped = statistic_of(indicator)
        if mapped is None:
            continue
        benchmark, statistic = mapped
        year = year_for(data, statistic, quarter)
        source = _source(data, statistic)
        for area in areas(catalogue):
            local = local_figure(indicator, benchmark, quarter, area.name, by_key, by_quarter)
            common = {
                "quarter": str(quarter), "area": area.name, "area_code": area.code,
                "area_type": area.type, "indicator_id": indicator.id, "statistic": statistic.id,
                "unit": statistic.unit, "local_basis": local.basis, "local_value": local.value,
                "local_status": local.status, "source": source,
            }  # fmt: skip
            for kind in AREA_KINDS.get(area.type, ()):
                compared = _compared(data, statistic, year, kind, area.code, area.name)
                out.append(common | compared)
    return out


def _compared(
    data: BenchmarkData, statistic: Statistic, year: int | None, kind: str, code: str, name: str
) -> dict[str, Any]:
    """One benchmark figure: England's, the North East's, or for an authority its neighbours'
    average or its own published figure."""
    names = {
        NATIONAL: "England",
        REGION: "North East",
        NEIGHBOURS: f"Statistical neighbours of {name}",
        OWN: name,
    }
    row: dict[str, Any] = {
        "benchmark": kind, "benchmark_area": names[kind], "year": year,
        "period": statistic.period(year) if year else "", "value": None, "status": "missing",
        "note": "",
    }  # fmt: skip
    if year is None:
        row["note"] = "no published year ends by the quarter's end (reference/)"
        return row
    if kind == NEIGHBOURS:
        average = neighbour_average(data, statistic, year, data.old_codes.get(code, ""))
        row.update(value=average.value, note=average.note)
    else:
        area = {NATIONAL: ENGLAND, REGION: NORTH_EAST}.get(kind) or data.old_codes.get(code, code)
        figure = published(data, statistic, year, area)
        row.update(value=figure.value, note=figure.note)
    if row["value"] is not None:
        row["status"] = "ok"
    return row


# ------------------------------------------------------------------------ the pack's chart


def on_chart(indicator: Indicator) -> bool:
    """Whether the benchmark can be drawn on the indicator's quarterly chart: a percentage of
    cases or a snapshot is on the same scale as DfE's figure; a rate of 12 months' events, or a
    12-month turnover, is about four times a quarter's, so it is set beside its own 12-month
    figure in the table instead."""
    mapped = statistic_of(indicator)
    if mapped is None:
        return False
    benchmark, _ = mapped
    if "period" in benchmark.breakdown:
        return False
    return not (benchmark.local == "last_12_months" and indicator.unit == "rate_per_10000")
