"""Compute stage: indicator figures per local authority, partnership and Tees, with no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import polars as pl

from tees_dataset.catalogue.models import (
    UNIT_OF_MEASURE,
    Catalogue,
    Indicator,
    MedianDaysMeasure,
    RateMeasure,
    RatioMeasure,
    ReturnSpec,
)
from tees_dataset.compute.measures import (
    AREA,
    DENOMINATOR,
    NUMERATOR,
    SUM_PLACES,
    aggregate,
    elapsed_by_unit,
    labelled_parts,
    measure_by_area,
    row_terms,
)
from tees_dataset.quarter import Quarter

# A quarter's rows fit in memory many times over, and its queries are small: polars' in-memory
# engine runs them about twice as fast as the streaming one it may otherwise choose.
ENGINE: Literal["in-memory"] = "in-memory"
RESULT_COLUMNS = (
    "quarter", "area", "area_code", "area_type", "indicator_id", "breakdown", "breakdown_value",
    "numerator", "denominator", "value", "unit", "status", "note",
)  # fmt: skip
BREAKDOWN_SEPARATOR = "|"
ROLLING = "period"
TEES = "Tees"
PARTNERSHIP_LEVEL_NOTE = "Recorded for the partnership as a whole, not by local authority."
_KEYS = ["breakdown", "breakdown_value"]
_PER_UNIT_SCHEMA = {
    AREA: pl.String, "breakdown": pl.String, "breakdown_value": pl.String,
    NUMERATOR: pl.Float64, DENOMINATOR: pl.Float64, "complete": pl.Boolean,
}  # fmt: skip


@dataclass(frozen=True)
class AreaDef:
    """An area figures are reported for: the local authorities and partnerships pooled into it."""

    name: str
    code: str
    type: str  # local_authority, partnership or tees
    members: tuple[str, ...]
    partnerships: tuple[str, ...] = ()


@dataclass(frozen=True)
class QuarterData:
    """What one quarter's returns gave: accepted rows per return, and who sent a valid return."""

    frames: Mapping[str, pl.DataFrame]
    accepted: Mapping[tuple[str, str], bool]


@dataclass(frozen=True)
class Inputs:
    """Everything a quarter's figures depend on, other than the catalogue."""

    quarter: Quarter
    data: QuarterData
    history: Mapping[Quarter, QuarterData] = field(default_factory=dict)
    population: Mapping[str, float] = field(default_factory=dict)
    # False: headline rows only (enough for a trend), which is much less work.
    detail: bool = True


def areas(catalogue: Catalogue) -> list[AreaDef]:
    """Each local authority, each partnership, then Tees: the order packs and tables use."""
    out = [
        AreaDef(la.name, la.code, "local_authority", (la.id,), ())
        for la in catalogue.local_authorities
    ]
    out += [
        AreaDef(p.id, p.id, "partnership", tuple(p.local_authorities), (p.id,))
        for p in catalogue.partnerships
    ]
    out.append(
        AreaDef(
            TEES, TEES, "tees",
            tuple(la.id for la in catalogue.local_authorities),
            tuple(p.id for p in catalogue.partnerships),
        )
    )  # fmt: skip
    return out


def units_of(catalogue: Catalogue, spec: ReturnSpec) -> list[str]:
    if spec.area_level == "partnership":
        return [p.id for p in catalogue.partnerships]
    return [la.id for la in catalogue.local_authorities]


def expected_coverage(catalogue: Catalogue, spec: ReturnSpec) -> dict[str, list[str]]:
    """For a return: unit (local authority or partnership) -> the agencies its figures need."""
    coverage: dict[str, list[str]] = {unit: [] for unit in units_of(catalogue, spec)}
    for agency_id in spec.submitted_by:
        agency = catalogue.agency(agency_id)
        assert agency is not None
        if spec.area_level == "partnership":
            partnership = catalogue.partnership_of(agency)
            units = [partnership.id] if partnership else []
        else:
            units = list(agency.covers)
        for unit in units:
            coverage[unit].append(agency_id)
    return coverage


def _complete(catalogue: Catalogue, spec: ReturnSpec, data: QuarterData | None) -> dict[str, bool]:
    if data is None:
        return dict.fromkeys(units_of(catalogue, spec), False)
    return {
        unit: bool(agencies) and all(data.accepted.get((a, spec.id), False) for a in agencies)
        for unit, agencies in expected_coverage(catalogue, spec).items()
    }


def with_quarter_columns(frame: pl.DataFrame, quarter: Quarter) -> pl.LazyFrame:
    """Rows with `quarter_start` and `quarter_end`, which filters and rules may use."""
    return frame.lazy().with_columns(
        pl.lit(quarter.start).alias("quarter_start"), pl.lit(quarter.end).alias("quarter_end")
    )


def _rows(data: QuarterData | None, spec: ReturnSpec, quarter: Quarter) -> pl.LazyFrame | None:
    if data is None or spec.id not in data.frames:
        return None
    return with_quarter_columns(data.frames[spec.id], quarter)


