"""Compute stage: indicator figures per local authority, partnership and Tees, with no I/O."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
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
# Why a figure cannot be made: sentences, carried with each unit's numbers and pooled with them.
REASONS = "reasons"
# The breakdown columns whose rows come from particular agencies: a row for one sector needs
# only the returns of that sector's agencies.
AGENCY_COLUMNS = ("agency", "sector")
_KEYS = ["breakdown", "breakdown_value"]
_PER_UNIT_SCHEMA: dict[str, pl.DataType] = {
    AREA: pl.String(), "breakdown": pl.String(), "breakdown_value": pl.String(),
    NUMERATOR: pl.Float64(), DENOMINATOR: pl.Float64(), "complete": pl.Boolean(),
    REASONS: pl.List(pl.String()),
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
    # Children aged 0 to 17 per local authority id (see population_for): an authority that is
    # not here has no estimate, and one whose estimate is not a positive number (NaN for one
    # that is not a number) has none that can be used: either way its rates are missing.
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


# A reason a unit's figures cannot be made, and the agency it concerns (None: every agency).
Gap = tuple[str | None, str]


def _unit_name(catalogue: Catalogue, unit: str) -> str:
    return next((la.name for la in catalogue.local_authorities if la.id == unit), unit)


def _gaps(
    catalogue: Catalogue, spec: ReturnSpec, data: QuarterData | None, quarter: Quarter
) -> dict[str, list[Gap]]:
    """For each unit, why its figures for the quarter cannot be made (nothing: they can)."""
    gaps: dict[str, list[Gap]] = {}
    for unit, agencies in expected_coverage(catalogue, spec).items():
        if data is None:
            gaps[unit] = [(None, f"No returns were read for {quarter}.")]
        elif not agencies:
            name = _unit_name(catalogue, unit)
            gaps[unit] = [(None, f"No agency sends the {spec.title} return for {name}.")]
        else:
            gaps[unit] = [
                (a, f"The {spec.title} return from {_agency_name(catalogue, a)} for {quarter} "
                    "was missing or rejected.")
                for a in agencies
                if not data.accepted.get((a, spec.id), False)
            ]  # fmt: skip
    return gaps


def _agency_name(catalogue: Catalogue, agency_id: str) -> str:
    agency = catalogue.agency(agency_id)
    return agency.name if agency else agency_id


def _unit_population(
    catalogue: Catalogue, spec: ReturnSpec, population: Mapping[str, float]
) -> dict[str, float]:
    """Children aged 0 to 17 per unit: a partnership's is the sum over all its authorities.
    A unit with an authority whose estimate is missing, or not a positive number, has none."""
    usable = {la: n for la, n in population.items() if usable_population(n)}
    if spec.area_level != "partnership":
        return {unit: usable[unit] for unit in units_of(catalogue, spec) if unit in usable}
    return {
        p.id: sum(usable[la] for la in p.local_authorities)
        for p in catalogue.partnerships
        if all(la in usable for la in p.local_authorities)
    }


def usable_population(estimate: float) -> bool:
    """A population a rate can be worked out from: a positive number (not NaN, not infinite)."""
    return math.isfinite(estimate) and estimate > 0


def _population_gaps(
    catalogue: Catalogue, spec: ReturnSpec, inputs: Inputs, gaps: dict[str, list[Gap]]
) -> dict[str, list[Gap]]:
    """The return's gaps, and a reason for every unit with no population estimate."""
    known = _unit_population(catalogue, spec, inputs.population)
    out = {unit: list(unit_gaps) for unit, unit_gaps in gaps.items()}
    for unit in out:
        if unit in known:
            continue
        members = next(
            (p.local_authorities for p in catalogue.partnerships if p.id == unit), [unit]
        )
        for la in members:
            if la not in inputs.population:
                out[unit].append((None, (
                    "There is no ONS mid-year estimate of children aged 0 to 17 for "
                    f"{_unit_name(catalogue, la)} for {inputs.quarter.year} or an earlier year "
                    "(reference/population.csv)."
                )))  # fmt: skip
            elif not usable_population(inputs.population[la]):
                out[unit].append((None, (
                    "The latest ONS mid-year estimate of children aged 0 to 17 for "
                    f"{_unit_name(catalogue, la)} up to {inputs.quarter.year} "
                    "(reference/population.csv) is not a positive number."
                )))  # fmt: skip
    return out


