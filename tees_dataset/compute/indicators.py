"""An indicator's figures for a quarter: numerators and denominators per unit (zero-filled),
rolling rows, then pooled into every area with a status, a value and a note; and
`compute_quarter`, every indicator of the catalogue at once."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from tees_dataset.catalogue.models import (
    LOCAL_AUTHORITY,
    PARTNERSHIP,
    UNIT_OF_MEASURE,
    Catalogue,
    Indicator,
    MedianDaysMeasure,
    RateMeasure,
)
from tees_dataset.compute.areas import AreaDef, areas, units_of
from tees_dataset.compute.columns import (
    BREAKDOWN_SEPARATOR,
    ENGINE,
    KEYS,
    PER_UNIT_SCHEMA,
    REASONS,
    RESULT_COLUMNS,
    ROLLING,
)
from tees_dataset.compute.gaps import (
    Gap,
    population_gaps,
    reasons_by_unit,
    return_gaps,
    unit_population,
)
from tees_dataset.compute.inputs import Inputs, rows_of
from tees_dataset.compute.measures import (
    AREA,
    DENOMINATOR,
    NUMERATOR,
    SUM_PLACES,
    elapsed_by_unit,
    labelled_parts,
    measure_by_area,
)
from tees_dataset.compute.rolling import rolling_rows

PARTNERSHIP_LEVEL_NOTE = "Recorded for the partnership as a whole, not by local authority."


def _per_unit(
    indicator: Indicator, rows: pl.LazyFrame | None, *, detail: bool = True
) -> pl.LazyFrame:
    """Headline and breakdown numerators and denominators per unit (before zero-filling)."""
    measure = indicator.measure
    if rows is None or isinstance(measure, MedianDaysMeasure):
        return pl.LazyFrame(
            schema={k: v for k, v in PER_UNIT_SCHEMA.items() if k not in ("complete", REASONS)}
        )
    parts = [
        measure_by_area(rows, measure).with_columns(
            pl.lit("").alias("breakdown"), pl.lit("").alias("breakdown_value")
        )
    ]
    if measure.breakdown and detail:
        parts.append(
            measure_by_area(rows, measure, measure.breakdown).select(
                AREA,
                pl.lit(BREAKDOWN_SEPARATOR.join(measure.breakdown)).alias("breakdown"),
                pl.concat_str(
                    [pl.col(c).fill_null("(blank)") for c in measure.breakdown],
                    separator=BREAKDOWN_SEPARATOR,
                ).alias("breakdown_value"),
                NUMERATOR,
                DENOMINATOR,
            )
        )
    for name, frame in labelled_parts(rows, measure) if detail else []:
        parts.append(frame.with_columns(pl.lit(name).alias("breakdown")))
    columns = [AREA, *KEYS, NUMERATOR, DENOMINATOR]
    return pl.concat(
        [p.select(pl.col(c).cast(PER_UNIT_SCHEMA[c]) for c in columns) for p in parts],
        how="vertical",
    )


def _zero_filled(
    per_unit: pl.LazyFrame, units: list[str], gaps: Mapping[str, list[Gap]], unit: str
) -> pl.LazyFrame:
    """Every unit gets a headline row and a row for every breakdown value seen anywhere: no
    rows at all is a real zero, not a gap."""
    frame = pl.LazyFrame({AREA: units}, schema={AREA: pl.String})
    headline = pl.LazyFrame({"breakdown": [""], "breakdown_value": [""]})
    keys = pl.concat([headline, per_unit.select(KEYS)]).unique(maintain_order=True)
    full = (
        frame.join(keys, how="cross")
        .join(per_unit, on=[AREA, *KEYS], how="left")
        .join(reasons_by_unit(gaps), on=AREA, how="left")
    )
    full = full.with_columns(
        pl.col(NUMERATOR).fill_null(0.0), (pl.col(REASONS).list.len() == 0).alias("complete")
    )
    if unit in ("percent", "days"):
        full = full.with_columns(pl.col(DENOMINATOR).fill_null(0.0))
    return full.select(list(PER_UNIT_SCHEMA))


def _status_and_value(indicator: Indicator, unit: str) -> tuple[pl.Expr, pl.Expr]:
    ok = pl.col("complete")
    if unit == "count":
        value = pl.col(NUMERATOR)
        has_base = pl.lit(True)
    elif unit == "percent":
        has_base = pl.col(DENOMINATOR) > 0
        value = (100 * pl.col(NUMERATOR) / pl.col(DENOMINATOR)).round(1, mode="half_away_from_zero")
    elif unit == "rate_per_10000":
        measure = indicator.measure
        per = measure.per if isinstance(measure, RateMeasure) else 10000
        has_base = pl.col(DENOMINATOR) > 0
        value = (per * pl.col(NUMERATOR) / pl.col(DENOMINATOR)).round(1, mode="half_away_from_zero")
    else:  # days: the value was computed from the rows (a median)
        has_base = pl.col(DENOMINATOR) > 0
        value = pl.col("value")
    status = (
        pl.when(~ok).then(pl.lit("missing"))
        .when(~has_base).then(pl.lit("not_applicable"))
        .otherwise(pl.lit("ok"))
    )  # fmt: skip
    return pl.when(ok & has_base).then(value), status


def _median_rollup(
    rows: pl.LazyFrame | None, members: tuple[str, ...], gaps: Mapping[str, list[Gap]]
) -> pl.LazyFrame:
    """The median of the pooled rows' days; the denominator is how many rows there were."""
    reasons = sorted({reason for m in members for _, reason in gaps.get(m, [])})
    if rows is None:
        rows = pl.LazyFrame(schema={AREA: pl.String, "days": pl.Float64})
    days = pl.col("days").cast(pl.Float64)
    return rows.filter(pl.col(AREA).is_in(list(members))).select(
        pl.lit("").alias("breakdown"),
        pl.lit("").alias("breakdown_value"),
        pl.lit(None, pl.Float64).alias(NUMERATOR),
        pl.len().cast(pl.Float64).alias(DENOMINATOR),
        pl.lit(not reasons).alias("complete"),
        pl.lit(reasons, pl.List(pl.String)).alias(REASONS),
        days.median().alias("value"),
    )


