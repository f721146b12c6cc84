"""Compute stage: indicator figures per local authority, partnership and Tees, with no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from tees_dataset.catalogue.models import UNIT_OF_MEASURE, Catalogue, Indicator
from tees_dataset.compute.measures import AREA, DENOMINATOR, NUMERATOR, measure_by_area

RESULT_COLUMNS = (
    "quarter",
    "area",
    "area_code",
    "area_type",
    "indicator_id",
    "breakdown",
    "breakdown_value",
    "numerator",
    "denominator",
    "value",
    "unit",
    "status",
)
BREAKDOWN_SEPARATOR = "|"
TEES = "Tees"


@dataclass(frozen=True)
class AreaDef:
    """An area figures are reported for, and the local authorities pooled into it."""

    name: str
    code: str
    type: str  # local_authority, partnership or tees
    members: tuple[str, ...]


def areas(catalogue: Catalogue) -> list[AreaDef]:
    """Each local authority, each partnership, then Tees: the order packs and tables use."""
    out = [
        AreaDef(la.name, la.code, "local_authority", (la.id,)) for la in catalogue.local_authorities
    ]
    out += [
        AreaDef(p.id, p.id, "partnership", tuple(p.local_authorities))
        for p in catalogue.partnerships
    ]
    out.append(AreaDef(TEES, TEES, "tees", tuple(la.id for la in catalogue.local_authorities)))
    return out


def expected_coverage(catalogue: Catalogue, return_id: str) -> dict[str, list[str]]:
    """For a return: local authority -> the agencies whose returns its figures need."""
    spec = catalogue.return_spec(return_id)
    assert spec is not None
    coverage: dict[str, list[str]] = {la.id: [] for la in catalogue.local_authorities}
    for agency_id in spec.submitted_by:
        agency = catalogue.agency(agency_id)
        assert agency is not None
        for la in agency.covers:
            coverage[la].append(agency_id)
    return coverage


def indicator_results(
    indicator: Indicator,
    rows: pl.LazyFrame | None,
    complete: Mapping[str, bool],
    area_defs: list[AreaDef],
    quarter: str,
) -> pl.DataFrame:
    """Every area's headline and breakdown rows for one indicator.

    `rows` are the accepted rows of the indicator's return (None when none arrived);
    `complete` says, per local authority id, whether every return its figure needs arrived.
    """
    unit = UNIT_OF_MEASURE[indicator.measure.kind]
    breakdown = indicator.measure.breakdown
    per_la = _zero_filled(_per_la(indicator, rows, breakdown), area_defs, unit)
    frames = [_rollup(per_la, area, complete, unit) for area in area_defs]
    out = pl.concat(frames, how="vertical")
    return out.with_columns(
        pl.lit(quarter).alias("quarter"),
        pl.lit(indicator.id).alias("indicator_id"),
        pl.lit(unit).alias("unit"),
    ).select(RESULT_COLUMNS)


def _per_la(indicator: Indicator, rows: pl.LazyFrame | None, breakdown: list[str]) -> pl.DataFrame:
    """Headline (breakdown "") and breakdown figures per local authority."""
    schema = {
        AREA: pl.String,
        "breakdown": pl.String,
        "breakdown_value": pl.String,
        NUMERATOR: pl.Float64,
        DENOMINATOR: pl.Float64,
    }
    if rows is None:
        return pl.DataFrame(schema=schema)
    measure = indicator.measure
    parts = [
        measure_by_area(rows, measure).with_columns(
            pl.lit("").alias("breakdown"), pl.lit("").alias("breakdown_value")
        )
    ]
    if breakdown:
        parts.append(
            measure_by_area(rows, measure, breakdown).select(
                AREA,
                pl.lit(BREAKDOWN_SEPARATOR.join(breakdown)).alias("breakdown"),
                pl.concat_str(
                    [pl.col(c).fill_null("(blank)") for c in breakdown],
                    separator=BREAKDOWN_SEPARATOR,
                ).alias("breakdown_value"),
                NUMERATOR,
                DENOMINATOR,
            )
        )
    return pl.concat([p.select(schema.keys()) for p in parts], how="vertical").collect()


def _zero_filled(per_la: pl.DataFrame, area_defs: list[AreaDef], unit: str) -> pl.DataFrame:
    """Every local authority gets a headline row and a row for every breakdown value seen
    anywhere: no rows at all is a real zero, not a gap."""
    las = pl.DataFrame({AREA: [a.members[0] for a in area_defs if a.type == "local_authority"]})
    headline = pl.DataFrame({"breakdown": [""], "breakdown_value": [""]})
    keys = pl.concat([headline, per_la.select("breakdown", "breakdown_value")]).unique(
        maintain_order=True
    )
    full = las.join(keys, how="cross").join(
        per_la, on=[AREA, "breakdown", "breakdown_value"], how="left"
    )
    full = full.with_columns(pl.col(NUMERATOR).fill_null(0.0))
    if unit != "count":
        full = full.with_columns(pl.col(DENOMINATOR).fill_null(0.0))
    return full


def _rollup(
    per_la: pl.DataFrame, area: AreaDef, complete: Mapping[str, bool], unit: str
) -> pl.DataFrame:
    """Pool numerators and denominators over the area's local authorities (never average rates)."""
    is_complete = all(complete.get(la, False) for la in area.members)
    members = per_la.filter(pl.col(AREA).is_in(list(area.members)))
    pooled = members.group_by("breakdown", "breakdown_value").agg(
        pl.col(NUMERATOR).sum(),
        pl.col(DENOMINATOR).sum()
        if unit != "count"
        else pl.lit(None, pl.Float64).alias(DENOMINATOR),
    )
    if not is_complete:
        pooled = pooled.filter(pl.col("breakdown") == "").with_columns(
            pl.lit(None, pl.Float64).alias(NUMERATOR), pl.lit(None, pl.Float64).alias(DENOMINATOR)
        )
    value, status = _value_and_status(unit, is_complete)
    return pooled.sort("breakdown", "breakdown_value").with_columns(
        pl.lit(area.name).alias("area"),
        pl.lit(area.code).alias("area_code"),
        pl.lit(area.type).alias("area_type"),
        value.alias("value"),
        status.alias("status"),
    )