def _reasons_by_unit(gaps: Mapping[str, Iterable[Gap]]) -> pl.LazyFrame:
    """Unit -> the sorted reasons its figures cannot be made (an empty list: they can)."""
    units = list(gaps)
    return pl.LazyFrame(
        {AREA: units, REASONS: [sorted({reason for _, reason in gaps[u]}) for u in units]},
        schema={AREA: pl.String, REASONS: pl.List(pl.String)},
    )


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
        return pl.LazyFrame(
            schema={k: v for k, v in _PER_UNIT_SCHEMA.items() if k not in ("complete", REASONS)}
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
    columns = [AREA, *_KEYS, NUMERATOR, DENOMINATOR]
    return pl.concat(
        [p.select(pl.col(c).cast(_PER_UNIT_SCHEMA[c]) for c in columns) for p in parts],
        how="vertical",
    )


def _zero_filled(
    per_unit: pl.LazyFrame, units: list[str], gaps: Mapping[str, list[Gap]], unit: str
) -> pl.LazyFrame:
    """Every unit gets a headline row and a row for every breakdown value seen anywhere: no
    rows at all is a real zero, not a gap."""
    frame = pl.LazyFrame({AREA: units}, schema={AREA: pl.String})
    headline = pl.LazyFrame({"breakdown": [""], "breakdown_value": [""]})
    keys = pl.concat([headline, per_unit.select(_KEYS)]).unique(maintain_order=True)
    full = (
        frame.join(keys, how="cross")
        .join(per_unit, on=[AREA, *_KEYS], how="left")
        .join(_reasons_by_unit(gaps), on=AREA, how="left")
    )
    full = full.with_columns(
        pl.col(NUMERATOR).fill_null(0.0), (pl.col(REASONS).list.len() == 0).alias("complete")
    )
    if unit in ("percent", "days"):
        full = full.with_columns(pl.col(DENOMINATOR).fill_null(0.0))
    return full.select(list(_PER_UNIT_SCHEMA))


def _rolling_rows(
    catalogue: Catalogue, indicator: Indicator, spec: ReturnSpec, inputs: Inputs, units: list[str]
) -> pl.LazyFrame | None:
    """The numerator over the last N quarters against this quarter's denominator: in all
    (breakdown `period`) and by the measure's breakdown (`period|sector`). A row is made only
    from all N quarters' returns, never from the quarters that happen to be there."""
    measure = indicator.measure
    if not isinstance(measure, RatioMeasure) or measure.rolling_quarters is None:
        return None
    quarters = [inputs.quarter.shift(-n) for n in range(measure.rolling_quarters)]
    datas = [inputs.data if q == inputs.quarter else inputs.history.get(q) for q in quarters]
    gaps: dict[str, list[Gap]] = {unit: [] for unit in units}
    for q, data in zip(quarters, datas, strict=True):
        for unit, unit_gaps in _gaps(catalogue, spec, data, q).items():
            gaps[unit] += unit_gaps
    label = f"{3 * measure.rolling_quarters} months to quarter end"
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
        if (rows := _rows(data, spec, q)) is not None
    ]
    summed = (
        pl.concat(numerators).group_by(keys).agg(pl.col(NUMERATOR).sum().round(SUM_PLACES))
        if numerators
        else pl.LazyFrame(schema={**schema, NUMERATOR: pl.Float64})
    )
    current = _rows(inputs.data, spec, inputs.quarter)
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
        .join(
            _reasons_for(gaps, coverage, sectors, grid, by), on=keys, how="left", nulls_equal=True
        )
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
    ).select(list(_PER_UNIT_SCHEMA))


