"""Measure kinds: pure functions from a return's rows to numerators and denominators per unit.

A unit is what a return's rows are attributed to: a local authority id, or a partnership id for
returns made for a partnership as a whole. It is carried in the `local_authority` column.
"""

from __future__ import annotations

import functools

import polars as pl

from tees_dataset.calendar import EXPRESSION_LAST_YEAR, FIRST_YEAR, expression_bank_holidays
from tees_dataset.catalogue.models import (
    LOCAL_AUTHORITY,
    CountMeasure,
    MedianDaysMeasure,
    ProportionMeasure,
    RateMeasure,
    RatioMeasure,
    TotalMeasure,
    WithinDaysMeasure,
)

AREA = LOCAL_AUTHORITY  # the column a row's unit is carried in
NUMERATOR = "numerator"
DENOMINATOR = "denominator"
PooledMeasure = (
    CountMeasure | TotalMeasure | ProportionMeasure | WithinDaysMeasure | RatioMeasure | RateMeasure
)


def working_days_elapsed(start: str, end: str) -> pl.Expr:
    """Working days d with start <= d < end; null when either date is missing, or outside the
    years whose bank holidays are known (never a count that ignores the holidays)."""
    known = pl.lit(True)
    for column in (start, end):
        year = pl.col(column).dt.year()
        known = known & year.is_between(FIRST_YEAR, EXPRESSION_LAST_YEAR)
    count = pl.business_day_count(start, end, holidays=list(expression_bank_holidays()))
    return pl.when(known).then(count)


@functools.lru_cache(maxsize=256)
def days_elapsed(start: str, end: str, *, working: bool) -> pl.Expr:
    if working:
        return working_days_elapsed(start, end)
    return (pl.col(end) - pl.col(start)).dt.total_days()


def _dates_in_order(start: str, end: str) -> pl.Expr:
    # An end before its start is a data error (rejected at validation); it never counts as a
    # negative duration here.
    return pl.col(start).is_not_null() & pl.col(end).is_not_null() & (pl.col(end) >= pl.col(start))


# Expressions are made once for each text: parsing SQL is most of the work of building a query.
@functools.lru_cache(maxsize=1024)
def _condition(expression: str) -> pl.Expr:
    """A SQL condition; null (unknown) is not met."""
    return pl.sql_expr(expression).fill_null(False)


@functools.lru_cache(maxsize=1024)
def _flag(expression: str) -> pl.Expr:
    """A SQL condition as 1.0 / 0.0; null (unknown) counts as not met."""
    return pl.sql_expr(expression).fill_null(False).cast(pl.Float64)


@functools.lru_cache(maxsize=1024)
def _amount(expression: str) -> pl.Expr:
    return pl.sql_expr(expression).cast(pl.Float64).fill_null(0.0)


def row_terms(measure: PooledMeasure) -> tuple[pl.Expr | None, pl.Expr, pl.Expr | None]:
    """(row filter, numerator term, denominator term) summed per group; None = no filter / none."""
    row_filter = _condition(measure.filter) if measure.filter else None
    if isinstance(measure, CountMeasure):
        return row_filter, pl.lit(1.0), None
    if isinstance(measure, TotalMeasure):
        return row_filter, _amount(measure.value), None
    if isinstance(measure, RateMeasure):
        return row_filter, _amount(measure.value) if measure.value else pl.lit(1.0), None
    if isinstance(measure, ProportionMeasure):
        return row_filter, _flag(measure.numerator), pl.lit(1.0)
    if isinstance(measure, WithinDaysMeasure):
        valid = _dates_in_order(measure.start, measure.end)
        if measure.no_end == "not_within":
            valid = valid | (pl.col(measure.start).is_not_null() & pl.col(measure.end).is_null())
        combined = valid if row_filter is None else row_filter & valid
        elapsed = days_elapsed(
            measure.start, measure.end, working=measure.kind == "within_working_days"
        )
        within = (elapsed <= measure.days).fill_null(False)
        return combined, within.cast(pl.Float64), pl.lit(1.0)
    if isinstance(measure, RatioMeasure):
        return row_filter, _amount(measure.numerator), _amount(measure.denominator)
    raise TypeError(f"unknown measure kind {measure.kind}")


