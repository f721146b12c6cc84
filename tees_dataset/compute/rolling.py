"""Rolling figures (breakdown `period`): the numerator over the last N quarters against this
quarter's denominator, in all and by the measure's breakdown."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from tees_dataset.catalogue.benchmark_spec import rolling_label
from tees_dataset.catalogue.models import Catalogue, Indicator, RatioMeasure, ReturnSpec
from tees_dataset.compute.areas import expected_coverage
from tees_dataset.compute.columns import BREAKDOWN_SEPARATOR, PER_UNIT_SCHEMA, REASONS, ROLLING
from tees_dataset.compute.gaps import Gap, reasons_for, return_gaps
from tees_dataset.compute.inputs import Inputs, QuarterData, rows_of
from tees_dataset.compute.measures import (
    AREA,
    DENOMINATOR,
    NUMERATOR,
    SUM_PLACES,
    aggregate,
    row_terms,
)
from tees_dataset.quarter import Quarter


def rolling_rows(
    catalogue: Catalogue, indicator: Indicator, spec: ReturnSpec, inputs: Inputs, units: list[str]
) -> pl.LazyFrame | None:
    """The numerator over the last N quarters against this quarter's denominator: in all
    (breakdown `period`) and by the measure's breakdown (`period|sector`). A row is made only
    from all N quarters' returns, never from the quarters that happen to be there."""
    measure, label = indicator.measure, rolling_label(indicator)
    if not isinstance(measure, RatioMeasure) or measure.rolling_quarters is None or label is None:
        return None
    quarters = [inputs.quarter.shift(-n) for n in range(measure.rolling_quarters)]
    datas = [inputs.data if q == inputs.quarter else inputs.history.get(q) for q in quarters]
    gaps: dict[str, list[Gap]] = {unit: [] for unit in units}
    for q, data in zip(quarters, datas, strict=True):
        for unit, unit_gaps in return_gaps(catalogue, spec, data, q).items():
            gaps[unit] += unit_gaps
    groupings = [[], measure.breakdown] if measure.breakdown else [[]]
    frames = [
        _rolling_by(catalogue, measure, spec, inputs, quarters, datas, units, gaps, by, label)
        for by in groupings
    ]
    return pl.concat(frames, how="vertical")


def _rolling_by(
    catalogue: Catalogue,
    measure: RatioMeasure,
    spec: ReturnSpec,
    inputs: Inputs,
    quarters: list[Quarter],
    datas: list[QuarterData | None],
    units: list[str],
    gaps: Mapping[str, list[Gap]],
    by: list[str],
    label: str,
) -> pl.LazyFrame:
    row_filter, numerator, denominator = row_terms(measure)
    keys = [AREA, *by]
    schema = {k: pl.String for k in keys}
    numerators = [
        aggregate(rows, row_filter, numerator, None, by).select(*keys, NUMERATOR)
        for q, data in zip(quarters, datas, strict=True)
        if (rows := rows_of(data, spec, q)) is not None
    ]
    summed = (
        pl.concat(numerators).group_by(keys).agg(pl.col(NUMERATOR).sum().round(SUM_PLACES))
        if numerators
        else pl.LazyFrame(schema={**schema, NUMERATOR: pl.Float64})
    )
    current = rows_of(inputs.data, spec, inputs.quarter)
    den = (
        aggregate(current, row_filter, pl.lit(0.0), denominator, by).select(*keys, DENOMINATOR)
        if current is not None
        else pl.LazyFrame(schema={**schema, DENOMINATOR: pl.Float64})
    )
    coverage = expected_coverage(catalogue, spec)
    sectors = {a.id: a.sector for a in catalogue.agencies}
    # Every unit gets a row for every breakdown value seen in any of the quarters.
    grid = pl.LazyFrame({AREA: units}, schema={AREA: pl.String})
    if by:
        seen = pl.concat([summed.select(by), den.select(by)]).unique()
        grid = grid.join(seen, how="cross")
    frame = (
        grid.join(summed, on=keys, how="left", nulls_equal=True)
        .join(den, on=keys, how="left", nulls_equal=True)
        .join(reasons_for(gaps, coverage, sectors, grid, by), on=keys, how="left", nulls_equal=True)
    )
    if by:
        name = BREAKDOWN_SEPARATOR.join([ROLLING, *by])
        value = pl.concat_str(
            [pl.lit(label), *(pl.col(c).fill_null("(blank)") for c in by)],
            separator=BREAKDOWN_SEPARATOR,
        )
    else:
        name, value = ROLLING, pl.lit(label)
    return frame.select(
        AREA,
        pl.lit(name).alias("breakdown"),
        value.alias("breakdown_value"),
        pl.col(NUMERATOR).fill_null(0.0),
        pl.col(DENOMINATOR).fill_null(0.0),
        (pl.col(REASONS).list.len() == 0).alias("complete"),
        pl.col(REASONS),
    ).select(list(PER_UNIT_SCHEMA))
