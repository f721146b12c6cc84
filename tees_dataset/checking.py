"""What `tees-dataset check` adds to the catalogue's own checks, using the later stages.

Each indicator is run against sample returns: a definition that parses but computes nothing
useful (every row filtered out, a numerator never met, a column of blanks) is a warning. And the
published year each benchmark uses is told. Both read returns and compute figures, so they sit
here, above the pipeline's stages, rather than in the catalogue stage."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from tees_dataset import codes
from tees_dataset.catalogue.benchmark_spec import datasets_used, statistic_of
from tees_dataset.catalogue.loader import LoadedYaml
from tees_dataset.catalogue.models import (
    TEES,
    TEES_TYPE,
    Benchmark,
    Catalogue,
    Measure,
    MedianDaysMeasure,
    ProportionMeasure,
    RatioMeasure,
    TotalMeasure,
    WithinDaysMeasure,
)
from tees_dataset.catalogue.rules import Context, indicator_paths
from tees_dataset.compute import Inputs, QuarterData, compute_quarter, with_quarter_columns
from tees_dataset.quarter import Quarter, QuarterError
from tees_dataset.reference import load_benchmark_data
from tees_dataset.reference.published import published_years
from tees_dataset.report import Issue
from tees_dataset.returns import load_quarter


def latest_sample_quarter(samples: Path) -> Quarter | None:
    quarters = []
    for folder in samples.iterdir() if samples.is_dir() else []:
        try:
            quarters.append(Quarter.parse(folder.name))
        except QuarterError:
            continue
    return max(quarters) if quarters else None


def _columns(measure: Measure) -> set[str]:
    expressions = [measure.filter] if measure.filter else []
    names = set(measure.breakdown)
    if isinstance(measure, ProportionMeasure):
        expressions += [measure.numerator, *measure.numerators.values()]
        names |= {measure.shares_of} if measure.shares_of else set()
    elif isinstance(measure, RatioMeasure):
        expressions += [measure.numerator, measure.denominator]
    elif isinstance(measure, TotalMeasure):
        expressions += [measure.value, *measure.parts.values()]
    elif isinstance(measure, WithinDaysMeasure | MedianDaysMeasure):
        names |= {measure.start, measure.end}
    for expression in expressions:
        names |= set(pl.sql_expr(expression).meta.root_names())
    return names


def sample_issues(catalogue: Catalogue, source: LoadedYaml, samples: Path) -> list[Issue]:
    """Warnings for indicators that compute nothing useful on the latest sample quarter."""
    quarter = latest_sample_quarter(samples)
    ctx = Context(catalogue, source)
    if quarter is None:
        return [
            ctx.issue(
                codes.C_SAMPLES_NONE,
                f"no sample quarter folders in {samples}",
                (),
            )
        ]
    returns = load_quarter(catalogue, quarter, samples)
    issues: list[Issue] = []
    data = QuarterData(returns.frames, returns.acceptance)
    population = {la.id: 10000.0 for la in catalogue.local_authorities}  # any base will do here
    results = compute_quarter(catalogue, Inputs(quarter, data, population=population))
    tees = {
        r["indicator_id"]: r
        for r in results.filter((pl.col("area") == TEES) & (pl.col("breakdown") == "")).to_dicts()
    }
    for path, indicator in indicator_paths(catalogue):
        frame = returns.frames.get(indicator.source)
        where = f"on the {quarter} sample returns ({samples})"
        if frame is None or frame.is_empty():
            issues.append(ctx.issue(codes.C_SAMPLE_NO_ROWS, f"{indicator.id}: return '{indicator.source}' has no rows {where}",
                                    path))  # fmt: skip
            continue
        measure = indicator.measure
        rows = with_quarter_columns(frame, quarter)
        for column in sorted(_columns(measure) & set(frame.columns)):
            if frame[column].null_count() == frame.height:
                issues.append(ctx.issue(codes.C_SAMPLE_BLANK_COLUMN, f"{indicator.id}: column '{column}' is blank in every row {where}",
                                        (*path, "measure")))  # fmt: skip
        if measure.filter:
            kept = (
                rows.filter(pl.sql_expr(measure.filter).fill_null(False))
                .select(pl.len())
                .collect()
                .item()
            )
            if kept == 0:
                issues.append(ctx.issue(codes.C_SAMPLE_FILTER_EMPTY, f"{indicator.id}: the filter keeps none of {frame.height} rows {where}",
                                        (*path, "measure", "filter")))  # fmt: skip
                continue
        row = tees.get(indicator.id)
        if row is None:
            continue
        if row["status"] == "not_applicable" and TEES_TYPE not in indicator.not_applicable:
            issues.append(ctx.issue(codes.C_SAMPLE_NO_DENOMINATOR, f"{indicator.id}: nothing to measure (a zero denominator) {where}",
                                    (*path, "measure")))  # fmt: skip
        elif row["status"] == "ok" and row["unit"] == "percent" and row["numerator"] == 0:
            key = "numerator" if isinstance(measure, ProportionMeasure | RatioMeasure) else "kind"
            issues.append(ctx.issue(codes.C_SAMPLE_NUMERATOR_ZERO, f"{indicator.id}: the numerator is never met {where} (0%)",
                                    (*path, "measure", key)))  # fmt: skip
    return issues


def benchmark_years(catalogue: Catalogue, catalogue_file: Path) -> list[str]:
    """Which published year each benchmark uses, in words (for `check` to print): the
    latest DfE year whose date is no later than the quarter's end."""
    wanted = [i for _, _, i in catalogue.indicators() if isinstance(i.benchmark, Benchmark)]
    folder = Path(catalogue_file).resolve().parent / "reference"
    data = load_benchmark_data(folder, datasets_used(catalogue))
    lines = []
    for indicator in wanted:
        mapped = statistic_of(indicator)
        if mapped is None:
            continue
        _, statistic = mapped
        years = published_years(data, statistic)
        if not years:
            lines.append(f"{indicator.id} benchmark {statistic.id}: no published figures")
            continue
        latest = years[-1]
        first = Quarter.containing(statistic.reference_date(latest))
        lines.append(
            f"{indicator.id} benchmark {statistic.id}: {statistic.period(latest)} "
            f"(published {years[0]} to {latest}) from {first} on; an earlier quarter uses the "
            "latest year dated no later than its end"
        )
    return lines