def indicator_plan(catalogue: Catalogue, indicator: Indicator, inputs: Inputs) -> pl.LazyFrame:
    """The query for every area's headline and breakdown rows for one indicator, for one
    quarter: a quarter's indicators are collected together (`compute_quarter`)."""
    spec = catalogue.return_spec(indicator.source)
    assert spec is not None
    unit = UNIT_OF_MEASURE[indicator.measure.kind]
    units = units_of(catalogue, spec)
    gaps = return_gaps(catalogue, spec, inputs.data, inputs.quarter)
    if isinstance(indicator.measure, RateMeasure):
        # The population is an input like any return: without it a rate is missing.
        gaps = population_gaps(catalogue, spec, inputs, gaps)
    rows = rows_of(inputs.data, spec, inputs.quarter)
    per_unit = _zero_filled(_per_unit(indicator, rows, detail=inputs.detail), units, gaps, unit)
    rolling = rolling_rows(catalogue, indicator, spec, inputs, units) if inputs.detail else None
    if rolling is not None:
        per_unit = pl.concat([per_unit, rolling], how="vertical_relaxed")
    if isinstance(indicator.measure, RateMeasure):
        known = unit_population(catalogue, spec, inputs.population)
        population = pl.LazyFrame(
            {AREA: list(known), "population": list(known.values())},
            schema={AREA: pl.String, "population": pl.Float64},
        )
        per_unit = (
            per_unit.drop(DENOMINATOR)
            .join(population, on=AREA, how="left")
            .rename({"population": DENOMINATOR})
        )
    elapsed = (
        elapsed_by_unit(rows, indicator.measure)
        if rows is not None and isinstance(indicator.measure, MedianDaysMeasure)
        else None
    )
    value, status = _status_and_value(indicator, unit)
    applicable: list[tuple[int, AreaDef, tuple[str, ...]]] = []
    frames = []
    for order, area in enumerate(areas(catalogue)):
        reason = indicator.not_applicable.get(area.type)  # type: ignore[call-overload]
        if spec.area_level == PARTNERSHIP and area.type == LOCAL_AUTHORITY:
            reason = reason or PARTNERSHIP_LEVEL_NOTE
        members = area.partnerships if spec.area_level == PARTNERSHIP else area.members
        if reason:
            frames.append(_labelled(_not_applicable_row(), order, area, reason))
        elif isinstance(indicator.measure, MedianDaysMeasure):
            pooled = _median_rollup(elapsed, members, gaps).with_columns(
                value.alias("value"), status.alias("status")
            )
            frames.append(_labelled(pooled, order, area).pipe(_blank_if_missing))
        else:
            applicable.append((order, area, members))
    if applicable:
        frames.append(
            _pooled(per_unit, applicable)
            .with_columns(value.alias("value"), status.alias("status"))
            .pipe(_blank_if_missing)
        )
    columns = [
        "order",
        "area",
        "area_code",
        "area_type",
        *KEYS,
        NUMERATOR,
        DENOMINATOR,
        "value",
        "status",
        "note",
    ]
    return (
        pl.concat([f.select(columns) for f in frames], how="vertical_relaxed")
        .sort("order", pl.col("breakdown") != "", "breakdown", "breakdown_value")
        .with_columns(
            pl.lit(str(inputs.quarter)).alias("quarter"),
            pl.lit(indicator.id).alias("indicator_id"),
            pl.lit(unit).alias("unit"),
        )
        .select(RESULT_COLUMNS)
    )