SUM_PLACES = 9


def aggregate(
    rows: pl.LazyFrame,
    row_filter: pl.Expr | None,
    numerator: pl.Expr,
    denominator: pl.Expr | None,
    by: list[str] | None = None,
) -> pl.LazyFrame:
    """Sum numerator and denominator terms per unit (and `by` columns)."""
    keys = [AREA, *(by or [])]
    if row_filter is not None:
        rows = rows.filter(row_filter)
    # Terms become columns first so that literal terms are broadcast to one value per row.
    rows = rows.with_columns(
        *(pl.col(k).cast(pl.String) for k in keys[1:]),
        numerator.alias(NUMERATOR),
        (denominator if denominator is not None else pl.lit(None, pl.Float64)).alias(DENOMINATOR),
    )
    # Sums are rounded to 9 places: summing floats in parallel may add them in a different order
    # from one run to the next, and the same returns must always give the same figures.
    den = (
        pl.col(DENOMINATOR).sum().round(SUM_PLACES)
        if denominator is not None
        else pl.lit(None, pl.Float64)
    )
    return rows.group_by(keys).agg(
        pl.col(NUMERATOR).sum().round(SUM_PLACES), den.alias(DENOMINATOR)
    )


def measure_by_area(
    rows: pl.LazyFrame, measure: PooledMeasure, by: list[str] | None = None
) -> pl.LazyFrame:
    """Numerator and denominator per unit (and `by` columns).

    Columns out: local_authority, *by, numerator, denominator (null for counts and totals).
    """
    return aggregate(rows, *row_terms(measure), by)


def labelled_parts(rows: pl.LazyFrame, measure: PooledMeasure) -> list[tuple[str, pl.LazyFrame]]:
    """Breakdown rows that are not groups of a column: labelled numerators, shares, parts.

    Each item is (breakdown name, frame of local_authority, breakdown_value, numerator,
    denominator).
    """
    row_filter, _, denominator = row_terms(measure)
    parts: list[tuple[str, pl.LazyFrame]] = []

    def labelled(name: str, terms: dict[str, str]) -> None:
        frames = [
            aggregate(
                rows,
                row_filter,
                _flag(expr) if denominator is not None else _amount(expr),
                denominator,
            ).with_columns(pl.lit(label).alias("breakdown_value"))
            for label, expr in terms.items()
        ]
        if frames:
            parts.append((name, pl.concat(frames, how="diagonal_relaxed")))

    if isinstance(measure, ProportionMeasure):
        labelled("measure", measure.numerators)
        if measure.shares_of:
            share = aggregate(rows, row_filter, pl.lit(1.0), None, [measure.shares_of])
            total = aggregate(rows, row_filter, pl.lit(1.0), None).select(
                AREA, pl.col(NUMERATOR).alias(DENOMINATOR)
            )
            parts.append(
                (
                    measure.shares_of,
                    share.drop(DENOMINATOR)
                    .join(total, on=AREA, how="left")
                    .rename({measure.shares_of: "breakdown_value"}),
                )
            )
    elif isinstance(measure, TotalMeasure):
        labelled("part", measure.parts)
    return parts


def elapsed_by_unit(rows: pl.LazyFrame, measure: MedianDaysMeasure) -> pl.LazyFrame:
    """The elapsed (working) days of every valid row, with its unit: medians pool these."""
    valid = _dates_in_order(measure.start, measure.end)
    if measure.filter:
        valid = valid & _condition(measure.filter)
    working = measure.kind == "median_working_days"
    # Days that cannot be known (a date outside the calendar's years) are no case of the median.
    return (
        rows.filter(valid)
        .select(
            pl.col(AREA), days_elapsed(measure.start, measure.end, working=working).alias("days")
        )
        .filter(pl.col("days").is_not_null())
    )
