"""Measure kinds: pure functions from a return's rows to numerators and denominators per area."""

from __future__ import annotations

import polars as pl

from tees_dataset.calendar import bank_holidays
from tees_dataset.catalogue.models import (
    CountMeasure,
    Measure,
    ProportionMeasure,
    RatioMeasure,
    WithinWorkingDaysMeasure,
)

AREA = "local_authority"
NUMERATOR = "numerator"
DENOMINATOR = "denominator"


def working_days_elapsed(start: str, end: str) -> pl.Expr:
    """Working days d with start <= d < end; null when either date is missing."""
    return pl.business_day_count(start, end, holidays=list(bank_holidays()))


def _row_terms(measure: Measure) -> tuple[pl.Expr | None, pl.Expr, pl.Expr | None]:
    """(row filter, numerator term, denominator term) summed per group; None = no filter / no denominator."""
    row_filter = pl.sql_expr(measure.filter) if measure.filter else None
    if isinstance(measure, CountMeasure):
        return row_filter, pl.lit(1.0), None
    if isinstance(measure, ProportionMeasure):
        hit = pl.sql_expr(measure.numerator).fill_null(False).cast(pl.Float64)
        return row_filter, hit, pl.lit(1.0)
    if isinstance(measure, WithinWorkingDaysMeasure):
        elapsed = working_days_elapsed(measure.start, measure.end)
        # An end before its start is a data error (rejected at validation); it never counts
        # as a negative duration here.
        valid = (
            pl.col(measure.start).is_not_null()
            & pl.col(measure.end).is_not_null()
            & (pl.col(measure.end) >= pl.col(measure.start))
        )
        combined = valid if row_filter is None else row_filter & valid
        return combined, (elapsed <= measure.days).cast(pl.Float64), pl.lit(1.0)
    if isinstance(measure, RatioMeasure):
        return (
            row_filter,
            pl.sql_expr(measure.numerator).cast(pl.Float64).fill_null(0.0),
            pl.sql_expr(measure.denominator).cast(pl.Float64).fill_null(0.0),
        )
    raise TypeError(f"unknown measure kind {measure.kind}")


def measure_by_area(
    rows: pl.LazyFrame, measure: Measure, by: list[str] | None = None
) -> pl.LazyFrame:
    """Numerator and denominator per local authority (and `by` columns).

    Columns out: local_authority, *by, numerator, denominator (null for counts).
    """
    keys = [AREA, *(by or [])]
    row_filter, numerator, denominator = _row_terms(measure)
    if row_filter is not None:
        rows = rows.filter(row_filter.fill_null(False))
    # Terms become columns first so that literal terms are broadcast to one value per row.
    rows = rows.with_columns(
        *(pl.col(k).cast(pl.String) for k in keys[1:]),
        numerator.alias(NUMERATOR),
        (denominator if denominator is not None else pl.lit(None, pl.Float64)).alias(DENOMINATOR),
    )
    den = pl.col(DENOMINATOR).sum() if denominator is not None else pl.lit(None, pl.Float64)
    return rows.group_by(keys).agg(pl.col(NUMERATOR).sum(), den.alias(DENOMINATOR))
