"""What a quarter's figures are computed from: its accepted rows, who sent a valid return, the
earlier quarters, and the child population."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

from tees_dataset.catalogue.models import Catalogue, ReturnSpec
from tees_dataset.quarter import Quarter


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


def usable_population(estimate: float) -> bool:
    """A population a rate can be worked out from: a positive number (not NaN, not infinite)."""
    return math.isfinite(estimate) and estimate > 0


def with_quarter_columns(frame: pl.DataFrame, quarter: Quarter) -> pl.LazyFrame:
    """Rows with `quarter_start` and `quarter_end`, which filters and rules may use."""
    return frame.lazy().with_columns(
        pl.lit(quarter.start).alias("quarter_start"), pl.lit(quarter.end).alias("quarter_end")
    )


def rows_of(data: QuarterData | None, spec: ReturnSpec, quarter: Quarter) -> pl.LazyFrame | None:
    if data is None or spec.id not in data.frames:
        return None
    return with_quarter_columns(data.frames[spec.id], quarter)


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