def _reasons_for(
    gaps: Mapping[str, list[Gap]],
    coverage: Mapping[str, list[str]],
    sectors: Mapping[str, str],
    grid: pl.LazyFrame,
    by: list[str],
) -> pl.LazyFrame:
    """The reasons for each row of `grid` (unit and breakdown values): a row for a sector or an
    agency needs only the returns of its own agencies; any other row (or one whose sector no
    agency of the unit has) needs every return of its unit."""
    keys = [AREA, *by]
    everything = _reasons_by_unit(gaps).rename({REASONS: "all"})
    matched = [c for c in by if c in AGENCY_COLUMNS]
    if not matched:
        return grid.join(everything, on=AREA, how="left").rename({"all": REASONS})
    general = {u: {r for a, r in unit_gaps if a is None} for u, unit_gaps in gaps.items()}
    own = [
        (unit, agency, sectors.get(agency), sorted(general.get(unit, set()) | {
            r for a, r in gaps.get(unit, []) if a == agency
        }))
        for unit, agencies in coverage.items()
        for agency in agencies
    ]  # fmt: skip
    by_agency = pl.LazyFrame(
        own,
        schema={AREA: pl.String, "agency": pl.String, "sector": pl.String,
                REASONS: pl.List(pl.String)},
        orient="row",
    )  # fmt: skip
    specific = (
        grid.join(by_agency.select(AREA, *matched, REASONS), on=[AREA, *matched], how="inner")
        .group_by(keys)
        .agg(pl.col(REASONS).list.explode(keep_nulls=False, empty_as_null=False).unique().sort())
    )
    return (
        grid.join(specific, on=keys, how="left", nulls_equal=True)
        .join(everything, on=AREA, how="left")
        .select(*keys, pl.coalesce(REASONS, "all").alias(REASONS))
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


def indicator_results(catalogue: Catalogue, indicator: Indicator, inputs: Inputs) -> pl.DataFrame:
    """Every area's headline and breakdown rows for one indicator, for one quarter."""
    return indicator_plan(catalogue, indicator, inputs).collect(engine=ENGINE)


def indicator_plan(catalogue: Catalogue, indicator: Indicator, inputs: Inputs) -> pl.LazyFrame:
    """The query for `indicator_results`: a quarter's indicators are collected together."""
    spec = catalogue.return_spec(indicator.source)
    assert spec is not None
    unit = UNIT_OF_MEASURE[indicator.measure.kind]
    units = units_of(catalogue, spec)
    gaps = _gaps(catalogue, spec, inputs.data, inputs.quarter)
    if isinstance(indicator.measure, RateMeasure):
        # The population is an input like any return: without it a rate is missing.
        gaps = _population_gaps(catalogue, spec, inputs, gaps)
    rows = _rows(inputs.data, spec, inputs.quarter)
    per_unit = _zero_filled(_per_unit(indicator, rows, detail=inputs.detail), units, gaps, unit)
    rolling = _rolling_rows(catalogue, indicator, spec, inputs, units) if inputs.detail else None
    if rolling is not None:
        per_unit = pl.concat([per_unit, rolling], how="vertical_relaxed")
    if isinstance(indicator.measure, RateMeasure):
        known = _unit_population(catalogue, spec, inputs.population)
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
        if spec.area_level == "partnership" and area.type == "local_authority":
            reason = reason or PARTNERSHIP_LEVEL_NOTE
        members = area.partnerships if spec.area_level == "partnership" else area.members
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
        .group_by("order", "area", "area_code", "area_type", *_KEYS)
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


def population_for(table: pl.DataFrame, catalogue: Catalogue, quarter: Quarter) -> dict[str, float]:
    """Children aged 0 to 17 per local authority id, from the latest mid-year estimate for a
    year no later than the quarter's. An estimate that is not a number is NaN, and one that is
    not positive is kept as it is: `usable_population` turns both away, so the rates are
    missing, with a note, rather than borrowed from another year or worked out from nonsense."""
    by_code = {la.code: la.id for la in catalogue.local_authorities}
    year = pl.col("year").cast(pl.Int64, strict=False)  # a year that is not one is no estimate
    usable = table.with_columns(year).filter(pl.col("year") <= quarter.year)
    # An authority with no estimate for the quarter's year or before is left out (its rates are
    # then missing): a later estimate is never borrowed.
    latest = usable.sort("year").group_by("area_code").last()
    estimates = latest.select(
        "area_code", pl.col("population_0_17").cast(pl.Float64, strict=False).fill_nan(None)
    )
    return {
        by_code[code]: math.nan if pop is None else float(pop)
        for code, pop in estimates.iter_rows()
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
