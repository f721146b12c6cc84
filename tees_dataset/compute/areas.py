"""The areas figures are reported for (each local authority, each partnership, Tees), and the
units (authorities or partnerships) whose figures are pooled into them."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from tees_dataset.catalogue.models import (
    LOCAL_AUTHORITY,
    PARTNERSHIP,
    TEES,
    TEES_TYPE,
    Catalogue,
    ReturnSpec,
)
from tees_dataset.compute.columns import BREAKDOWN_SEPARATOR, KEYS, REASONS, ROLLING
from tees_dataset.compute.measures import AREA, DENOMINATOR, NUMERATOR, SUM_PLACES

__all__ = [
    "TEES",
    "AreaDef",
    "Member",
    "areas",
    "expected_coverage",
    "membership",
    "pooled",
    "unit_name",
    "units_of",
]


@dataclass(frozen=True)
class AreaDef:
    """An area figures are reported for: the local authorities and partnerships pooled into it."""

    name: str
    code: str
    type: str  # local_authority, partnership or tees
    members: tuple[str, ...]
    partnerships: tuple[str, ...] = ()


def areas(catalogue: Catalogue) -> list[AreaDef]:
    """Each local authority, each partnership, then Tees: the order packs and tables use."""
    out = [
        AreaDef(la.name, la.code, LOCAL_AUTHORITY, (la.id,), ())
        for la in catalogue.local_authorities
    ]
    out += [
        AreaDef(p.id, p.id, PARTNERSHIP, tuple(p.local_authorities), (p.id,))
        for p in catalogue.partnerships
    ]
    out.append(
        AreaDef(
            TEES, TEES, TEES_TYPE,
            tuple(la.id for la in catalogue.local_authorities),
            tuple(p.id for p in catalogue.partnerships),
        )
    )  # fmt: skip
    return out


def units_of(catalogue: Catalogue, spec: ReturnSpec) -> list[str]:
    if spec.area_level == PARTNERSHIP:
        return [p.id for p in catalogue.partnerships]
    return [la.id for la in catalogue.local_authorities]


def expected_coverage(catalogue: Catalogue, spec: ReturnSpec) -> dict[str, list[str]]:
    """For a return: unit (local authority or partnership) -> the agencies its figures need."""
    coverage: dict[str, list[str]] = {unit: [] for unit in units_of(catalogue, spec)}
    for agency_id in spec.submitted_by:
        agency = catalogue.agency(agency_id)
        assert agency is not None
        if spec.area_level == PARTNERSHIP:
            partnership = catalogue.partnership_of(agency)
            units = [partnership.id] if partnership else []
        else:
            units = list(agency.covers)
        for unit in units:
            coverage[unit].append(agency_id)
    return coverage


def unit_name(catalogue: Catalogue, unit: str) -> str:
    return next((la.name for la in catalogue.local_authorities if la.id == unit), unit)


Member = tuple[int, AreaDef, tuple[str, ...]]  # an area's order, the area, its units


def membership(applicable: list[Member]) -> pl.LazyFrame:
    """Each pooled area's units, with the area's order, name, code and type, and how many
    units it has."""
    return pl.LazyFrame(
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


_POOLED = (
    pl.col(NUMERATOR).sum().round(SUM_PLACES),
    # Counts have no denominator at all; any other unit without one (a rate's population)
    # leaves the area without one.
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
# Breakdown rows of an incomplete area say nothing: keep only its headline and rolling rows
# (which say why they are missing).
_KEPT = (
    pl.col("complete")
    | (pl.col("breakdown") == "")
    | (pl.col("breakdown") == ROLLING)
    | pl.col("breakdown").str.starts_with(ROLLING + BREAKDOWN_SEPARATOR)
)


def pooled(per_unit: pl.LazyFrame, membership: pl.LazyFrame) -> pl.LazyFrame:
    """Pool numerators and denominators over each area's units in one pass (never average rates).

    A pooled figure is the sum over all the area's units or it is missing, never the sum over
    the units that happen to have a figure. `membership`: see `membership`."""
    return (
        per_unit.join(membership, on=AREA, how="inner")
        .group_by("order", "area", "area_code", "area_type", *KEYS)
        .agg(*_POOLED)
        .filter(_KEPT)
    )