def _value_and_status(unit: str, is_complete: bool) -> tuple[pl.Expr, pl.Expr]:
    if not is_complete:
        return pl.lit(None, pl.Float64), pl.lit("missing")
    if unit == "count":
        return pl.col(NUMERATOR), pl.lit("ok")
    has_base = pl.col(DENOMINATOR) > 0
    value = pl.when(has_base).then((100 * pl.col(NUMERATOR) / pl.col(DENOMINATOR)).round(1))
    return value, pl.when(has_base).then(pl.lit("ok")).otherwise(pl.lit("not_applicable"))


def compute_quarter(
    catalogue: Catalogue,
    frames: Mapping[str, pl.DataFrame],
    accepted: Mapping[tuple[str, str], bool],
    quarter: str,
) -> pl.DataFrame:
    """results.csv rows for every indicator of the catalogue for one quarter.

    `frames`: accepted rows per return id; `accepted`: (agency id, return id) -> arrived and valid.
    """
    area_defs = areas(catalogue)
    out = []
    for _, _, indicator in catalogue.indicators():
        coverage = expected_coverage(catalogue, indicator.source)
        complete = {
            la: bool(agencies) and all(accepted.get((a, indicator.source), False) for a in agencies)
            for la, agencies in coverage.items()
        }
        frame = frames.get(indicator.source)
        rows = frame.lazy() if frame is not None else None
        out.append(indicator_results(indicator, rows, complete, area_defs, quarter))
    return pl.concat(out, how="vertical")