def _per_unit(
    indicator: Indicator, rows: pl.LazyFrame | None, *, detail: bool = True
) -> pl.LazyFrame:
    """Headline and breakdown numerators and denominators per unit (before zero-filling)."""
    measure = indicator.measure
    if rows is None or isinstance(measure, MedianDaysMeasure):
        return pl.LazyFrame(schema={k: v for k, v in _PER_UNIT_SCHEMA.items() if k != "complete"})
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
    columns = [AREA, *_KEYS, NUMERATOR, DENOMINATOR]
    return pl.concat(
        [p.select(pl.col(c).cast(_PER_UNIT_SCHEMA[c]) for c in columns) for p in parts],
        how="vertical",
    )


def _zero_filled(
    per_unit: pl.LazyFrame, units: list[str], complete: Mapping[str, bool], unit: str
) -> pl.LazyFrame:
    """Every unit gets a headline row and a row for every breakdown value seen anywhere: no
    rows at all is a real zero, not a gap."""
    frame = pl.LazyFrame({AREA: units}, schema={AREA: pl.String})
    headline = pl.LazyFrame({"breakdown": [""], "breakdown_value": [""]})
    keys = pl.concat([headline, per_unit.select(_KEYS)]).unique(maintain_order=True)
    full = frame.join(keys, how="cross").join(per_unit, on=[AREA, *_KEYS], how="left")
    full = full.with_columns(
        pl.col(NUMERATOR).fill_null(0.0),
        pl.col(AREA)
        .replace_strict(complete, default=False, return_dtype=pl.Boolean)
        .alias("complete"),
    )
    if unit in ("percent", "days"):
        full = full.with_columns(pl.col(DENOMINATOR).fill_null(0.0))
    return full


def _rolling_rows(
    catalogue: Catalogue, indicator: Indicator, spec: ReturnSpec, inputs: Inputs, units: list[str]
) -> pl.LazyFrame | None:
    """The numerator over the last N quarters against this quarter's denominator."""
    measure = indicator.measure
    if not isinstance(measure, RatioMeasure) or measure.rolling_quarters is None:
        return None
    quarters = [inputs.quarter.shift(-n) for n in range(measure.rolling_quarters)]
    datas = [inputs.data if q == inputs.quarter else inputs.history.get(q) for q in quarters]
    row_filter, numerator, denominator = row_terms(measure)
    complete = dict.fromkeys(units, True)
    numerators = []
    for q, data in zip(quarters, datas, strict=True):
        for unit, ok in _complete(catalogue, spec, data).items():
            complete[unit] = complete[unit] and ok
        rows = _rows(data, spec, q)
        if rows is not None:
            numerators.append(aggregate(rows, row_filter, numerator, None).select(AREA, NUMERATOR))
    current = _rows(inputs.data, spec, inputs.quarter)
    if current is None or not numerators:
        per_unit = pl.LazyFrame(
            schema={AREA: pl.String, NUMERATOR: pl.Float64, DENOMINATOR: pl.Float64}
        )
    else:
        summed = pl.concat(numerators).group_by(AREA).agg(pl.col(NUMERATOR).sum().round(SUM_PLACES))
        den = aggregate(current, row_filter, pl.lit(0.0), denominator).select(AREA, DENOMINATOR)
        per_unit = summed.join(den, on=AREA, how="full", coalesce=True)
    label = f"{3 * measure.rolling_quarters} months to quarter end"
    frame = pl.LazyFrame({AREA: units}, schema={AREA: pl.String}).join(
        per_unit, on=AREA, how="left"
    )
    return frame.select(
        AREA,
        pl.lit(ROLLING).alias("breakdown"),
        pl.lit(label).alias("breakdown_value"),
        pl.col(NUMERATOR).fill_null(0.0),
        pl.col(DENOMINATOR).fill_null(0.0),
        pl.col(AREA)
        .replace_strict(complete, default=False, return_dtype=pl.Boolean)
        .alias("complete"),
    )


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
    rows: pl.LazyFrame | None, members: tuple[str, ...], complete: Mapping[str, bool]
) -> pl.LazyFrame:
    """The median of the pooled rows' days; the denominator is how many rows there were."""
    ok = all(complete.get(m, False) for m in members)
    if rows is None:
        rows = pl.LazyFrame(schema={AREA: pl.String, "days": pl.Float64})
    days = pl.col("days").cast(pl.Float64)
    return rows.filter(pl.col(AREA).is_in(list(members))).select(
        pl.lit("").alias("breakdown"),
        pl.lit("").alias("breakdown_value"),
        pl.lit(None, pl.Float64).alias(NUMERATOR),
        pl.len().cast(pl.Float64).alias(DENOMINATOR),
        pl.lit(ok).alias("complete"),
        days.median().alias("value"),
    )


def indicator_results(catalogue: Catalogue, indicator: Indicator, inputs: Inputs) -> pl.DataFrame:
    """Every area's headline and breakdown rows for one indicator, for one quarter."""
    return indicator_plan(catalogue, indicator, inputs).collect(engine=ENGINE)


