"""Rules about the reference data beside the catalogue: the populations its rates rely on, and for
every benchmark a known statistic of the indicator's unit with published figures in reference/."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from tees_dataset import codes
from tees_dataset.catalogue.context import Context, indicator_paths, unknown
from tees_dataset.catalogue.loader import Path_
from tees_dataset.catalogue.models import (
    Indicator,
    MedianDaysMeasure,
    RateMeasure,
    RatioMeasure,
)
from tees_dataset.report import Issue, Location

if TYPE_CHECKING:
    from pathlib import Path


def reference_data(ctx: Context) -> list[Issue]:
    """The populations the catalogue's rates rely on are in reference/ beside it."""
    import csv
    from pathlib import Path

    folder = Path(ctx.source.file).resolve().parent / "reference"
    issues: list[Issue] = []
    paths = list(indicator_paths(ctx.catalogue))
    if any(isinstance(i.measure, RateMeasure) for _, i in paths):
        population = folder / "population.csv"
        values: set[str] = set()
        if population.is_file():
            with population.open(newline="", encoding="utf-8") as handle:
                rows = list(enumerate(csv.DictReader(handle), start=2))
            values = {row.get("area_code") or "" for _, row in rows}
            issues += _population_rows(population, rows)
        for n, la in enumerate(ctx.catalogue.local_authorities):
            if la.code not in values:
                issues.append(
                    ctx.issue(
                        codes.C_POPULATION_MISSING,
                        f"rates per 10,000 need the child population of {la.name} ({la.code}), "
                        f"which is not in {population}",
                        ("local_authorities", n),
                    )
                )
    return issues


def _population_rows(path: Path, rows: list[tuple[int, dict[str, str]]]) -> list[Issue]:
    """Each estimate in population.csv is a positive number for a year: a rate cannot be worked
    out from nothing, or from less."""
    issues = []
    fix = (
        "Import the ONS estimates again (tees-dataset reference import) rather than editing "
        "population.csv by hand."
    )
    for line, row in rows:
        area = row.get("area_name") or row.get("area_code") or "an area"
        year, estimate = (row.get("year") or "").strip(), (row.get("population_0_17") or "").strip()
        if not (year.isdigit() and len(year) == 4):
            message = f"the year '{year[:20]}' of the population of {area} is not a year"
        elif not _positive_number(estimate):
            message = (
                f"the population of {area} for {year} is '{estimate[:20]}', not a positive "
                "number: the rates per 10,000 that use it would be missing"
            )
        else:
            continue
        issues.append(codes.C_POPULATION_INVALID.issue(message,
                            Location(str(path), line=line), fix))  # fmt: skip
    return issues


def _positive_number(text: str | None) -> bool:
    """A population a rate can divide by: a finite number above zero."""
    try:
        number = float((text or "").strip())
    except ValueError:
        return False
    return math.isfinite(number) and number > 0


def benchmarks(ctx: Context) -> list[Issue]:
    """Every indicator says whether it has a national benchmark; each benchmark names a known
    statistic of its unit, a local figure the indicator gives, and data in reference/ for
    England, the North East and each authority (its own figure and its neighbours')."""
    from pathlib import Path

    from tees_dataset.catalogue.benchmark_spec import datasets_used
    from tees_dataset.catalogue.models import Benchmark
    from tees_dataset.reference import load_benchmark_data

    folder = Path(ctx.source.file).resolve().parent / "reference"
    paths = list(indicator_paths(ctx.catalogue))
    datasets = datasets_used(ctx.catalogue)
    loaded = load_benchmark_data(folder, datasets) if datasets else None
    data = (loaded, _england_years(loaded)) if loaded is not None else None
    issues: list[Issue] = []
    for path, indicator in paths:
        benchmark = indicator.benchmark
        if benchmark is None:
            issues.append(
                ctx.issue(
                    codes.C_BENCHMARK_UNSTATED,
                    f"{indicator.id} does not say whether it has a national benchmark",
                    path,
                )
            )
        elif isinstance(benchmark, Benchmark):
            issues += _benchmark_issues(ctx, indicator, benchmark, (*path, "benchmark"), data)
    return issues


def _england_years(data: Any) -> dict[tuple[str, str], list[int]]:
    """The years of each dataset's measure with a figure for England, in order (what
    `BenchmarkData.years` gives for England)."""
    from tees_dataset.reference import ENGLAND

    years: dict[tuple[str, str], list[int]] = {}
    for (dataset, measure, year, area), figure in data.figures.items():
        if area == ENGLAND and figure.value is not None:
            years.setdefault((dataset, measure), []).append(year)
    return {key: sorted(found) for key, found in years.items()}


