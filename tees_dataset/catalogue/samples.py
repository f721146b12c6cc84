"""Running each indicator against sample returns: a definition that parses but computes nothing
useful (every row filtered out, a numerator never met, a column of blanks) is a warning."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from tees_dataset import codes
from tees_dataset.catalogue.loader import LoadedYaml
from tees_dataset.catalogue.models import (
    Catalogue,
    Measure,
    MedianDaysMeasure,
    ProportionMeasure,
    RatioMeasure,
    TotalMeasure,
    WithinDaysMeasure,
)
from tees_dataset.catalogue.rules import Context, _indicator_paths
from tees_dataset.quarter import Quarter, QuarterError
from tees_dataset.report import Issue


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
    from tees_dataset.compute import Inputs, QuarterData, compute_quarter, with_quarter_columns
    from tees_dataset.returns import load_quarter

    quarter = latest_sample_quarter(samples)
    ctx = Context(catalogue, source)
    if quarter is None:
        return [
            ctx.issue(
                codes.C_SAMPLES_NONE,
                f"no sample quarter folders in {samples}",
                (),
                "Run `make samples`.",
            )
        ]
    returns = load_quarter(catalogue, quarter, samples)
    issues: list[Issue] = []
    data = QuarterData(returns.frames, {k: v == "received" for k, v in returns.status.items()})
    population = {la.id: 10000.0 for la in catalogue.local_authorities}  # any base will do here
    results = compute_quarter(catalogue, Inputs(quarter, data, population=population))
    tees = {
        r["indicator_id"]: r
        for r in results.filter((pl.col("area") == "Tees") & (pl.col("breakdown") == "")).to_dicts()
    }
    for path, indicator in _indicator_paths(catalogue):
        frame = returns.frames.get(indicator.source)
        where = f"on the {quarter} sample returns ({samples})"
        if frame is None or frame.is_empty():
            issues.append(ctx.issue(codes.C_SAMPLE_NO_ROWS, f"{indicator.id}: return '{indicator.source}' has no rows {where}",
                                    path, "Check the sample returns validate: `tees-dataset validate`."))  # fmt: skip
            continue
        measure = indicator.measure
        rows = with_quarter_columns(frame, quarter)
        for column in sorted(_columns(measure) & set(frame.columns)):
            if frame[column].null_count() == frame.height:
                issues.append(ctx.issue(codes.C_SAMPLE_BLANK_COLUMN, f"{indicator.id}: column '{column}' is blank in every row {where}",
                                        (*path, "measure"), "Check the column is the one meant, and that agencies fill it."))  # fmt: skip
        if measure.filter:
            kept = (
                rows.filter(pl.sql_expr(measure.filter).fill_null(False))
                .select(pl.len())
                .collect()
                .item()
            )
            if kept == 0:
                issues.append(ctx.issue(codes.C_SAMPLE_FILTER_EMPTY, f"{indicator.id}: the filter keeps none of {frame.height} rows {where}",
                                        (*path, "measure", "filter"), "Check the values in the filter against the code list (spelling, case)."))  # fmt: skip
                continue
        row = tees.get(indicator.id)
        if row is None:
            continue
        if row["status"] == "not_applicable" and "Tees" not in indicator.not_applicable:
            issues.append(ctx.issue(codes.C_SAMPLE_NO_DENOMINATOR, f"{indicator.id}: nothing to measure (a zero denominator) {where}",
                                    (*path, "measure"), "Check the filter and the denominator."))  # fmt: skip
        elif row["status"] == "ok" and row["unit"] == "percent" and row["numerator"] == 0:
            key = "numerator" if isinstance(measure, ProportionMeasure | RatioMeasure) else "kind"
            issues.append(ctx.issue(codes.C_SAMPLE_NUMERATOR_ZERO, f"{indicator.id}: the numerator is never met {where} (0%)",
                                    (*path, "measure", key), "Check the numerator's values against the code list (spelling, case)."))  # fmt: skip
    return issues