def indicator_plan(catalogue: Catalogue, indicator: Indicator, inputs: Inputs) -> pl.LazyFrame:
    """The query for `indicator_results`: a quarter's indicators are collected together."""
    spec = catalogue.return_spec(indicator.source)
    assert spec is not None
    unit = UNIT_OF_MEASURE[indicator.measure.kind]
    units = units_of(catalogue, spec)
    complete = _complete(catalogue, spec, inputs.data)
    rows = _rows(inputs.data, spec, inputs.quarter)
    per_unit = _zero_filled(_per_unit(indicator, rows, detail=inputs.detail), units, complete, unit)
    rolling = _rolling_rows(catalogue, indicator, spec, inputs, units) if inputs.detail else None
    if rolling is not None:
        per_unit = pl.concat([per_unit, rolling], how="vertical_relaxed")
    if isinstance(indicator.measure, RateMeasure):
        population = pl.LazyFrame(
            {AREA: list(inputs.population), "population": list(inputs.population.values())},
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
        if spec.area_level == "partnership" and area.type == "local_authority":
            reason = reason or PARTNERSHIP_LEVEL_NOTE
        members = area.partnerships if spec.area_level == "partnership" else area.members
        if reason:
            frames.append(_labelled(_not_applicable_row(), order, area, reason))
        elif isinstance(indicator.measure, MedianDaysMeasure):
            pooled = _median_rollup(elapsed, members, complete).with_columns(
                value.alias("value"), status.alias("status")
            )
            frames.append(_labelled(_blank_if_missing(pooled), order, area))
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
        *_KEYS,
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


def _labelled(frame: pl.LazyFrame, order: int, area: AreaDef, note: str = "") -> pl.LazyFrame:
    return frame.with_columns(
        pl.lit(order).alias("order"),
        pl.lit(area.name).alias("area"),
        pl.lit(area.code).alias("area_code"),
        pl.lit(area.type).alias("area_type"),
        pl.lit(note).alias("note"),
    )


def _blank_if_missing(frame: pl.LazyFrame) -> pl.LazyFrame:
    missing = pl.col("status") == "missing"
    return frame.with_columns(
        pl.when(missing).then(None).otherwise(pl.col(NUMERATOR)).alias(NUMERATOR),
        pl.when(missing).then(None).otherwise(pl.col(DENOMINATOR)).alias(DENOMINATOR),
        pl.lit("").alias("note"),
    )


def _pooled(
    per_unit: pl.LazyFrame, applicable: list[tuple[int, AreaDef, tuple[str, ...]]]
) -> pl.LazyFrame:
    """Pool numerators and denominators over each area's units in one pass (never average rates)."""
    membership = pl.LazyFrame(
        [
            (order, a.name, a.code, a.type, unit)
            for order, a, members in applicable
            for unit in members
        ],
        schema={
            "order": pl.Int64,
            "area": pl.String,
            "area_code": pl.String,
            "area_type": pl.String,
            AREA: pl.String,
        },
        orient="row",
    )
    pooled = (
        per_unit.join(membership, on=AREA, how="inner")
        .group_by("order", "area", "area_code", "area_type", *_KEYS)
        .agg(
            pl.col(NUMERATOR).sum().round(SUM_PLACES),
            pl.when(pl.col(DENOMINATOR).is_null().all())
            .then(None)
            .otherwise(pl.col(DENOMINATOR).sum().round(SUM_PLACES))
            .alias(DENOMINATOR),
            pl.col("complete").all(),
        )
    )
    # Breakdown rows of an incomplete area say nothing: keep only its headline and rolling rows.
    return pooled.filter(pl.col("complete") | pl.col("breakdown").is_in(["", ROLLING]))


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


def population_for(table: pl.DataFrame, catalogue: Catalogue, quarter: Quarter) -> dict[str, float]:
    """Children aged 0 to 17 per local authority id, from the latest mid-year estimate for a
    year no later than the quarter's."""
    by_code = {la.code: la.id for la in catalogue.local_authorities}
    usable = table.filter(pl.col("year") <= quarter.year)
    if usable.is_empty():
        usable = table.filter(pl.col("year") == table["year"].min())
    latest = usable.sort("year").group_by("area_code").last()
    return {
        by_code[code]: float(pop)
        for code, pop in latest.select("area_code", "population_0_17").iter_rows()
        if code in by_code
    }


def add_changes(
    current: pl.DataFrame, previous: pl.DataFrame | None, last_year: pl.DataFrame | None
) -> pl.DataFrame:
    """Add the figure a quarter earlier and a year earlier, and the change from each."""
    keys = ["area", "indicator_id", "breakdown", "breakdown_value"]
    out = current
    for name, other in (("previous", previous), ("last_year", last_year)):
        column = f"{name}_value"
        if other is None:
            out = out.with_columns(pl.lit(None, pl.Float64).alias(column))
        else:
            out = out.join(
                other.filter(pl.col("status") == "ok").select(*keys, pl.col("value").alias(column)),
                on=keys, how="left",
            )  # fmt: skip
        out = out.with_columns(
            (pl.col("value") - pl.col(column))
            .round(1, mode="half_away_from_zero")
            .alias(f"change_{name}")
        )
    return out