def _benchmark_issues(
    ctx: Context, indicator: Indicator, benchmark: Any, path: Path_, data: Any
) -> list[Issue]:
    from tees_dataset.catalogue.benchmark_spec import rolling_label
    from tees_dataset.reference import STATISTICS

    statistic = STATISTICS.get(benchmark.statistic)
    if statistic is None:
        return [unknown(ctx, "benchmark statistic", benchmark.statistic, (*path, "statistic"),
                         set(STATISTICS))]  # fmt: skip
    issues: list[Issue] = []
    if statistic.unit != indicator.unit:
        issues.append(
            ctx.issue(
                codes.C_BENCHMARK_UNIT,
                f"{indicator.id} is a {indicator.unit} but the benchmark {statistic.id} is a "
                f"{statistic.unit}: the two cannot be set side by side",
                (*path, "statistic"),
            )
        )
    spec = ctx.catalogue.return_spec(indicator.source)
    measure = indicator.measure
    if benchmark.local == "last_12_months":
        reason = ""
        if spec is not None and spec.snapshot:
            reason = f"return '{spec.id}' is a snapshot at the quarter's end: use `local: quarter`"
        elif isinstance(measure, RatioMeasure | MedianDaysMeasure):
            reason = (
                f"a {measure.kind} cannot be pooled over four quarters from the headlines; "
                "for a ratio, use its `rolling_quarters` row (`breakdown: {period: ...}`)"
            )
        elif benchmark.breakdown:
            reason = "only the headline is kept for earlier quarters: leave out `breakdown`"
        if reason:
            issues.append(ctx.issue(codes.C_BENCHMARK_LOCAL, f"{indicator.id}: {reason}",
                                    (*path, "local")))  # fmt: skip
    if benchmark.breakdown:
        label = rolling_label(indicator)
        expected = list(measure.breakdown) if "period" not in benchmark.breakdown else (
            ["period", *measure.breakdown] if label else []
        )  # fmt: skip
        if list(benchmark.breakdown) != expected:
            shown = ", ".join(expected) if expected else "no breakdown"
            issues.append(
                ctx.issue(
                    codes.C_BENCHMARK_BREAKDOWN,
                    f"{indicator.id}: the benchmark's breakdown names "
                    f"{', '.join(benchmark.breakdown)}, but the indicator's rows are broken "
                    f"down by {shown}",
                    (*path, "breakdown"),
                    "Give one value for each breakdown column, in the measure's order "
                    + (f"(`period: {label}` first for the rolling rows)." if label else "."),
                )
            )
        elif label and benchmark.breakdown.get("period", label) != label:
            issues.append(
                ctx.issue(
                    codes.C_BENCHMARK_BREAKDOWN,
                    f"{indicator.id}: its rolling rows are '{label}', not "
                    f"'{benchmark.breakdown['period']}'",
                    (*path, "breakdown", "period"),
                    f"Write `period: {label}`.",
                )
            )
    if data is not None:
        issues += _benchmark_data_issues(ctx, indicator, statistic, path, data)
    return issues


def _benchmark_data_issues(
    ctx: Context, indicator: Indicator, statistic: Any, path: Path_, data: Any
) -> list[Issue]:
    """The statistic's figures are in reference/ for England, the North East and each of the
    catalogue's authorities (and their neighbours) in the latest year published."""
    from tees_dataset.reference import ENGLAND, NORTH_EAST
    from tees_dataset.reference.published import published

    fix = (
        "Import DfE's latest file with `tees-dataset reference import FILE` (README, "
        "Reference data)."
    )
    data, england = data
    # published_years, from the years found for England in one pass over the figures.
    years = [
        y for y in england.get((statistic.dataset, statistic.measure), [])
        if published(data, statistic, y, ENGLAND).value is not None
    ]  # fmt: skip
    if not years:
        return [
            ctx.issue(
                codes.C_BENCHMARK_NO_DATA,
                f"{indicator.id}: no figure for England for {statistic.id} "
                f"({statistic.title}) in reference/benchmarks/{statistic.dataset}.csv"
                + (" or no ONS population for its rates" if statistic.per_10000 else ""),
                (*path, "statistic"),
                fix,
            )
        ]
    year = years[-1]
    gaps = []
    if published(data, statistic, year, NORTH_EAST).value is None:
        gaps.append("the North East")
    for la in ctx.catalogue.local_authorities:
        old = data.old_codes.get(la.code)
        if old is None or (statistic.dataset, statistic.measure, year, old) not in data.figures:
            gaps.append(f"{la.name} ({la.code})")
        elif not data.neighbours.get(old):
            gaps.append(f"{la.name}'s statistical neighbours (reference/neighbours.csv)")
    if gaps:
        return [
            ctx.issue(
                codes.C_BENCHMARK_NO_DATA,
                f"{indicator.id}: {statistic.id} for {statistic.period(year)}, the latest "
                f"year published, has no figure for {', '.join(gaps)}",
                (*path, "statistic"),
                fix,
            )
        ]
    return []
