"""Why a figure cannot be made: the returns missing or rejected for a unit, and the population
estimates missing, as sentences carried with each unit's numbers and pooled with them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import polars as pl

from tees_dataset.catalogue.models import PARTNERSHIP, Catalogue, ReturnSpec
from tees_dataset.compute.areas import expected_coverage, unit_name, units_of
from tees_dataset.compute.columns import AGENCY_COLUMNS, REASONS
from tees_dataset.compute.inputs import Inputs, QuarterData, usable_population
from tees_dataset.compute.measures import AREA
from tees_dataset.quarter import Quarter

# A reason a unit's figures cannot be made, and the agency it concerns (None: every agency).
Gap = tuple[str | None, str]


def return_gaps(
    catalogue: Catalogue, spec: ReturnSpec, data: QuarterData | None, quarter: Quarter
) -> dict[str, list[Gap]]:
    """For each unit, why its figures for the quarter cannot be made (nothing: they can)."""
    gaps: dict[str, list[Gap]] = {}
    for unit, agencies in expected_coverage(catalogue, spec).items():
        if data is None:
            gaps[unit] = [(None, f"No returns were read for {quarter}.")]
        elif not agencies:
            name = unit_name(catalogue, unit)
            gaps[unit] = [(None, f"No agency sends the {spec.title} return for {name}.")]
        else:
            gaps[unit] = [
                (a, f"The {spec.title} return from {agency_name(catalogue, a)} for {quarter} "
                    "was missing or rejected.")
                for a in agencies
                if not data.accepted.get((a, spec.id), False)
            ]  # fmt: skip
    return gaps


def agency_name(catalogue: Catalogue, agency_id: str) -> str:
    agency = catalogue.agency(agency_id)
    return agency.name if agency else agency_id


def unit_population(
    catalogue: Catalogue, spec: ReturnSpec, population: Mapping[str, float]
) -> dict[str, float]:
    """Children aged 0 to 17 per unit: a partnership's is the sum over all its authorities.
    A unit with an authority whose estimate is missing, or not a positive number, has none."""
    usable = {la: n for la, n in population.items() if usable_population(n)}
    if spec.area_level != PARTNERSHIP:
        return {unit: usable[unit] for unit in units_of(catalogue, spec) if unit in usable}
    return {
        p.id: sum(usable[la] for la in p.local_authorities)
        for p in catalogue.partnerships
        if all(la in usable for la in p.local_authorities)
    }


def population_gaps(
    catalogue: Catalogue, spec: ReturnSpec, inputs: Inputs, gaps: dict[str, list[Gap]]
) -> dict[str, list[Gap]]:
    """The return's gaps, and a reason for every unit with no population estimate."""
    known = unit_population(catalogue, spec, inputs.population)
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
                    f"{unit_name(catalogue, la)} for {inputs.quarter.year} or an earlier year "
                    "(reference/population.csv)."
                )))  # fmt: skip
            elif not usable_population(inputs.population[la]):
                out[unit].append((None, (
                    "The latest ONS mid-year estimate of children aged 0 to 17 for "
                    f"{unit_name(catalogue, la)} up to {inputs.quarter.year} "
                    "(reference/population.csv) is not a positive number."
                )))  # fmt: skip
    return out


def reasons_by_unit(gaps: Mapping[str, Iterable[Gap]]) -> pl.LazyFrame:
    """Unit -> the sorted reasons its figures cannot be made (an empty list: they can)."""
    units = list(gaps)
    return pl.LazyFrame(
        {AREA: units, REASONS: [sorted({reason for _, reason in gaps[u]}) for u in units]},
        schema={AREA: pl.String, REASONS: pl.List(pl.String)},
    )


def reasons_for(
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
    everything = reasons_by_unit(gaps).rename({REASONS: "all"})
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