def _labelled(
    frame: pl.LazyFrame, order: int, area: AreaDef, note: str | None = None
) -> pl.LazyFrame:
    return frame.with_columns(
        pl.lit(order).alias("order"),
        pl.lit(area.name).alias("area"),
        pl.lit(area.code).alias("area_code"),
        pl.lit(area.type).alias("area_type"),
        *([pl.lit(note).alias("note")] if note is not None else []),
    )


ZERO_BASE_NOTE = "Nothing to measure: there were no cases in the quarter (the base is 0)."


def _blank_if_missing(frame: pl.LazyFrame) -> pl.LazyFrame:
    """A missing figure shows no numbers, only why it is missing (in `note`)."""
    missing = pl.col("status") == "missing"
    return frame.with_columns(
        pl.when(missing).then(None).otherwise(pl.col(NUMERATOR)).alias(NUMERATOR),
        pl.when(missing).then(None).otherwise(pl.col(DENOMINATOR)).alias(DENOMINATOR),
        pl.when(missing & (pl.col(REASONS).list.len() > 0))
        .then(pl.col(REASONS).list.join(" "))
        .when(missing)
        .then(pl.lit("Not every area it adds up has a figure."))
        .when(pl.col("status") == "not_applicable")
        .then(pl.lit(ZERO_BASE_NOTE))
        .otherwise(pl.lit(""))
        .alias("note"),
    )


def _pooled(
    per_unit: pl.LazyFrame, applicable: list[tuple[int, AreaDef, tuple[str, ...]]]
) -> pl.LazyFrame:
    """Pool numerators and denominators over each area's units in one pass (never average rates).

    A pooled figure is the sum over all the area's units or it is missing, never the sum over
    the units that happen to have a figure."""
    membership = pl.LazyFrame(
        [
            (order, a.name, a.code, a.type, unit, len(members))
            for order, a, members in applicable
            for unit in members
        ],
        schema={
            "order": pl.Int64,
            "area": pl.String,
            "area_code": pl.String,
            "area_type": pl.String,
            AREA: pl.String,
            "size": pl.UInt32,
        },
        orient="row",
    )
    pooled = (
        per_unit.join(membership, on=AREA, how="inner")
        .group_by("order", "area", "area_code", "area_type", *KEYS)
        .agg(
            pl.col(NUMERATOR).sum().round(SUM_PLACES),
            # Counts have no denominator at all; any other unit without one (a rate's
            # population) leaves the area without one.
            pl.when(pl.col(DENOMINATOR).is_null().any())
            .then(None)
            .otherwise(pl.col(DENOMINATOR).sum().round(SUM_PLACES))
            .alias(DENOMINATOR),
            (pl.col("complete").all() & (pl.len() == pl.col("size").first())).alias("complete"),
            pl.col(REASONS)
            .list.explode(keep_nulls=False, empty_as_null=False)
            .unique()
            .sort()
            .alias(REASONS),
        )
    )
    # Breakdown rows of an incomplete area say nothing: keep only its headline and rolling rows
    # (which say why they are missing).
    return pooled.filter(
        pl.col("complete")
        | (pl.col("breakdown") == "")
        | (pl.col("breakdown") == ROLLING)
        | pl.col("breakdown").str.starts_with(ROLLING + BREAKDOWN_SEPARATOR)
    )


def _not_applicable_row() -> pl.LazyFrame:
    return pl.LazyFrame(
        {"breakdown": [""], "breakdown_value": [""], NUMERATOR: [None], DENOMINATOR: [None],
         "value": [None], "status": ["not_applicable"]},
        schema={"breakdown": pl.String, "breakdown_value": pl.String, NUMERATOR: pl.Float64,
                DENOMINATOR: pl.Float64, "value": pl.Float64, "status": pl.String},
    )  # fmt: skip


def compute_quarter(catalogue: Catalogue, inputs: Inputs) -> pl.DataFrame:
    """results.csv rows for every indicator of the catalogue for one quarter (one query)."""
    plans = [indicator_plan(catalogue, ind, inputs) for _, _, ind in catalogue.indicators()]
    # Together: one call runs the queries side by side, where one collect() after another
    # waits for the thread pool every time (about three times as long on a 2-core machine).
    return pl.concat(pl.collect_all(plans, engine=ENGINE), how="vertical_relaxed")
