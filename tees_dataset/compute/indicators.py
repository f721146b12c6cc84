"""An indicator's figures for a quarter: numerators and denominators per unit (zero-filled),
rolling rows, then pooled into every area with a status, a value and a note; and
`compute_quarter`, every indicator of the catalogue at once."""

from __future__ import annotations

import functools
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

from tees_dataset.catalogue.models import (
    LOCAL_AUTHORITY,
    PARTNERSHIP,
    UNIT_OF_MEASURE,
    Catalogue,
    Indicator,
    MedianDaysMeasure,
    RateMeasure,
    ReturnSpec,
)
from tees_dataset.compute.areas import AreaDef, Member, areas, membership, pooled, units_of
from tees_dataset.compute.columns import (
    BREAKDOWN_SEPARATOR,
    ENGINE,
    KEYS,
    PER_UNIT_SCHEMA,
    REASONS,
    RESULT_COLUMNS,
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
    return pl.concat([p.select(*_PART_COLUMNS) for p in parts], how="vertical")


_PART_COLUMNS = tuple(
    pl.col(c).cast(PER_UNIT_SCHEMA[c]) for c in (AREA, *KEYS, NUMERATOR, DENOMINATOR)
)


_HEADLINE_KEYS = pl.LazyFrame({"breakdown": [""], "breakdown_value": [""]})


def _zero_filled(
    per_unit: pl.LazyFrame, units: pl.LazyFrame, reasons: pl.LazyFrame, unit: str
) -> pl.LazyFrame:
    """Every unit gets a headline row and a row for every breakdown value seen anywhere: no
    rows at all is a real zero, not a gap. `units` is a frame of the units, `reasons` the
    reasons of each (`reasons_by_unit`)."""
    keys = pl.concat([_HEADLINE_KEYS, per_unit.select(KEYS)]).unique(maintain_order=True)
    full = (
        units.join(keys, how="cross")
        .join(per_unit, on=[AREA, *KEYS], how="left")
        .join(reasons, on=AREA, how="left")
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


_COLUMNS = [
    "order", "area", "area_code", "area_type", *KEYS, NUMERATOR, DENOMINATOR, "value", "status",
    "note",
]  # fmt: skip


@dataclass(frozen=True)
class _Static:
    """What an indicator's query is made of that is the same in every quarter: built once."""

    indicator: Indicator
    spec: ReturnSpec
    unit: str
    units: list[str]
    units_frame: pl.LazyFrame
    value: pl.Expr
    status: pl.Expr
    # In area order: the finished row of an area the indicator does not apply to, or an area
    # whose median is taken over the quarter's rows.
    areas: list[pl.LazyFrame | Member]
    # The areas pooled from the units' figures (none: no such area).
    membership: pl.LazyFrame | None
    labels: tuple[pl.Expr, ...]


def _static(catalogue: Catalogue, indicator: Indicator) -> _Static:
    spec = catalogue.return_spec(indicator.source)
    assert spec is not None
    unit = UNIT_OF_MEASURE[indicator.measure.kind]
    units = units_of(catalogue, spec)
    value, status = _status_and_value(indicator, unit)
    applicable: list[Member] = []
    shown: list[pl.LazyFrame | Member] = []
    for order, area in enumerate(areas(catalogue)):
        reason = indicator.not_applicable.get(area.type)  # type: ignore[call-overload]
        if spec.area_level == PARTNERSHIP and area.type == LOCAL_AUTHORITY:
            reason = reason or PARTNERSHIP_LEVEL_NOTE
        members = area.partnerships if spec.area_level == PARTNERSHIP else area.members
        if reason:
            shown.append(_labelled(_not_applicable_row(), order, area, reason).select(_COLUMNS))
        elif isinstance(indicator.measure, MedianDaysMeasure):
            shown.append((order, area, members))
        else:
            applicable.append((order, area, members))
    return _Static(
        indicator, spec, unit, units,
        pl.LazyFrame({AREA: units}, schema={AREA: pl.String}),
        value, status, shown, membership(applicable) if applicable else None,
        (pl.lit(indicator.id).alias("indicator_id"), pl.lit(unit).alias("unit")),
    )  # fmt: skip


# Each catalogue's indicators' _Static, by the indicator's id(); dropped with the catalogue.
_STATICS: dict[int, tuple[weakref.ref[Catalogue], dict[int, _Static]]] = {}


def _static_of(catalogue: Catalogue, indicator: Indicator) -> _Static:
    key = id(catalogue)
    entry = _STATICS.get(key)
    if entry is None or entry[0]() is not catalogue:
        entry = (weakref.ref(catalogue, lambda _: _STATICS.pop(key, None)), {})
        _STATICS[key] = entry
    static = entry[1].get(id(indicator))
    if static is None or static.indicator is not indicator:
        static = entry[1][id(indicator)] = _static(catalogue, indicator)
    return static


@dataclass
class Shared:
    """What a quarter's indicators share: each return's gaps (with or without the population's)
    and the frame of its reasons, and its rows."""

    gaps: dict[tuple[str, bool], tuple[dict[str, list[Gap]], pl.LazyFrame]] = field(
        default_factory=dict
    )
    rows: dict[str, pl.LazyFrame | None] = field(default_factory=dict)


ReasonKey = tuple[tuple[str, tuple[str, ...]], ...]


def _reason_key(gaps: Mapping[str, list[Gap]]) -> ReasonKey:
    return tuple(
        (unit, tuple(sorted({r for _, r in unit_gaps}))) for unit, unit_gaps in gaps.items()
    )


@functools.lru_cache(maxsize=256)
def _reasons(key: ReasonKey) -> pl.LazyFrame:
    """`reasons_by_unit` of gaps with these reasons (the same in most quarters: made once)."""
    return reasons_by_unit({unit: [(None, r) for r in reasons] for unit, reasons in key})


def indicator_plan(
    catalogue: Catalogue,
    indicator: Indicator,
    inputs: Inputs,
    shared: Shared | None = None,
) -> pl.LazyFrame:
    """The query for every area's headline and breakdown rows for one indicator, for one
    quarter: a quarter's indicators are collected together (`compute_quarter`), sharing what
    they can (`Shared`)."""
    static = _static_of(catalogue, indicator)
    spec, unit, units = static.spec, static.unit, static.units
    rate = isinstance(indicator.measure, RateMeasure)
    shared = shared if shared is not None else Shared()
    found = shared.gaps.get((spec.id, rate))
    if found is None:
        gaps = return_gaps(catalogue, spec, inputs.data, inputs.quarter)
        if rate:
            # The population is an input like any return: without it a rate is missing.
            gaps = population_gaps(catalogue, spec, inputs, gaps)
        found = shared.gaps[(spec.id, rate)] = (gaps, _reasons(_reason_key(gaps)))
    gaps, reasons = found
    if spec.id not in shared.rows:
        shared.rows[spec.id] = rows_of(inputs.data, spec, inputs.quarter)
    rows = shared.rows[spec.id]
    per_unit = _zero_filled(
        _per_unit(indicator, rows, detail=inputs.detail), static.units_frame, reasons, unit
    )
    rolling = rolling_rows(catalogue, indicator, spec, inputs, units) if inputs.detail else None
    if rolling is not None:
        per_unit = pl.concat([per_unit, rolling], how="vertical_relaxed")
    if rate:
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
    frames = []
    for shown in static.areas:
        if isinstance(shown, pl.LazyFrame):
            frames.append(shown)
        else:
            order, area, members = shown
            median = _median_rollup(elapsed, members, gaps).with_columns(
                static.value.alias("value"), static.status.alias("status")
            )
            frames.append(_labelled(median, order, area).pipe(_blank_if_missing).select(_COLUMNS))
    if static.membership is not None:
        frames.append(
            pooled(per_unit, static.membership)
            .with_columns(static.value.alias("value"), static.status.alias("status"))
            .pipe(_blank_if_missing)
            .select(_COLUMNS)
        )
    return (
        pl.concat(frames, how="vertical_relaxed")
        .sort("order", pl.col("breakdown") != "", "breakdown", "breakdown_value")
        .with_columns(pl.lit(str(inputs.quarter)).alias("quarter"), *static.labels)
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


_MISSING = pl.col("status") == "missing"
_BLANKED = (
    pl.when(_MISSING).then(None).otherwise(pl.col(NUMERATOR)).alias(NUMERATOR),
    pl.when(_MISSING).then(None).otherwise(pl.col(DENOMINATOR)).alias(DENOMINATOR),
    pl.when(_MISSING & (pl.col(REASONS).list.len() > 0))
    .then(pl.col(REASONS).list.join(" "))
    .when(_MISSING)
    .then(pl.lit("Not every area it adds up has a figure."))
    .when(pl.col("status") == "not_applicable")
    .then(pl.lit(ZERO_BASE_NOTE))
    .otherwise(pl.lit(""))
    .alias("note"),
)


def _blank_if_missing(frame: pl.LazyFrame) -> pl.LazyFrame:
    """A missing figure shows no numbers, only why it is missing (in `note`)."""
    return frame.with_columns(*_BLANKED)


def _not_applicable_row() -> pl.LazyFrame:
    return pl.LazyFrame(
        {"breakdown": [""], "breakdown_value": [""], NUMERATOR: [None], DENOMINATOR: [None],
         "value": [None], "status": ["not_applicable"]},
        schema={"breakdown": pl.String, "breakdown_value": pl.String, NUMERATOR: pl.Float64,
                DENOMINATOR: pl.Float64, "value": pl.Float64, "status": pl.String},
    )  # fmt: skip


def compute_quarter(catalogue: Catalogue, inputs: Inputs) -> pl.DataFrame:
    """results.csv rows for every indicator of the catalogue for one quarter (one query)."""
    shared = Shared()
    plans = [indicator_plan(catalogue, ind, inputs, shared) for _, _, ind in catalogue.indicators()]
    # Together: one call runs the queries side by side, where one collect() after another
    # waits for the thread pool every time (about three times as long on a 2-core machine).
    # Unoptimised: the queries are many and small (their rows are summed first), and polars'
    # optimiser took longer over them than it saved (0.63 s against 0.42 s of CPU for the 12
    # quarters of the scale-1 bench, 0.70 s against 0.61 s at scale 10).
    optimizations = pl.QueryOptFlags.none()
    return pl.concat(
        pl.collect_all(plans, engine=ENGINE, optimizations=optimizations), how="vertical_relaxed"
    )
